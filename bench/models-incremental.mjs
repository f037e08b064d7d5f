// Incremental model runs, Freshet against dbt (`dbt build` with dbt-duckdb), on the same project
// and the same DuckDB database.
//
//   npm run build && npm run bench:models [-- --rows 16000000 --new 50000 --repeat 3]
//
// Needs python3 with dbt-core and dbt-duckdb (test/peers/requirements.txt; `--python` to choose
// the interpreter). Full size takes about 5 GB of disk in the temp folder (`--dir` elsewhere).
//
// The project is bench/models-project/: 10 dbt models over a POS events table (3 staging views;
// `sales`, incremental append on _loaded_at; five incremental delete+insert marts keyed by
// (store, day), (SKU, day), (store, SKU), (category, day), (region, day), some reading other
// marts or their own table; a small `store_leaderboard` table rebuilt every run). Both engines
// support the strategies it uses; dbt-duckdb 1.9 has append and delete+insert, not merge.
//
// Steps, each engine on its own copy of one DuckDB file (DuckDB 1.5.6 on both sides):
//   1. untimed: raw.events with `--rows` events (800 stores, 3,000 SKUs, a year of sales, 3%
//      returns), raw.stores, raw.products, generated with DuckDB SQL from hashes (deterministic);
//   2. full build, timed (a first run; dbt has no tables yet, Freshet runs with fullRefresh);
//   3. `--repeat` times: append `--new` events (a fresh batch each time: loaded later, mostly on
//      a new day, 2% late by 1-3 days; untimed, then CHECKPOINT) and time one incremental run;
//   4. `--repeat` times: a run with no new input;
//   5. every model's rows are compared between the two databases (count and a hash of all
//      columns); the run fails if any differs.
// The sides take turns going first. Tables report medians.
//
// How each side runs, and what "DuckDB ms" is:
//   Freshet  in-process, as the platform's model loop does: the DuckDB database stays open and
//            the project stays parsed between runs; one run = ModelRunner.run in one transaction
//            (what ModelLoop does). DuckDB ms = the growth of Connection.execMs over the run: wall
//            time around every statement the runner sent, BEGIN/COMMIT and catalog lookups
//            included.
//   dbt      `dbt build` as a process per run (the project has no tests, so build = run), wall
//            time from spawn to exit, with threads: 1 (models one after another, as Freshet
//            runs them; `--dbt-threads` to change). DuckDB ms = the time dbt-duckdb spent inside
//            DuckDB, measured by bench/peers/dbt_timed.py (dbt's own entry point with a clock
//            around every statement, result fetch, database open and close; see that file for
//            why not DuckDB's profiler or run_results.json's execute phases).
//   Freshet CLI  `freshet models build --project DIR --database FILE`, a process per run, wall
//            time only (skipped with a note when the command does not exist).
// overhead = wall − DuckDB ms: what the tool itself costs around the SQL (process start, parsing,
// Jinja, catalog caches, its own bookkeeping). Both use DuckDB with threads = 2
// (`--duckdb-threads`). DuckDB ms is also split by kind of statement, with the same rule on both
// sides (the model's SQL as its materialization runs it; catalog lookups; BEGIN/COMMIT), and the
// overhead is printed a second time counting catalog lookups as the tool's own work.
//
// Other flags: `--statements N` prints Freshet's N slowest statements of its median runs;
// `--autocommit` runs Freshet's models without the enclosing transaction (each statement commits,
// as in dbt); `--skip-unchanged` lets Freshet leave an incremental model alone when the models it
// reads did not change in the run; `--keep` or `--dir DIR` keep the databases and projects.
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Session, quoteIdent } from '../dist/engine/index.js';
import { ModelRunner } from '../dist/models/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const PROJECT = join(here, 'models-project');
const PEER = join(here, 'peers', 'dbt_timed.py');
const CLI = join(root, 'bin', 'freshet.js');

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '16000000' },
    new: { type: 'string', default: '50000' },
    repeat: { type: 'string', default: '3' },
    'duckdb-threads': { type: 'string', default: '2' },
    'dbt-threads': { type: 'string', default: '1' },
    statements: { type: 'string', default: '0' },
    python: { type: 'string', default: process.env.PYTHON ?? 'python3' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    autocommit: { type: 'boolean', default: false },
    'skip-unchanged': { type: 'boolean', default: false },
  },
});

