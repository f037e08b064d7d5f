// PostgreSQL CDC → log → bronze: rows/s through the PostgreSQL CDC source, and the latency from a
// committed PostgreSQL transaction to its rows being durable in the log, and to their being in a
// committed bronze Delta version (bronze on its own thread, every 250 ms, as the platform runs it).
//
//   scripts/services start && npm run build && node bench/cdc-postgres.mjs [-- --rate 20000 --seconds 15]
//
// Against the PostgreSQL of `scripts/services start` ($FRESHET_TEST_PG_PORT, default 5433), in a
// database of its own (freshet_bench_cdc, made anew). The source writes to an EmbeddedLog with fsync
// 'always' (an append resolves once durable, the platform's default) and validates every event
// against the EmbeddedRegistry, as it runs in the platform.
//
// Two phases:
// 1. catch-up: --backlog rows are committed while the source is stopped (in transactions of
//    --txn-rows), then the source starts and streams them: rows/s = backlog / time to drain.
// 2. steady: --writers connections commit --txn-rows-row transactions at an open-loop total of
//    --rate rows/s for --seconds. Latency per row = the moment its append to the log resolved (or
//    the bronze commit holding it returned) − the moment its COMMIT returned to the writer (0 when
//    the log was faster than the ack).
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { LocalObjectStore } from '../dist/lake/index.js';
import { EmbeddedLog } from '../dist/log/index.js';
import { Metrics } from '../dist/observe/index.js';
import { BronzeThread, ThreadedBronzeWriter } from '../dist/pipeline/index.js';
import { EmbeddedRegistry } from '../dist/registry/index.js';
import { PostgresCdcSource } from '../dist/sources/index.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '20000' },
    seconds: { type: 'string', default: '15' },
    backlog: { type: 'string', default: '200000' },
    'txn-rows': { type: 'string', default: '100' },
    writers: { type: 'string', default: '4' },
    partitions: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const BACKLOG = Number(values.backlog);
const TXN_ROWS = Number(values['txn-rows']);
const WRITERS = Number(values.writers);
const PORT = Number(process.env.FRESHET_TEST_PG_PORT ?? 5433);
const BASE = { host: '127.0.0.1', port: PORT, user: process.env.FRESHET_TEST_PG_USER ?? 'freshet' };
const DB = 'freshet_bench_cdc';
const SLOT = 'freshet_bench_cdc';

const admin = new pg.Client({ ...BASE, database: 'postgres' });
await admin.connect().catch((err) => {
  console.error(`no PostgreSQL at 127.0.0.1:${PORT} (${err.message}); run scripts/services start`);
  process.exit(2);
});
await admin.query(
  `SELECT pg_drop_replication_slot($1) FROM pg_replication_slots WHERE slot_name = $1`,
  [SLOT],
);
await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
await admin.query(`CREATE DATABASE ${DB}`);
const db = new pg.Client({ ...BASE, database: DB });
await db.connect();
await db.query(`CREATE TABLE pos_lines (id bigint PRIMARY KEY, store int NOT NULL, sku int NOT NULL,
  qty int NOT NULL, price numeric(10,2) NOT NULL, at timestamptz NOT NULL DEFAULT now())`);

const dir = await mkdtemp(join(tmpdir(), 'freshet-bench-cdc-'));
const log = await EmbeddedLog.open(join(dir, 'log'));
const registry = await EmbeddedRegistry.open(join(dir, 'registry'));

// Row id → when its append resolved (durable), by wrapping the log the source writes to.
const TOPIC = 'bench.public.pos_lines';
const durableAt = new Map();
// Per partition, [offset, row id] in offset order, until bronze holds them.
const unbronzed = new Map();
const bronzeAt = new Map();
const timed = Object.create(log);
timed.append = async (topic, records) => {
  const result = await log.append(topic, records);
  if (topic === TOPIC) {
    const now = performance.now();
    records.forEach((r, i) => {
      if (r.key === null || r.value.length === 0) return;
      const id = Number(r.key.slice(6, -1));
      durableAt.set(id, now);
      const { partition, offset } = result[i];
      if (!unbronzed.has(partition)) unbronzed.set(partition, []);
      unbronzed.get(partition).push([offset, id]);
    });
  }
  return result;
};

