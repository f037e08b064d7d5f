// Lake writes, Freshet against delta-rs (the `deltalake` Python package), on the same data.
//
//   npm run build && npm run bench:lake [-- --rows 1000000 --base-rows 16000000 --merge-rows 50000 --repeat 3]
//
// Needs python3 with `deltalake` and `pyarrow` (`--python` to choose the interpreter). Full size
// takes about 12 GB of disk in the temp folder (`--dir` to put it elsewhere).
//
// Input is generated once per run with DuckDB as Parquet files (untimed): `--rows` retail POS
// events for the append, a base table of `--base-rows` events in files of `--base-file-rows`, and
// `--merge-rows` rows keyed by event_id, half updates of existing events (new qty, price and
// payload; spread evenly over the newest `--update-span` fraction of the table, 1 = all of it)
// and half new events. The base Delta table is written once by Freshet (untimed) and copied
// before each merge, so both merges start from the very same files and statistics.
//
// delta-rs' merge runs with streamed_exec=true (its default) when the updates span the whole
// table and false otherwise, whichever was faster for it on that data (`--peer-streamed-exec`).
//
// `--repeat N` measures each operation N times, the sides taking turns going first, and reports
// the median time and the highest peak (the machine may be shared: the load average is printed).
//
// Each measurement runs in its own child process (peak RSS is per process, so the sides and the
// operations do not share a high-water mark), timing from reading the input to the commit:
//   append  Freshet: DuckDB reads the Parquet → writeDataFile → DeltaTable.create + append
//           deltalake: pyarrow reads the Parquet → write_deltalake(mode='append') into a new table
//   merge   Freshet: mergeInto (source = the Parquet file, on event_id)
//           deltalake: DeltaTable.merge(...).when_matched_update_all().when_not_matched_insert_all()
// Afterwards every table is read back by both DuckDB (Freshet's snapshot scan) and deltalake and
// must hold the expected row count, event_id sum and price sum; the run fails if any differs.
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  Session,
  deltaSchemaOf,
  mergeInto,
  prepareSnapshotSelect,
  quoteLiteral,
  writeDataFile,
} from '../dist/engine/index.js';
import { DeltaTable, LocalObjectStore } from '../dist/lake/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const PEER = join(here, 'peers', 'deltalake_write.py');

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'base-rows': { type: 'string', default: '16000000' },
    'merge-rows': { type: 'string', default: '50000' },
    repeat: { type: 'string', default: '1' },
    'peer-streamed-exec': { type: 'string', default: 'auto' },
    'base-file-rows': { type: 'string', default: '1000000' },
    'update-span': { type: 'string', default: '1' },
    python: { type: 'string', default: process.env.PYTHON ?? 'python3' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // Internal: run one Freshet measurement in this (child) process.
    child: { type: 'string' },
    input: { type: 'string', multiple: true },
    root: { type: 'string' },
    table: { type: 'string' },
  },
});

// --- the parent: inputs, children, checks, table ---------------------------------------------