const DB = 'warehouse.duckdb';

async function main() {
  const rows = count('rows');
  const newRows = count('new');
  const repeat = count('repeat');
  const threads = count('duckdb-threads');
  const dbtThreads = count('dbt-threads');
  const topStatements = Number(opts.statements);

  const work = opts.dir
    ? resolve(opts.dir)
    : await mkdtemp(join(tmpdir(), 'freshet-bench-models-'));
  await mkdir(work, { recursive: true });
  const dirs = { freshet: join(work, 'freshet'), dbt: join(work, 'dbt') };
  const files = { freshet: join(dirs.freshet, DB), dbt: join(dirs.dbt, DB) };
  let session;
  try {
    // 1. The raw tables (untimed), then one copy of the database and the project per engine.
    const t0 = performance.now();
    const base = join(work, DB);
    await rm(base, { force: true });
    {
      const s = await Session.open({ path: base, threads });
      for (const sql of rawTablesSql(rows)) await s.connection.run(sql);
      await s.connection.run('CHECKPOINT');
      s.close();
    }
    progress(`raw tables: ${fmt(rows)} events in ${secs(performance.now() - t0)} s`);
    for (const side of ['freshet', 'dbt']) {
      await rm(dirs[side], { recursive: true, force: true });
      await cp(PROJECT, dirs[side], { recursive: true });
      await cp(base, files[side]);
    }
    await rm(base);
    // The same profile for both (the CLI reads it; the in-process runner is given its target).
    for (const side of ['freshet', 'dbt']) {
      await writeFile(
        join(dirs[side], 'profiles.yml'),
        [
          'freshet_bench:',
          '  target: dev',
          '  outputs:',
          '    dev:',
          '      type: duckdb',
          `      path: ${JSON.stringify(files[side])}`,
          '      schema: main',
          `      threads: ${dbtThreads}`,
          '      settings:',
          `        threads: ${threads}`,
          '',
        ].join('\n'),
      );
    }

    // The Freshet side stays resident, as in the platform.
    session = await Session.open({ path: files.freshet, threads });
    const conn = session.connection;
    const [{ v: duckdbVersion }] = await conn.rows('SELECT version() AS v');
    const runner = await ModelRunner.open(dirs.freshet, {
      target: { name: 'dev', schema: 'main', type: 'duckdb', database: 'warehouse', threads: 1 },
    });
    // Every statement of the runner's connection, to split DuckDB time by kind (costs a
    // performance.now() pair per statement, inside Freshet's timed runs).
    const statementLog = recordStatements(conn);

    const sides = {
      freshet: (o) => freshetRun(conn, runner, o, !opts.autocommit),
      dbt: () => dbtRun(dirs.dbt),
    };
    const appendTo = {
      // Another connection, so the runner's connection only ever runs models.
      freshet: async (batch) => {
        const c = await session.connect();
        try {
          await c.run(appendSql(rows, newRows, batch));
          await c.run('CHECKPOINT');
        } finally {
          c.close();
        }
      },
      dbt: (batch) => appendToFile(files.dbt, threads, appendSql(rows, newRows, batch)),
    };

    const loads = [loadavg()[0]];
    // 2. Full build.
    const full = {};
    for (const side of ['freshet', 'dbt']) {
      progress(`full build: ${side} …`);
      full[side] = await sides[side]({ fullRefresh: true });
      progress(`full build: ${side} ${secs(full[side].wall)} s`);
    }

    // 3. Incremental runs over `--new` new events, 4. runs with no new input.
    const inc = { freshet: [], dbt: [] };
    const idle = { freshet: [], dbt: [] };
    for (let r = 0; r < repeat; r++) {
      const order = r % 2 === 0 ? ['freshet', 'dbt'] : ['dbt', 'freshet'];
      for (const side of order) await appendTo[side](r + 1);
      for (const side of order) {
        statementLog.clear();
        const run = await sides[side]({});
        if (side === 'freshet') run.kinds = kindsOf((run.statements = [...statementLog]));
        inc[side].push(run);
        progress(`incremental ${r + 1}/${repeat}: ${side} ${ms(run.wall)} ms`);
      }
    }
    for (let r = 0; r < repeat; r++) {
      const order = r % 2 === 0 ? ['freshet', 'dbt'] : ['dbt', 'freshet'];
      for (const side of order) {
        statementLog.clear();
        const run = await sides[side]({});
        if (side === 'freshet') run.kinds = kindsOf((run.statements = [...statementLog]));
        idle[side].push(run);
        progress(`no new input ${r + 1}/${repeat}: ${side} ${ms(run.wall)} ms`);
      }
    }
    loads.push(loadavg()[0]);
    session.close();
    session = undefined;

    // 5. Both databases must hold the same rows in every model.
    progress('comparing the two databases …');
    const checks = await compare(files, runner.order, threads);

    // 6. The CLI, a process per run, on Freshet's database (new batches, so it has work to do).
    const cli = await cliRuns(dirs.freshet, files.freshet, repeat, (batch) =>
      appendToFile(files.freshet, threads, appendSql(rows, newRows, batch)),
    );

    // Report.
    const med = (runs, key) => median(runs.map((x) => x[key]));
    const summary = (label, side) => ({
      engine: label,
      'incremental ms': ms(med(inc[side], 'wall')),
      'DuckDB ms': ms(med(inc[side], 'duckdb')),
      'overhead ms': ms(med(inc[side], 'overhead')),
      'no-input ms': ms(med(idle[side], 'wall')),
      'no-input overhead ms': ms(med(idle[side], 'overhead')),
      'full build s': secs(full[side].wall),
    });
    const f = summary('Freshet (in-process)', 'freshet');
    const d = summary(`dbt build (dbt-duckdb ${dbtVersion(inc.dbt[0])})`, 'dbt');
    const ratio = (key) => (Number(d[key]) / Number(f[key])).toFixed(1);
    const table = [
      f,
      d,
      cli.available
        ? {
            engine: 'Freshet CLI (process per run)',
            'incremental ms': ms(median(cli.inc)),
            'DuckDB ms': '',
            'overhead ms': '',
            'no-input ms': ms(median(cli.idle)),
            'no-input overhead ms': '',
            'full build s': '',
          }
        : { engine: `Freshet CLI: not available (${cli.reason})` },
      {
        engine: 'ratio dbt / Freshet (in-process)',
        'incremental ms': ratio('incremental ms'),
        'DuckDB ms': ratio('DuckDB ms'),
        'overhead ms': ratio('overhead ms'),
        'no-input ms': ratio('no-input ms'),
        'no-input overhead ms': ratio('no-input overhead ms'),
        'full build s': ratio('full build s'),
      },
    ];
    console.log(
      `model runs: 10 models over ${fmt(rows)} events, incremental runs over ${fmt(newRows)} new events; ` +
        `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB RAM, load ${loads.map((l) => l.toFixed(1)).join(' → ')}; ` +
        `DuckDB ${duckdbVersion} (threads ${threads}), dbt threads ${dbtThreads}; ` +
        `Freshet runs ${opts.autocommit ? 'without a transaction (autocommit, --autocommit)' : 'in one transaction'}; median of ${repeat} runs`,
    );
    console.table(table);
    const each = (runs, key = 'wall') => runs.map((x) => ms(x[key])).join(', ');
    console.log(
      `incremental runs (ms): Freshet ${each(inc.freshet)} (overhead ${each(inc.freshet, 'overhead')}); ` +
        `dbt ${each(inc.dbt)} (overhead ${each(inc.dbt, 'overhead')})`,
    );
    console.log(
      `no-input runs (ms): Freshet ${each(idle.freshet)} (overhead ${each(idle.freshet, 'overhead')}); ` +
        `dbt ${each(idle.dbt)} (overhead ${each(idle.dbt, 'overhead')})` +
        (cli.available
          ? `; CLI incremental ${cli.inc.map(ms).join(', ')}, no-input ${cli.idle.map(ms).join(', ')}`
          : ''),
    );
    const dbtInc = inc.dbt[medianIndex(inc.dbt.map((x) => x.wall))];
    console.log(
      `dbt's DuckDB time in its median incremental run: ${dbtInc.duckdbParts}; ` +
        `run_results.json: ${ms(dbtInc.nodeExecutionMs)} ms summed over the nodes' execution_time ` +
        `(${ms(dbtInc.nodeExecuteMs)} ms in their execute phases), elapsed_time ${ms(dbtInc.elapsedMs)} ms`,
    );
    const targets = {
      'Freshet overhead <= 20 ms': Number(f['overhead ms']) <= 20,
      'whole run >= 5x faster than dbt': Number(ratio('incremental ms')) >= 5,
      'no-input run < 50 ms': Number(f['no-input ms']) < 50,
    };
    console.log(
      `targets: ${Object.entries(targets)
        .map(([k, ok]) => `${k}: ${ok ? 'met' : 'NOT met'}`)
        .join('; ')}`,
    );

    // Per model, in the median incremental run of each side.
    const fInc = inc.freshet[medianIndex(inc.freshet.map((x) => x.wall))];
    const fIdle = idle.freshet[medianIndex(idle.freshet.map((x) => x.wall))];
    const dbtNodes = new Map(dbtInc.nodes.map((n) => [n.name, n]));
    console.table(
      fInc.results.map((r, i) => ({
        model: r.name,
        materialized: r.materialized,
        'Freshet action': r.action,
        'Freshet ms': ms(r.ms),
        'Freshet no-input ms': ms(fIdle.results[i]?.ms ?? NaN),
        'dbt execution ms': ms(dbtNodes.get(r.name)?.executionMs ?? NaN),
      })),
    );
    // DuckDB time by kind of statement, in the median runs.
    const dIdle = idle.dbt[medianIndex(idle.dbt.map((x) => x.wall))];
    const byKind = [];
    for (const kind of Object.keys(KIND_LABELS)) {
      const cell = (run) => `${ms(run.kinds[kind].ms)} (${run.kinds[kind].n})`;
      byKind.push({
        'DuckDB ms (statements)': KIND_LABELS[kind],
        'Freshet incremental': cell(fInc),
        'dbt incremental': cell(dbtInc),
        'Freshet no-input': cell(fIdle),
        'dbt no-input': cell(dIdle),
      });
    }
    console.table(byKind);
    const strict = (run) => ms(run.wall - run.kinds.model.ms - run.kinds.transaction.ms);
    console.log(
      `overhead with catalog lookups counted as the tool's own work (wall − model and transaction statements): ` +
        `incremental Freshet ${strict(fInc)} ms, dbt ${strict(dbtInc)} ms; no-input Freshet ${strict(fIdle)} ms, dbt ${strict(dIdle)} ms`,
    );
    if (topStatements > 0) {
      for (const [label, run] of [
        ['incremental', fInc],
        ['no-input', fIdle],
      ]) {
        const list = run.statements;
        const total = list.reduce((n, s) => n + s.ms, 0);
        console.log(
          `Freshet ${label} run: ${list.length} statements, ${ms(total)} ms in DuckDB; the slowest:`,
        );
        console.table(
          [...list]
            .sort((a, b) => b.ms - a.ms)
            .slice(0, topStatements)
            .map((s) => ({ ms: ms(s.ms), sql: s.sql.replace(/\s+/g, ' ').slice(0, 110) })),
        );
      }
    }
    console.table(checks);
    const bad = checks.filter((c) => !c.same);
    if (bad.length > 0)
      throw new Error(`the two databases differ in ${bad.map((c) => c.model).join(', ')}`);
  } finally {
    session?.close();
    if (!opts.keep && !opts.dir) await rm(work, { recursive: true, force: true });
    else progress(`kept ${work}`);
  }
}