// Bronze as the platform runs it: its own thread, a fixed-rate loop every 250 ms.
let bronze = null;
let stopBronze = false;
const bronzeLoop = (async () => {
  while (!stopBronze) {
    const started = performance.now();
    if (!bronze && (await log.topics()).some((t) => t.name === TOPIC)) {
      const thread = new BronzeThread({
        lake: join(dir, 'lake'),
        tmpDir: join(dir, 'tmp'),
        topics: [{ topic: TOPIC, partitions: Number(values.partitions) }],
      });
      [bronze] = await ThreadedBronzeWriter.openAll({
        thread,
        log,
        store: new LocalObjectStore(join(dir, 'lake')),
        topics: [{ topic: TOPIC, partitions: Number(values.partitions) }],
        metrics: new Metrics(),
        maxBatch: 50_000,
      });
      bronze.thread = thread;
    }
    if (bronze && (await bronze.writeOnce()) > 0) {
      const now = performance.now();
      bronze.nextOffsets.forEach((next, p) => {
        const q = unbronzed.get(p) ?? [];
        let k = 0;
        while (k < q.length && q[k][0] < next) bronzeAt.set(q[k++][1], now);
        q.splice(0, k);
      });
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 250 - (performance.now() - started))));
  }
})();

const opts = {
  connection: { ...BASE, database: DB },
  topicPrefix: 'bench',
  tables: ['public.pos_lines'],
  slot: SLOT,
  publication: 'freshet_bench_cdc',
  log: timed,
  registry,
  checkpointPath: join(dir, 'pg-checkpoint.json'),
  partitions: Number(values.partitions),
};

const insert = (c, from, to) =>
  c.query(
    `INSERT INTO pos_lines (id, store, sku, qty, price)
     SELECT g, g % 800, g % 5000, 1 + g % 7, (g % 10000) / 100.0 FROM generate_series($1::bigint, $2::bigint) g`,
    [from, to],
  );

