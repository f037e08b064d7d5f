import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/index.js';
import type { LogRecord } from '../src/log/index.js';
import { Platform } from '../src/pipeline/index.js';

let dir: string;
let platform: Platform;

/** A log record as a source would append it; the event id header only when the payload has one. */
function record(key: string, value: unknown): LogRecord {
  const headers: Record<string, string> = {};
  if (typeof value === 'object' && value !== null && 'event_id' in value) {
    headers['freshet.event-id'] = String((value as { event_id: unknown }).event_id);
  }
  return {
    key,
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    headers,
  };
}

const ts = '2026-11-24T21:03:05.120+05:30';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-quarantine-'));
  const config = defaultConfig();
  config.dataDir = join(dir, 'data');
  config.simulator.enabled = false;
  platform = await Platform.open(config);
  // Events that skipped the registry (as a source without a schema would send them): bronze keeps
  // them as received, silver must either use them or quarantine them with a reason.
  await platform.log.append('pos.transactions', [
    record('S0001', 'not json {'),
    record('S0001', {
      event_id: 'p-kind',
      event_ts: ts,
      store_id: 'S0001',
      kind: 'gift',
      lines: [{ line_no: 1, sku: 'SKU00001', qty: 1 }],
    }),
    record('S0001', {
      event_id: 'p-qty',
      event_ts: ts,
      store_id: 'S0001',
      kind: 'sale',
      lines: [{ line_no: 1, sku: 'SKU00001', qty: 0 }],
    }),
    record('S0001', {
      event_id: 'p-ok',
      event_ts: ts,
      store_id: 'S0001',
      kind: 'sale',
      lines: [{ line_no: 1, sku: 'SKU00001', qty: 2, unit_price_paise: 100 }],
    }),
  ]);
  await platform.log.append('inventory.counts', [
    record('S0001', {
      event_id: 'c-ts',
      store_id: 'S0001',
      lines: [{ sku: 'SKU00001', counted_qty: 5 }],
    }),
    record('S0001', {
      event_id: 'c-ok',
      event_ts: '2026-11-24T21:00:00.000+05:30',
      store_id: 'S0001',
      lines: [{ sku: 'SKU00001', counted_qty: 5 }],
    }),
  ]);
  const reservation = {
    event_id: 'r-ok',
    event_ts: ts,
    store_id: 'S0001',
    sku: 'SKU00001',
    action: 'reserve',
    qty: 1,
  };
  await platform.log.append('orders.reservations', [
    record('S0001', reservation),
    record('S0001', reservation),
  ]);
  // A price above the MRP (unlawful in India), a transfer with no direction, a valid transfer.
  await platform.log.append('erp.prices', [
    record('SKU00001', {
      event_id: 'pr-mrp',
      event_ts: ts,
      sku: 'SKU00001',
      price_paise: 12_000,
      mrp_paise: 10_000,
      reason: 'promotion_end',
      effective_from: ts,
    }),
  ]);
  const transfer = {
    event_id: 't-ok',
    event_ts: '2026-11-24T21:10:00.000+05:30',
    store_id: 'S0001',
    transfer_id: 'TRF-1',
    direction: 'out',
    other_store_id: 'S0002',
    lines: [{ sku: 'SKU00001', qty: 1 }],
  };
  await platform.log.append('inventory.transfers', [
    record('S0001', transfer),
    record('S0001', { ...transfer, event_id: 't-dir', direction: 'sideways' }),
  ]);
  // As the simulator source does with an event the registry refuses.
  await platform.log.append('freshet.quarantine', [
    {
      key: 'S0001',
      value: Buffer.from(JSON.stringify({ event_id: 'q-1', store_id: 'S0001' })),
      headers: {
        'freshet.event-id': 'q-1',
        'freshet.topic': 'pos.transactions',
        'freshet.error': '(root): must have property lines',
      },
    },
  ]);
  await platform.rebuild();
});

afterAll(async () => {
  await platform.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('bad input never stops the pipeline and is never dropped silently', () => {
  it('puts each invalid event in silver.quarantine with the reason, and valid ones in silver', async () => {
    const c = platform.session.connection;
    const quarantined = await c.rows(
      'SELECT source_table, reason FROM silver.quarantine ORDER BY source_table, reason',
    );
    expect(quarantined).toEqual([
      { source_table: 'erp_prices', reason: 'price_paise is above mrp_paise' },
      {
        source_table: 'freshet_quarantine',
        reason: 'pos.transactions: (root): must have property lines',
      },
      {
        source_table: 'inventory_counts',
        reason: 'event_ts is missing or not a timestamp with an offset',
      },
      { source_table: 'inventory_transfers', reason: 'direction must be out or in' },
      { source_table: 'pos_transactions', reason: 'a line has no sku or a qty below 1' },
      { source_table: 'pos_transactions', reason: 'kind must be sale, return or void' },
      { source_table: 'pos_transactions', reason: 'payload is not valid JSON' },
    ]);
    expect(await c.rows('SELECT event_id, movement_qty FROM silver.pos_lines')).toEqual([
      { event_id: 'p-ok', movement_qty: -2 },
    ]);
    // The duplicate delivery of r-ok is counted once.
    expect(await c.rows('SELECT count(*) AS n FROM silver.reservations')).toEqual([{ n: 1 }]);
    expect(
      await c.rows(
        "SELECT projected_qty, reserved_qty, available_qty, status FROM gold.inventory_realtime WHERE sku = 'SKU00001'",
      ),
      // Counted 5 at 21:00; sold 2 at 21:03; transferred 1 out at 21:10.
    ).toEqual([{ projected_qty: 2, reserved_qty: 1, available_qty: 1, status: 'LOW' }]);
    expect(await c.rows('SELECT event_id, movement_qty FROM silver.transfer_lines')).toEqual([
      { event_id: 't-ok', movement_qty: -1 },
    ]);
    expect(await c.rows('SELECT count(*) AS n FROM silver.price_changes')).toEqual([{ n: 0 }]);
    const metrics = await platform.metrics.registry.metrics();
    expect(metrics).toMatch(/^freshet_quarantined_rows\{table="pos_transactions"\} 3$/m);
  });
});