async function main() {
  const rows = count('rows');
  const baseRows = count('base-rows');
  const mergeRows = count('merge-rows');
  const baseFileRows = count('base-file-rows');
  const repeat = count('repeat');
  const span = Number(opts['update-span']);
  const updates = Math.floor(mergeRows / 2);
  const inserts = mergeRows - updates;
  if (!(span > 0 && span <= 1)) fail('--update-span is a fraction in (0, 1]');
  if (!['auto', 'true', 'false'].includes(opts['peer-streamed-exec']))
    fail('--peer-streamed-exec is auto, true or false');
  if (updates > Math.floor(baseRows * span))
    fail(`--merge-rows ${mergeRows} needs at least ${updates} base rows to update in the span`);

  const work = opts.dir ? resolve(opts.dir) : await mkdtemp(join(tmpdir(), 'freshet-bench-lake-'));
  await mkdir(work, { recursive: true });
  const input = join(work, 'input');
  const lake = join(work, 'lake');
  await mkdir(input, { recursive: true });
  const session = await Session.open();
  const conn = session.connection;
  try {
    // 1. Inputs (untimed).
    const t0 = performance.now();
    const appendFile = join(input, 'append.parquet');
    await copyTo(
      conn,
      eventsSelect(`SELECT range AS e FROM range(1, ${rows + 1})`, 'a'),
      appendFile,
    );
    const baseFiles = [];
    for (let lo = 1; lo <= baseRows; lo += baseFileRows) {
      const hi = Math.min(baseRows, lo + baseFileRows - 1);
      const file = join(input, `base-${String(baseFiles.length).padStart(3, '0')}.parquet`);
      await copyTo(conn, eventsSelect(`SELECT range AS e FROM range(${lo}, ${hi + 1})`, 'b'), file);
      baseFiles.push(file);
      progress(`input: base ${hi}/${baseRows} rows`);
    }
    // Updates: `updates` distinct keys, one in each of as many equal slices of the span.
    const spanRows = Math.floor(baseRows * span);
    const first = baseRows - spanRows + 1;
    const stride = Math.floor(spanRows / updates);
    const updateIds = `SELECT ${first} + j * ${stride} + (hash(j, 'u') % ${stride})::BIGINT AS e FROM range(0, ${updates}) t(j)`;
    const insertIds = `SELECT range AS e FROM range(${baseRows + 1}, ${baseRows + 1 + inserts})`;
    const mergeFile = join(input, 'merge.parquet');
    await copyTo(
      conn,
      `SELECT * FROM ((${eventsSelect(updateIds, 'u')}) UNION ALL (${eventsSelect(insertIds, 'b')})) ORDER BY hash(event_id, 'order')`,
      mergeFile,
    );
    const [shape] = await conn.rows(
      `SELECT round(avg(8 + 4 + 8 + 8 + length(store_id) + length(sku) + length(payload))) AS bytes FROM read_parquet(${quoteLiteral(appendFile)})`,
    );
    progress(`input: generated in ${secs(performance.now() - t0)} s`);

    // What the tables must hold afterwards.
    const expected = {
      append: await sums(
        conn,
        `SELECT event_id, price_paise FROM read_parquet(${quoteLiteral(appendFile)})`,
      ),
      merge: await sums(
        conn,
        `SELECT event_id, price_paise FROM read_parquet(${list(baseFiles)}) b
           ANTI JOIN read_parquet(${quoteLiteral(mergeFile)}) m USING (event_id)
         UNION ALL SELECT event_id, price_paise FROM read_parquet(${quoteLiteral(mergeFile)})`,
      ),
    };

    // 2. The base table, written once by Freshet (untimed); each merge gets a fresh copy of it.
    const t1 = performance.now();
    const store = new LocalObjectStore(lake);
    const base = await DeltaTable.open(store, 'merge_base');
    await base.create({ schema: await deltaSchemaOf(conn, parquet(baseFiles[0])) });
    const adds = [];
    for (const file of baseFiles) {
      adds.push(await writeDataFile(conn, parquet(file), base, join(work, 'tmp')));
    }
    await base.append(adds);
    const baseBytes = adds.reduce((n, a) => n + a.size, 0);
    progress(
      `base table: ${adds.length} files, ${mb(baseBytes)} MB, in ${secs(performance.now() - t1)} s`,
    );

    // 3. The measurements, each in a fresh process, the two sides taking turns going first.
    // delta-rs' merge gets its faster setting for the data: streaming (its default) when the
    // updates touch every file anyway, and otherwise not, which lets it prune by key range.
    const streamed =
      opts['peer-streamed-exec'] === 'auto' ? String(span === 1) : opts['peer-streamed-exec'];
    const self = fileURLToPath(import.meta.url);
    const sides = {
      freshet: (kind, table, file) =>
        child(process.execPath, [
          self,
          '--child',
          kind,
          '--root',
          lake,
          '--table',
          table,
          '--input',
          file,
        ]),
      deltalake: (kind, table, file) =>
        child(opts.python, [
          PEER,
          kind,
          '--table',
          join(lake, table),
          '--input',
          file,
          ...(kind === 'merge' ? ['--streamed-exec', streamed] : []),
        ]),
    };
    const runs = { append: { freshet: [], deltalake: [] }, merge: { freshet: [], deltalake: [] } };
    const loads = [loadavg()[0]];
    for (let r = 0; r < repeat; r++) {
      const order = r % 2 === 0 ? ['freshet', 'deltalake'] : ['deltalake', 'freshet'];
      for (const side of order) {
        const table = `append_${side}`;
        await rm(join(lake, table), { recursive: true, force: true });
        await settle();
        progress(`append: ${side} (${r + 1}/${repeat})`);
        runs.append[side].push(await sides[side]('append', table, appendFile));
      }
      for (const side of order) {
        const table = `merge_${side}`;
        await rm(join(lake, table), { recursive: true, force: true });
        await cp(join(lake, 'merge_base'), join(lake, table), { recursive: true });
        await settle();
        progress(`merge: ${side} (${r + 1}/${repeat})`);
        runs.merge[side].push(await sides[side]('merge', table, mergeFile));
      }
    }
    loads.push(loadavg()[0]);
    const peer = (kind, extra) => child(opts.python, [PEER, kind, ...extra]);

    // 4. Read everything back with both readers.
    const tables = {
      append_freshet: 'append',
      append_deltalake: 'append',
      merge_freshet: 'merge',
      merge_deltalake: 'merge',
    };
    const checks = [];
    const byPeer = await peer(
      'verify',
      Object.keys(tables).flatMap((t) => ['--table', join(lake, t)]),
    );
    for (const [name, op] of Object.entries(tables)) {
      const table = await DeltaTable.open(store, name);
      const select = await prepareSnapshotSelect(table, await table.snapshot());
      const read = {
        duckdb: await sums(conn, select),
        deltalake: byPeer.tables[join(lake, name)],
      };
      for (const [reader, got] of Object.entries(read)) {
        const want = expected[op];
        const ok = ['rows', 'keySum', 'priceSum'].every((k) => String(got[k]) === String(want[k]));
        checks.push({
          table: name,
          reader,
          rows: got.rows,
          'event_id sum': got.keySum,
          'price sum': got.priceSum,
          ok,
        });
      }
    }

    // 5. Report: median time and highest peak over the repetitions.
    const summary = (op, label) => {
      const f = runs[op].freshet;
      const d = runs[op].deltalake;
      const fs = median(f.map((x) => x.seconds));
      const ds = median(d.map((x) => x.seconds));
      return {
        operation: label,
        'Freshet s': fs.toFixed(2),
        'deltalake s': ds.toFixed(2),
        ratio: (ds / fs).toFixed(2),
        'Freshet peak MB': Math.round(Math.max(...f.map((x) => x.peakMB))),
        'deltalake peak MB': Math.round(Math.max(...d.map((x) => x.peakMB))),
      };
    };
    const table = [
      summary('append', `append ${fmt(rows)} rows (new table)`),
      summary('merge', `merge ${fmt(mergeRows)} into ${fmt(baseRows)}`),
    ];
    const mergeF = runs.merge.freshet.at(-1);
    const mergeD = runs.merge.deltalake.at(-1);
    console.log(
      `lake writes: ${fmt(rows)} events of ~${shape.bytes} B; base ${fmt(baseRows)} rows in ${adds.length} files (${mb(baseBytes)} MB); ` +
        `merge ${fmt(updates)} updates (span ${span}) + ${fmt(inserts)} inserts; ` +
        `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB RAM, load ${loads.map((l) => l.toFixed(1)).join(' → ')}; ` +
        `deltalake ${runs.append.deltalake[0].version} (merge streamed_exec=${streamed}), DuckDB ${runs.append.freshet[0].duckdb}` +
        (repeat > 1 ? `; median of ${repeat} runs` : ''),
    );
    console.table(table);
    if (repeat > 1) {
      for (const op of ['append', 'merge']) {
        const each = (side) => runs[op][side].map((x) => x.seconds.toFixed(2)).join(', ');
        console.log(`${op} runs (s): Freshet ${each('freshet')}; deltalake ${each('deltalake')}`);
      }
    }
    console.log(
      `merge files rewritten: Freshet removed ${mergeF.filesRemoved}, added ${mergeF.filesAdded}; ` +
        `deltalake removed ${mergeD.filesRemoved}, added ${mergeD.filesAdded}`,
    );
    const met = table.every((r) => Number(r.ratio) >= 1 && r['Freshet peak MB'] <= 2048);
    console.log(`target (ratio >= 1.0, Freshet peak <= 2048 MB): ${met ? 'met' : 'NOT met'}`);
    console.table(checks);
    const bad = checks.filter((c) => !c.ok);
    if (bad.length > 0) {
      throw new Error(
        `read-back mismatch in ${bad.map((c) => `${c.table} (${c.reader})`).join(', ')}; expected append ${JSON.stringify(expected.append)}, merge ${JSON.stringify(expected.merge)}`,
      );
    }
  } finally {
    session.close();
    if (!opts.keep && !opts.dir) await rm(work, { recursive: true, force: true });
    else progress(`kept ${work}`);
  }
}