// --- the data -----------------------------------------------------------------------------------

/** raw.stores (800), raw.products (3,000) and raw.events (`rows` POS lines over 2025). */
function rawTablesSql(rows) {
  const step = Math.floor((365 * 86400e6) / rows); // microseconds between events
  return [
    'CREATE SCHEMA raw',
    `CREATE TABLE raw.stores AS
       SELECT 'S' || lpad(i::VARCHAR, 4, '0') AS store_id,
         ['Mumbai', 'Delhi', 'Bengaluru', 'Hyderabad', 'Chennai', 'Kolkata', 'Pune', 'Ahmedabad',
          'Jaipur', 'Lucknow'][1 + (hash(i, 'city') % 10)::INTEGER] AS city,
         ['north', 'south', 'east', 'west', 'central'][1 + (hash(i, 'region') % 5)::INTEGER] AS region,
         ['hypermarket', 'supermarket', 'express'][1 + (hash(i, 'format') % 3)::INTEGER] AS format
       FROM range(1, 801) t(i)`,
    `CREATE TABLE raw.products AS
       SELECT 'SKU-' || lpad(i::VARCHAR, 6, '0') AS sku,
         'category-' || lpad((1 + hash(i, 'category') % 20)::VARCHAR, 2, '0') AS category,
         'brand-' || lpad((1 + hash(i, 'brand') % 200)::VARCHAR, 3, '0') AS brand
       FROM range(1, 3001) t(i)`,
    `CREATE TABLE raw.events AS ${eventsSelect(
      `SELECT range AS e FROM range(1, ${rows + 1})`,
      `TIMESTAMP '2025-01-01' + to_microseconds((e - 1) * ${step})`,
      // Loaded in one-minute batches, two minutes after the minute they happened in.
      `date_trunc('minute', TIMESTAMP '2025-01-01' + to_microseconds((e - 1) * ${step})) + INTERVAL 2 MINUTE`,
    )}`,
  ];
}

