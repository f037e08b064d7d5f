import { join } from 'node:path';
import { attachLake, Session, type Row } from '../engine/index.js';
import { DeltaTable } from '../lake/index.js';
import { openLake } from './data-dir.js';
import { EmbeddedLog } from '../log/index.js';
import { computeInventory, type AcceptedEvent, type InventoryRow } from '../retail/index.js';
import { bronzeAppId, bronzeTableName, lakePath, LOG_DIR } from './names.js';

/** Columns of gold.inventory_realtime that the oracle computes independently. */
export const VERIFIED_COLUMNS = [
  'counted_qty',
  'counted_at',
  'net_movement',
  'projected_qty',
  'reserved_qty',
  'available_qty',
  'status',
  'last_event_at',
  'last_accepted_at',
] as const;

export interface Mismatch {
  mart: string;
  store_id: string;
  sku: string;
  column: string;
  gold: unknown;
  oracle: unknown;
}

export interface VerifyReport {
  mart: string;
  eventsInLog: number;
  /** Events the log holds that bronze does not yet (the lake is behind: stop or wait first). */
  eventsNotInLake: number;
  goldRows: number;
  oracleRows: number;
  mismatches: Mismatch[];
}

/** Every event the log accepted, in log order per partition. */
async function readAccepted(
  log: EmbeddedLog,
): Promise<{ events: AcceptedEvent[]; ends: Map<string, number[]> }> {
  const events: AcceptedEvent[] = [];
  const ends = new Map<string, number[]>();
  for (const t of await log.topics()) {
    const topicEnds: number[] = [];
    for (let p = 0; p < t.partitions; p++) {
      let offset = await log.startOffset(t.name, p);
      for (;;) {
        const batch = await log.read(t.name, p, offset, { maxRecords: 50_000 });
        if (batch.length === 0) break;
        for (const r of batch) {
          let value: Record<string, unknown>;
          try {
            value = JSON.parse(r.value.toString('utf8')) as Record<string, unknown>;
          } catch {
            continue; // not JSON: silver quarantines it, and so does the oracle
          }
          events.push({ topic: t.name, value, acceptedAt: r.timestamp });
        }
        offset = batch[batch.length - 1]!.offset + 1;
      }
      topicEnds.push(offset);
    }
    ends.set(t.name, topicEnds);
  }
  return { events, ends };
}

const norm = (v: unknown) => (v === undefined ? null : v);

/**
 * Compares gold.inventory_realtime in the lake with the oracle's computation from every event the
 * log accepted. The data dir must not be in use (the log is opened for reading).
 */
export async function verifyInventory(dataDir: string): Promise<VerifyReport> {
  const log = await EmbeddedLog.open(join(dataDir, LOG_DIR));
  let accepted: Awaited<ReturnType<typeof readAccepted>>;
  try {
    accepted = await readAccepted(log);
  } finally {
    await log.close();
  }
  const { store } = await openLake(dataDir);
  let behind = 0;
  for (const [topic, ends] of accepted.ends) {
    const table = await DeltaTable.open(store, lakePath('bronze', bronzeTableName(topic)));
    const snapshot = (await table.exists()) ? await table.snapshot() : null;
    ends.forEach((end, p) => {
      const done = (snapshot?.txnVersion(bronzeAppId(topic, p)) ?? -1) + 1;
      behind += Math.max(0, end - done);
    });
  }
  const oracle = computeInventory(accepted.events);
  const session = await Session.open({ threads: 2 });
  let gold: Row[];
  try {
    const tables = await attachLake(session.connection, store);
    gold = tables.includes('gold.inventory_realtime')
      ? await session.connection.rows('SELECT * FROM gold.inventory_realtime')
      : [];
  } finally {
    session.close();
  }
  const mismatches: Mismatch[] = [];
  const mart = 'inventory_realtime';
  const seen = new Set<string>();
  for (const row of gold) {
    const key = `${row.store_id}|${row.sku}`;
    seen.add(key);
    const expected = oracle.get(key);
    if (!expected) {
      mismatches.push({
        mart,
        store_id: String(row.store_id),
        sku: String(row.sku),
        column: '(row)',
        gold: 'present',
        oracle: 'absent',
      });
      continue;
    }
    for (const column of VERIFIED_COLUMNS) {
      const g = norm(row[column]);
      const o = norm(expected[column as keyof InventoryRow]);
      if (g !== o)
        mismatches.push({
          mart,
          store_id: expected.store_id,
          sku: expected.sku,
          column,
          gold: g,
          oracle: o,
        });
    }
  }
  for (const [key, expected] of oracle) {
    if (!seen.has(key)) {
      mismatches.push({
        mart,
        store_id: expected.store_id,
        sku: expected.sku,
        column: '(row)',
        gold: 'absent',
        oracle: 'present',
      });
    }
  }
  return {
    mart: `gold.${mart}`,
    eventsInLog: accepted.events.length,
    eventsNotInLake: behind,
    goldRows: gold.length,
    oracleRows: oracle.size,
    mismatches,
  };
}