/**
 * Retail POS events for the ids in `ids` (a SELECT of column e), deterministic per (id, salt):
 * an update ('u') of an event keeps its store, SKU and time but gets a new qty, price and payload.
 */
function eventsSelect(ids, salt) {
  const h = `hash(e, '${salt}')`;
  return `SELECT e::BIGINT AS event_id,
      'S' || lpad((1 + hash(e) % 800)::VARCHAR, 4, '0') AS store_id,
      'SKU-' || lpad((1 + (hash(e) >> 16) % 3000)::VARCHAR, 6, '0') AS sku,
      (1 + ${h} % 5)::INTEGER AS qty,
      (500 + (${h} >> 8) % 200000)::BIGINT AS price_paise,
      TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_microseconds((e * 86400 + hash(e) % 80000)::BIGINT) AS event_ts,
      '{"channel":"pos","terminal":"T' || lpad(((${h} >> 24) % 64)::VARCHAR, 2, '0') ||
        '","cashier":"C' || lpad(((${h} >> 32) % 5000)::VARCHAR, 4, '0') ||
        '","tender":"' || ['cash', 'card', 'upi', 'wallet'][1 + ((${h} >> 48) % 4)::INTEGER] ||
        '","basket":"' || md5(e::VARCHAR || '${salt}') ||
        '","loyalty":"' || left(md5(((hash(e) >> 20) % 200000)::VARCHAR), 16) ||
        '","receipt":"' || md5(e::VARCHAR || 'r' || '${salt}') ||
        '","lines":' || (1 + (${h} >> 56) % 9)::VARCHAR || '}' AS payload
    FROM (${ids})`;
}