async function waitRows(n, ms) {
  const until = Date.now() + ms;
  while (durableAt.size < n) {
    if (Date.now() > until) throw new Error(`only ${durableAt.size} of ${n} rows reached the log`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Phase 1: catch-up. The slot must exist before the backlog is written, so start and stop once.
let source = new PostgresCdcSource(opts);
await source.start();
while (!source.status().snapshot.done) await new Promise((r) => setTimeout(r, 20));
await source.stop();
for (let id = 1; id <= BACKLOG; id += 1000) await insert(db, id, Math.min(id + 999, BACKLOG));
source = new PostgresCdcSource(opts);
const catchUpStart = performance.now();
await source.start();
await waitRows(BACKLOG, 600_000);
const catchUpSeconds = (performance.now() - catchUpStart) / 1000;

// Bronze takes in the backlog before the steady phase, so that phase measures a steady state.
const caughtUpBy = Date.now() + 300_000;
while (bronzeAt.size < BACKLOG && Date.now() < caughtUpBy)
  await new Promise((r) => setTimeout(r, 50));

// Phase 2: steady rate, open loop.
const commitAt = new Map();
const writers = await Promise.all(
  Array.from({ length: WRITERS }, async () => {
    const c = new pg.Client({ ...BASE, database: DB });
    await c.connect();
    return c;
  }),
);
let nextId = BACKLOG + 1;
const txnsPerSecond = RATE / TXN_ROWS;
const steadyStart = performance.now();
const totalTxns = Math.round(txnsPerSecond * SECONDS);
let late = 0;
await Promise.all(
  writers.map(async (c, w) => {
    for (let t = w; t < totalTxns; t += WRITERS) {
      const due = steadyStart + (t / txnsPerSecond) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -100) late++;
      const from = nextId;
      nextId += TXN_ROWS;
      await insert(c, from, from + TXN_ROWS - 1); // autocommit: returns once committed
      const now = performance.now();
      for (let id = from; id < from + TXN_ROWS; id++) commitAt.set(id, now);
    }
  }),
);
const writeSeconds = (performance.now() - steadyStart) / 1000;
const steadyRows = nextId - BACKLOG - 1;
await waitRows(BACKLOG + steadyRows, 120_000);
const drainedSeconds = (performance.now() - steadyStart) / 1000;
const until = Date.now() + 120_000;
while (bronzeAt.size < BACKLOG + steadyRows && Date.now() < until)
  await new Promise((r) => setTimeout(r, 20));
const bronzeSeconds = (performance.now() - steadyStart) / 1000;
const inBronze = bronze?.state.rows ?? 0;
stopBronze = true;
await bronzeLoop;
await bronze?.thread.close();
const latencies = [];
const bronzeLatencies = [];
for (const [id, at] of commitAt) {
  latencies.push(Math.max(0, durableAt.get(id) - at));
  if (bronzeAt.has(id)) bronzeLatencies.push(Math.max(0, bronzeAt.get(id) - at));
}
latencies.sort((a, b) => a - b);
bronzeLatencies.sort((a, b) => a - b);
const pctOf = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const pct = (p) => pctOf(latencies, p);

const status = source.status();
await source.stop();
for (const c of writers) await c.end();
await log.close();
await db.end();
await admin.query(
  `SELECT pg_drop_replication_slot($1) FROM pg_replication_slots WHERE slot_name = $1`,
  [SLOT],
);
await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
await admin.end();
await rm(dir, { recursive: true, force: true });

const result = {
  catchUp: {
    rows: BACKLOG,
    seconds: +catchUpSeconds.toFixed(2),
    rowsPerSecond: Math.round(BACKLOG / catchUpSeconds),
  },
  steady: {
    targetRowsPerSecond: RATE,
    committedRowsPerSecond: Math.round(steadyRows / writeSeconds),
    capturedRowsPerSecond: Math.round(steadyRows / drainedSeconds),
    rows: steadyRows,
    lateTransactions: late,
    p50ms: +pct(50).toFixed(1),
    p99ms: +pct(99).toFixed(1),
    maxMs: +latencies[latencies.length - 1].toFixed(1),
  },
  bronze: {
    rowsPerSecond: Math.round(steadyRows / bronzeSeconds),
    p50ms: +pctOf(bronzeLatencies, 50).toFixed(1),
    p99ms: +pctOf(bronzeLatencies, 99).toFixed(1),
    maxMs: +bronzeLatencies[bronzeLatencies.length - 1].toFixed(1),
    // Every change event of the run (snapshot, backlog, steady; no deletes here) in bronze once.
    rowsInBronze: inBronze,
    allInBronze: bronzeAt.size === BACKLOG + steadyRows,
  },
  eventsAccepted: status.eventsAccepted,
  rejected: status.eventsRejected,
  load: loadavg().map((l) => +l.toFixed(2)),
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `PostgreSQL CDC → durable log (EmbeddedLog fsync always, ${values.partitions} partitions) → bronze (own thread, every 250 ms)`,
  );
  console.table([
    {
      phase: 'catch-up (backlog)',
      rows: BACKLOG,
      'rows/s': result.catchUp.rowsPerSecond,
      p50_ms: '',
      p99_ms: '',
      max_ms: '',
    },
    {
      phase: `steady @ ${RATE}/s (${TXN_ROWS} rows/txn)`,
      rows: steadyRows,
      'rows/s': result.steady.capturedRowsPerSecond,
      p50_ms: result.steady.p50ms,
      p99_ms: result.steady.p99ms,
      max_ms: result.steady.maxMs,
    },
    {
      phase: `  … into bronze`,
      rows: steadyRows,
      'rows/s': result.bronze.rowsPerSecond,
      p50_ms: result.bronze.p50ms,
      p99_ms: result.bronze.p99ms,
      max_ms: result.bronze.maxMs,
    },
  ]);
  console.log(
    `every row in bronze: ${result.bronze.allInBronze ? 'yes' : 'NO'} (${result.bronze.rowsInBronze} bronze rows); targets: ≥ 20,000 rows/s, p99 ≤ 500 ms; writers committed ${result.steady.committedRowsPerSecond} rows/s (${late} transactions > 100 ms late); load ${result.load.join(' ')}`,
  );
}
