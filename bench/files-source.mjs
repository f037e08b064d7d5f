// File drops → log: records/s and peak memory of the file drop source on one large CSV, NDJSON
// and Parquet file each (the ERP exports of issue 7).
//
//   npm run build && node bench/files-source.mjs [-- --rows 500000 --batch 5000 --fsync always]
//
// Each format in its own fresh data dir: the file is written first (CSV and NDJSON by a plain
// loop, Parquet by DuckDB from the CSV), then one FileDropSource with a declared schema reads it
// into an EmbeddedLog (every record validated against the registry, appended in batches, the
// position saved after each). Time = from start() to the file recorded as done. Peak RSS is
// sampled every 50 ms: it should stay flat as --rows grows (files are streamed, not loaded).
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Session } from '../dist/engine/index.js';
import { EmbeddedLog } from '../dist/log/index.js';
import { Metrics } from '../dist/observe/index.js';
import { EmbeddedRegistry } from '../dist/registry/index.js';
import { FileDropSource } from '../dist/sources/index.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '500000' },
    batch: { type: 'string', default: '5000' },
    fsync: { type: 'string', default: 'always' },
    formats: { type: 'string', default: 'csv,ndjson,parquet' },
  },
});
const rows = Number(values.rows);
const schema = {
  type: 'object',
  properties: {
    order_id: { type: 'integer' },
    store_id: { type: 'integer' },
    sku: { type: 'string' },
    qty: { type: 'integer' },
    amount: { type: 'number' },
    paid: { type: 'boolean' },
    day: { type: 'string', format: 'date' },
  },
  required: ['order_id', 'store_id', 'sku', 'qty', 'amount', 'paid', 'day'],
};

async function writeLines(path, header, line) {
  const out = createWriteStream(path);
  if (header) out.write(header + '\n');
  for (let i = 1; i <= rows; i++) {
    if (!out.write(line(i) + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
const day = (i) => `2024-03-${String((i % 28) + 1).padStart(2, '0')}`;
const values7 = (i) => [
  i,
  i % 800,
  `SKU-${i % 5000}`,
  (i % 7) + 1,
  (i % 1000) / 4,
  i % 2 === 0,
  day(i),
];

async function bench(format) {
  const dir = await mkdtemp(join(tmpdir(), 'freshet-bench-files-'));
  try {
    const drop = join(dir, 'drop');
    await mkdir(drop);
    const csvPath = join(format === 'csv' ? drop : dir, 'orders.csv');
    if (format === 'csv' || format === 'parquet') {
      await writeLines(csvPath, 'order_id,store_id,sku,qty,amount,paid,day', (i) =>
        values7(i).join(','),
      );
    }
    if (format === 'ndjson') {
      const keys = Object.keys(schema.properties);
      await writeLines(join(drop, 'orders.ndjson'), null, (i) =>
        JSON.stringify(Object.fromEntries(values7(i).map((v, k) => [keys[k], v]))),
      );
    }
    if (format === 'parquet') {
      const session = await Session.open();
      try {
        await session.connection.run(
          `COPY (SELECT * FROM read_csv('${csvPath}', header = true)) TO '${join(drop, 'orders.parquet')}' (FORMAT PARQUET)`,
        );
      } finally {
        session.close();
      }
    }
    const file = join(drop, `orders.${format}`);
    const bytes = (await stat(file)).size;
    const log = await EmbeddedLog.open(join(dir, 'log'), { fsync: values.fsync });
    const registry = await EmbeddedRegistry.open(join(dir, 'registry'));
    const source = new FileDropSource({
      name: 'bench',
      location: drop,
      topic: 'erp.orders',
      schema,
      batchSize: Number(values.batch),
      pollIntervalMs: 10,
      checkpointPath: join(dir, 'bench.json'),
      log,
      registry,
      metrics: new Metrics(),
    });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const started = performance.now();
    await source.start();
    while (source.status().filesDone < 1) await new Promise((r) => setTimeout(r, 5));
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    await source.stop();
    const s = source.status();
    await log.close();
    if (s.eventsAccepted !== rows || s.eventsRejected !== 0) {
      throw new Error(
        `${format}: ${s.eventsAccepted} accepted, ${s.eventsRejected} rejected of ${rows}`,
      );
    }
    console.log(
      `${format.padEnd(8)} ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB: ${seconds.toFixed(2)} s, ` +
        `${Math.round(rows / seconds).toLocaleString('en')} records/s, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB ` +
        `(+${((peak - rssBefore) / 2 ** 20).toFixed(0)} MiB)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(
  `file drop source, fsync ${values.fsync}, batch ${values.batch} (stable file, declared schema)`,
);
for (const f of values.formats.split(',')) await bench(f);
