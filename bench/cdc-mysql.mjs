// MySQL/MariaDB CDC → log: rows/s through the MySQL CDC source, and the latency from a committed
// MariaDB transaction to its rows being durable in the log.
//
//   scripts/services start && npm run build && node bench/cdc-mysql.mjs [-- --rate 20000 --seconds 15]
//
// Against the MariaDB of `scripts/services start` ($FRESHET_TEST_MARIADB_PORT, default 3307), in a
// database of its own (freshet_bench_cdc, made anew). The source writes to an EmbeddedLog with
// fsync 'always' (an append resolves once durable, the platform's default) and validates every
// event against the EmbeddedRegistry, as it runs in the platform.
//
// Two phases, as bench/cdc-postgres.mjs:
// 1. catch-up: --backlog rows are committed while the source is stopped (in transactions of
//    --txn-rows), then the source starts and streams them: rows/s = backlog / time to drain.
// 2. steady: --writers connections commit --txn-rows-row transactions at an open-loop total of
//    --rate rows/s for --seconds. Latency per row = the moment its append to the log resolved −
//    the moment its COMMIT returned to the writer (0 when the log was faster than the ack).
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { EmbeddedLog } from '../dist/log/index.js';
import { EmbeddedRegistry } from '../dist/registry/index.js';
import { MysqlCdcSource } from '../dist/sources/index.js';

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
const PORT = Number(process.env.FRESHET_TEST_MARIADB_PORT ?? 3307);
const ADMIN = { host: '127.0.0.1', port: PORT, user: 'freshet_admin', password: 'freshet' };
const SOURCE = { host: '127.0.0.1', port: PORT, user: 'freshet', password: 'freshet' };
const DB = 'freshet_bench_cdc';

const db = await mysql.createConnection(ADMIN).catch((err) => {
  console.error(`no MariaDB at 127.0.0.1:${PORT} (${err.message}); run scripts/services start`);
  process.exit(2);
});
await db.query(`DROP DATABASE IF EXISTS ${DB}`);
await db.query(`CREATE DATABASE ${DB}`);
await db.query(`USE ${DB}`);
await db.query(`CREATE TABLE pos_lines (id bigint PRIMARY KEY, store int NOT NULL, sku int NOT NULL,
  qty int NOT NULL, price decimal(10,2) NOT NULL, at timestamp(3) NOT NULL DEFAULT current_timestamp(3))`);

const dir = await mkdtemp(join(tmpdir(), 'freshet-bench-cdc-'));
const log = await EmbeddedLog.open(join(dir, 'log'));
const registry = await EmbeddedRegistry.open(join(dir, 'registry'));

// Row id → when its append resolved (durable), by wrapping the log the source writes to.
const durableAt = new Map();
const timed = Object.create(log);
timed.append = async (topic, records) => {
  const result = await log.append(topic, records);
  if (topic === `bench.${DB}.pos_lines`) {
    const now = performance.now();
    for (const r of records) {
      if (r.key !== null && r.value.length > 0) durableAt.set(Number(r.key.slice(6, -1)), now);
    }
  }
  return result;
};

const opts = {
  connection: SOURCE,
  topicPrefix: 'bench',
  tables: [`${DB}.pos_lines`],
  log: timed,
  registry,
  checkpointPath: join(dir, 'mysql-checkpoint.json'),
  partitions: Number(values.partitions),
};

const insert = (c, from, to) => {
  const rows = [];
  for (let g = from; g <= to; g++)
    rows.push([g, g % 800, g % 5000, 1 + (g % 7), (g % 10000) / 100]);
  return c.query('INSERT INTO pos_lines (id, store, sku, qty, price) VALUES ?', [rows]);
};

async function waitRows(n, ms) {
  const until = Date.now() + ms;
  while (durableAt.size < n) {
    if (Date.now() > until) throw new Error(`only ${durableAt.size} of ${n} rows reached the log`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Phase 1: catch-up. The snapshot (empty) pins the position first, so start and stop once.
let source = new MysqlCdcSource(opts);
await source.start();
while (!source.status().snapshot.done) await new Promise((r) => setTimeout(r, 20));
await source.stop();
for (let id = 1; id <= BACKLOG; id += 1000) await insert(db, id, Math.min(id + 999, BACKLOG));
source = new MysqlCdcSource(opts);
const catchUpStart = performance.now();
await source.start();
await waitRows(BACKLOG, 600_000);
const catchUpSeconds = (performance.now() - catchUpStart) / 1000;

// Phase 2: steady rate, open loop.
const commitAt = new Map();
const writers = await Promise.all(
  Array.from({ length: WRITERS }, async () => {
    return mysql.createConnection({ ...ADMIN, database: DB });
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
const latencies = [];
for (const [id, at] of commitAt) latencies.push(Math.max(0, durableAt.get(id) - at));
latencies.sort((a, b) => a - b);
const pct = (p) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];

const status = source.status();
await source.stop();
for (const c of writers) await c.end();
await log.close();
await db.query(`DROP DATABASE IF EXISTS ${DB}`);
await db.end();
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
  eventsAccepted: status.eventsAccepted,
  rejected: status.eventsRejected,
  load: loadavg().map((l) => +l.toFixed(2)),
};
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `MariaDB CDC → durable log (EmbeddedLog fsync always, ${values.partitions} partitions)`,
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
  ]);
  console.log(
    `targets: ≥ 20,000 rows/s, p99 ≤ 500 ms; writers committed ${result.steady.committedRowsPerSecond} rows/s (${late} transactions > 100 ms late); load ${result.load.join(' ')}`,
  );
}