async function copyTo(conn, select, file) {
  await conn.run(`COPY (${select}) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION snappy)`);
}

async function sums(conn, select) {
  const [r] = await conn.rows(
    `SELECT count(*)::VARCHAR AS rows, sum(event_id)::VARCHAR AS keySum, sum(price_paise)::VARCHAR AS priceSum FROM (${select})`,
  );
  return r;
}

/** Runs a measurement process; its last stdout line is a JSON result. stderr passes through. */
function child(command, args) {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0)
        return reject(new Error(`${command} ${args.join(' ')} exited with ${code}\n${out}`));
      try {
        resolvePromise(JSON.parse(out.trim().split('\n').at(-1)));
      } catch {
        reject(new Error(`${command} ${args[0]} printed no JSON result:\n${out}`));
      }
    });
  });
}

// --- a child: one Freshet measurement ---------------------------------------------------------

async function runChild() {
  const session = await Session.open();
  const conn = session.connection;
  const [{ v: duckdb }] = await conn.rows('SELECT version() AS v');
  const store = new LocalObjectStore(opts.root);
  const tmpDir = join(opts.root, '..', 'tmp', `${opts.child}-${process.pid}`);
  const [inputFile] = opts.input;
  const relation = parquet(inputFile);
  let result;
  const t0 = performance.now();
  if (opts.child === 'append') {
    const table = await DeltaTable.open(store, opts.table);
    await table.create({ schema: await deltaSchemaOf(conn, relation) });
    const add = await writeDataFile(conn, relation, table, tmpDir);
    const version = await table.append([add]);
    result = { version, size: add.size };
  } else if (opts.child === 'merge') {
    const table = await DeltaTable.open(store, opts.table);
    const r = await mergeInto(conn, table, relation, { on: ['event_id'], tmpDir });
    result = r;
  } else fail(`unknown child ${opts.child}`);
  const seconds = (performance.now() - t0) / 1000;
  session.close();
  await rm(tmpDir, { recursive: true, force: true });
  // maxRSS is in kilobytes.
  const peakMB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ ...result, seconds, peakMB, duckdb }));
}

// --- small helpers ----------------------------------------------------------------------------

function count(name) {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1)
    fail(`--${name} must be a positive integer, got ${opts[name]}`);
  return n;
}

function fail(message) {
  console.error(`bench:lake: ${message}`);
  process.exit(2);
}

function progress(message) {
  process.stderr.write(`${message}\n`);
}

/** A Parquet file as a relation (a parenthesised SELECT, which DESCRIBE accepts too). */
const parquet = (file) => `(SELECT * FROM read_parquet(${quoteLiteral(file)}))`;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** Flushes dirty pages (the inputs and table copies just written) so no measurement pays for them. */
const settle = () =>
  new Promise((done) => spawn('sync', { stdio: 'ignore' }).on('close', done).on('error', done));
const list = (files) => `[${files.map(quoteLiteral).join(', ')}]`;
const secs = (ms) => (ms / 1000).toFixed(1);
const mb = (bytes) => Math.round(bytes / 2 ** 20);
const fmt = (n) =>
  n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n);

// Last, so every helper above is initialised.
if (opts.child) await runChild();
else await main();