/** Batch `batch` (1, 2, …) of `n` new events: loaded later than everything before it. */
function appendSql(rows, n, batch) {
  const first = rows + (batch - 1) * n + 1;
  return `INSERT INTO raw.events ${eventsSelect(
    `SELECT range AS e FROM range(${first}, ${first + n})`,
    // Mostly in the minute of the batch on 2026-01-01; 2% happened 1-3 days before (late).
    `TIMESTAMP '2026-01-01' + INTERVAL ${batch} MINUTE + to_microseconds((e - ${first}) * 1000)
       - CASE WHEN (hash(e, 'late') >> 40) % 100 < 2 THEN to_days((1 + (hash(e, 'lag') >> 48) % 3)::INTEGER) ELSE INTERVAL 0 DAY END`,
    `TIMESTAMP '2026-01-01 06:00:00' + to_seconds(${batch})`,
  )}`;
}

/**
 * POS lines for the ids in `ids` (a SELECT of column e). DuckDB's hash(e, salt) of different salts
 * agree in their low bits, so each attribute takes its own bits (else store and SKU would pair up
 * in only 300k of the 2.4M combinations).
 */
function eventsSelect(ids, ts, loadedAt) {
  return `SELECT e::BIGINT AS event_id,
      'S' || lpad((1 + hash(e, 'store') % 800)::VARCHAR, 4, '0') AS store_id,
      'SKU-' || lpad((1 + (hash(e, 'sku') >> 32) % 3000)::VARCHAR, 6, '0') AS sku,
      CASE WHEN (hash(e, 'type') >> 8) % 100 < 3 THEN 'return' ELSE 'sale' END AS event_type,
      (1 + (hash(e, 'qty') >> 16) % 5)::INTEGER AS qty,
      ((49 + (hash(e, 'price') >> 24) % 250000)::DOUBLE / 100)::DECIMAL(10, 2) AS unit_price,
      ${ts} AS event_ts,
      ${loadedAt} AS _loaded_at
    FROM (${ids})`;
}

