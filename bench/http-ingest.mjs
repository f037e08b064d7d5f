// HTTP ingest benchmark: NDJSON batches pushed over loopback HTTP into the durable embedded log
// (fsync 'always': a 2xx means the batch is on disk), each with its own Idempotency-Key, from a
// number of concurrent clients. Reports events/s and the request latency (p50 / p99) per batch
// size. Run after `npm run build`:
//
//   node bench/http-ingest.mjs [--seconds 5] [--clients 8] [--batches 100,1000,5000]

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { EmbeddedLog } from '../dist/log/index.js';
import { Metrics } from '../dist/observe/index.js';
import { EmbeddedRegistry } from '../dist/registry/index.js';
import { createIngest } from '../dist/sources/http/index.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '8' },
    batches: { type: 'string', default: '100,1000,5000' },
    partitions: { type: 'string', default: '4' },
  },
});
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const batchSizes = values.batches.split(',').map(Number);
const TOPIC = 'logistics.shipments';
const TOKEN = 'bench-token-0123456789abcdef';

const SCHEMA = {
  type: 'object',
  required: ['shipment_id', 'store_id', 'sku', 'qty', 'ts'],
  properties: {
    shipment_id: { type: 'string' },
    store_id: { type: 'string' },
    sku: { type: 'string' },
    qty: { type: 'integer', minimum: 1 },
    ts: { type: 'string' },
  },
};

function body(size, n) {
  const lines = [];
  for (let i = 0; i < size; i++) {
    lines.push(
      JSON.stringify({
        shipment_id: `SH${n}-${i}`,
        store_id: `S${String(i % 800).padStart(4, '0')}`,
        sku: `SKU${String((i * 7919) % 20000).padStart(6, '0')}`,
        qty: 1 + (i % 50),
        ts: new Date(1_700_000_000_000 + i).toISOString(),
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function run(batchSize) {
  const dir = await mkdtemp(join(tmpdir(), 'freshet-bench-http-'));
  const log = await EmbeddedLog.open(join(dir, 'log'));
  const registry = await EmbeddedRegistry.open(join(dir, 'registry'));
  await registry.register(`${TOPIC}-value`, { schemaType: 'JSON', schema: JSON.stringify(SCHEMA) });
  const ingest = await createIngest({
    log,
    registry,
    metrics: new Metrics(),
    dataDir: join(dir, 'ingest'),
    partitions: Number(values.partitions),
    keyFields: { [TOPIC]: 'store_id' },
    sources: [{ name: 'bench', token: TOKEN, topics: [TOPIC] }],
    maxInFlight: clients * 2,
  });
  const app = new Hono();
  app.route('/ingest', ingest.routes);
  const server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const url = `http://127.0.0.1:${server.address().port}/ingest/bench/${TOPIC}`;
  // Bodies made before timing starts: the benchmark measures the server, not the generator.
  const payloads = Array.from({ length: 16 }, (_, n) => body(batchSize, n));
  const latencies = [];
  let events = 0;
  let refused = 0;
  let seq = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const n = seq++;
        const t0 = performance.now();
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-ndjson',
            Authorization: `Bearer ${TOKEN}`,
            'Idempotency-Key': `batch-${n}`,
          },
          body: payloads[n % payloads.length],
        });
        await res.arrayBuffer();
        if (res.status !== 200) {
          refused++;
          continue;
        }
        latencies.push(performance.now() - t0);
        events += batchSize;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await ingest.close();
  let inLog = 0;
  for (let p = 0; p < Number(values.partitions); p++) inLog += await log.endOffset(TOPIC, p);
  await log.close();
  await rm(dir, { recursive: true, force: true });
  if (inLog !== events)
    throw new Error(`the log holds ${inLog} events but ${events} were acknowledged`);
  latencies.sort((a, b) => a - b);
  return {
    batch: batchSize,
    requests: latencies.length,
    refused,
    eventsPerSec: Math.round(events / elapsed),
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
  };
}

const rows = [];
for (const size of batchSizes) rows.push(await run(size));
console.log(
  `HTTP ingest → durable embedded log (fsync always), NDJSON, ${clients} clients, ${seconds} s per row, ${values.partitions} partitions`,
);
console.log('batch   requests  refused  events/s    p50 ms   p99 ms');
for (const r of rows) {
  console.log(
    `${String(r.batch).padStart(5)}  ${String(r.requests).padStart(9)}  ${String(r.refused).padStart(7)}  ${String(r.eventsPerSec).padStart(8)}  ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)}`,
  );
}