async function appendToFile(file, threads, sql) {
  const s = await Session.open({ path: file, threads });
  try {
    await s.connection.run(sql);
    await s.connection.run('CHECKPOINT');
  } finally {
    s.close();
  }
}

// --- the sides --------------------------------------------------------------------------------

async function freshetRun(conn, runner, runOpts, oneTransaction) {
  // --skip-unchanged: the loop's shortcut (an incremental model whose model inputs did not change
  // in this run is left as it is); dbt has no such option.
  runOpts = { ...runOpts, skipUnchanged: opts['skip-unchanged'] };
  const exec0 = conn.execMs;
  const t0 = performance.now();
  const results = oneTransaction
    ? await conn.transaction(() => runner.run(conn, runOpts))
    : await runner.run(conn, runOpts);
  const wall = performance.now() - t0;
  const duckdb = conn.execMs - exec0;
  return { wall, duckdb, overhead: wall - duckdb, results };
}

async function dbtRun(projectDir) {
  const timeFile = join(projectDir, 'duckdb-time.json');
  await rm(timeFile, { force: true });
  const t0 = performance.now();
  const out = await child(
    opts.python,
    [PEER, 'build', '--project-dir', projectDir, '--profiles-dir', projectDir],
    {
      ...process.env,
      FRESHET_BENCH_DUCKDB_TIME: timeFile,
      DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
    },
  );
  const wall = performance.now() - t0;
  const spent = JSON.parse(await readFile(timeFile, 'utf8'));
  const results = JSON.parse(
    await readFile(join(projectDir, 'target', 'run_results.json'), 'utf8'),
  );
  const nodes = results.results.map((r) => {
    const phase = r.timing.find((t) => t.name === 'execute');
    return {
      name: r.unique_id.split('.').at(-1),
      status: r.status,
      executionMs: r.execution_time * 1000,
      executeMs: phase ? Date.parse(phase.completed_at) - Date.parse(phase.started_at) : 0,
    };
  });
  const failed = nodes.filter((n) => n.status !== 'success');
  if (failed.length > 0)
    throw new Error(`dbt: ${failed.map((n) => `${n.name} ${n.status}`).join(', ')}\n${out}`);
  const sum = (key) => nodes.reduce((n, x) => n + x[key], 0);
  return {
    wall,
    duckdb: spent.ms,
    overhead: wall - spent.ms,
    duckdbParts:
      `${spent.statements} statements ${ms(spent.execute)} ms, fetch ${ms(spent.fetch)} ms, ` +
      `open ${ms(spent.connect)} ms, close ${ms(spent.close)} ms`,
    kinds: spent.kinds,
    nodes,
    nodeExecutionMs: sum('executionMs'),
    nodeExecuteMs: sum('executeMs'),
    elapsedMs: results.elapsed_time * 1000,
    version: results.metadata?.dbt_version,
  };
}

const dbtVersion = (run) => `dbt-core ${run.version}`;

/** `freshet models build` per run, if this Freshet has it. */
async function cliRuns(projectDir, file, repeat, append) {
  const args = ['models', 'build', '--project', projectDir, '--database', file];
  const probe = await child(process.execPath, [CLI, 'models', 'build', '--help'], process.env, {
    allowFailure: true,
  });
  // commander answers --help of an unknown command with the top-level help, and exit code 0.
  if (probe.code !== 0 || !/--project\b/.test(probe.out) || !/--database\b/.test(probe.out))
    return { available: false, reason: `'freshet models build' is not a command yet` };
  const inc = [];
  const idle = [];
  for (let r = 0; r < repeat; r++) {
    await append(repeat + r + 1);
    const t0 = performance.now();
    await child(process.execPath, [CLI, ...args]);
    inc.push(performance.now() - t0);
    progress(`CLI incremental ${r + 1}/${repeat}: ${ms(inc.at(-1))} ms`);
  }
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    await child(process.execPath, [CLI, ...args]);
    idle.push(performance.now() - t0);
    progress(`CLI no new input ${r + 1}/${repeat}: ${ms(idle.at(-1))} ms`);
  }
  return { available: true, inc, idle };
}

/**
 * Count and a hash of every column of every model, in both databases. Each database is opened as
 * itself (its catalog is named after the file, as dbt's views expect), one after the other.
 */
async function compare(files, models, threads) {
  const got = {};
  for (const [side, file] of Object.entries(files)) {
    const s = await Session.open({ path: file, threads });
    try {
      got[side] = {};
      for (const model of models) {
        const [r] = await s.connection.rows(
          `SELECT count(*)::VARCHAR AS n, sum(hash(t) % 1000000007)::VARCHAR AS h FROM main.${quoteIdent(model)} t`,
        );
        got[side][model] = r;
      }
    } finally {
      s.close();
    }
  }
  return models.map((model) => {
    const [a, b] = [got.freshet[model], got.dbt[model]];
    return {
      model,
      rows: a.n,
      'Freshet hash': a.h,
      'dbt hash': b.h,
      same: a.n === b.n && a.h === b.h,
    };
  });
}

/**
 * What a statement does, by the same rule as bench/peers/dbt_timed.py: BEGIN/COMMIT/ROLLBACK;
 * catalog lookups (information_schema, duckdb_*() functions, DESCRIBE, SHOW, PRAGMA, CREATE
 * SCHEMA); everything else is the models' own SQL as its materialization runs it (CREATE … AS,
 * INSERT, DELETE, the renames and drops of temporary and swapped tables).
 */
const KIND_LABELS = {
  model: 'model SQL and materialization',
  catalog: 'catalog lookups',
  transaction: 'BEGIN / COMMIT',
};
const CATALOG = /information_schema|duckdb_\w+\(|^\s*(describe|show|pragma|create schema)\b/im;
const TRANSACTION = /^\s*(begin|commit|rollback)\b/im;
const kindOf = (sql) =>
  TRANSACTION.test(sql) ? 'transaction' : CATALOG.test(sql) ? 'catalog' : 'model';
function kindsOf(statements) {
  const kinds = Object.fromEntries(Object.keys(KIND_LABELS).map((k) => [k, { ms: 0, n: 0 }]));
  for (const s of statements) {
    const k = kinds[kindOf(s.sql)];
    k.ms += s.ms;
    k.n += 1;
  }
  return kinds;
}

/** Records every statement the connection runs and its time, to show where time goes. */
function recordStatements(conn) {
  const log = [];
  for (const method of ['run', 'query']) {
    const original = conn[method].bind(conn);
    conn[method] = async (sql, params) => {
      const t0 = performance.now();
      try {
        return await original(sql, params);
      } finally {
        log.push({ sql, ms: performance.now() - t0 });
      }
    };
  }
  return { clear: () => (log.length = 0), [Symbol.iterator]: () => log[Symbol.iterator]() };
}

/** Runs a process; returns its output (stdout and stderr), or fails with it. */
function child(command, args, env = process.env, { allowFailure = false } = {}) {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (allowFailure) return resolvePromise({ code, out });
      if (code !== 0)
        return reject(new Error(`${command} ${args.join(' ')} exited with ${code}\n${out}`));
      resolvePromise(out);
    });
  });
}

// --- small helpers ----------------------------------------------------------------------------

function count(name) {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1)
    fail(`--${name} must be a positive integer, got ${opts[name]}`);
  return n;
}

function fail(message) {
  console.error(`bench:models: ${message}`);
  process.exit(2);
}

function progress(message) {
  process.stderr.write(`${message}\n`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** Index of the median element (the lower middle one for an even count). */
const medianIndex = (xs) => {
  const order = xs.map((x, i) => [x, i]).sort((a, b) => a[0] - b[0]);
  return order[Math.floor((order.length - 1) / 2)][1];
};
const ms = (x) => (Number.isFinite(x) ? (x >= 100 ? Math.round(x) : x.toFixed(1)) : '');
const secs = (x) => (x / 1000).toFixed(1);
const fmt = (n) =>
  n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n);

await main();
