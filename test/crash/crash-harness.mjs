// Crash harness: runs `freshet up` on a deterministic simulated stream and kills it with SIGKILL
// at seeded random moments, restarting it each time; at the end every event id must be in bronze
// exactly once.
//
//   npm run crash -- --events 1000000 --kills 50 --seed 1
//
// Progress goes to stderr; the summary table to stdout (`--json` prints it as JSON instead, for
// test/crash/crash.test.ts). Kill moments are drawn from --seed: for each kill an event count
// (uniform over the stream) and a delay of 0-400 ms after the source has saved that position,
// and one kill in ten lands at a random time during start-up (recovery, restoring the serving
// tables from the lake). Wall-clock timing still varies between runs, so the phases hit do too.
//
// After each kill the harness inspects the data dir to tell what the process was doing:
//   startup             killed before the dashboard was up (log recovery, lake → DuckDB restore)
//   log-torn-tail       the last segment of a partition ends in an incomplete or corrupt record
//   log-ahead           the log holds records past the source's saved position (an append in
//                       flight, or acknowledged but the source's position not saved yet)
//   source-position     the source's position file was being replaced (simulator.json.tmp)
//   parquet-write       a Parquet file was being written (data dir tmp/)
//   uncommitted-<layer> a data file staged into a table but no Delta commit references it
//   delta-commit        a commit file was being written (a *.freshet-tmp in _delta_log)
//   checkpoint          a Delta checkpoint was being written (its temp dir, or a checkpoint
//                       file newer than _last_checkpoint)
//   bronze-behind       the log held events not yet committed to bronze (work in flight)
// A kill can hit several at once.
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, mkdir, open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const FRESHET_BIN = fileURLToPath(new URL('../../bin/freshet.js', import.meta.url));
const CODEC = new URL('../../dist/log/record-codec.js', import.meta.url);
const run = promisify(execFile);
// The bronze tables of the simulator's topics, from the built event contract.
const TOPICS = (await import('../../dist/retail/index.js')).TOPICS.map((t) =>
  t.topic.replace('.', '_'),
);
const BRONZE_IDS = TOPICS.map((t) => `select event_id from bronze.${t}`).join(' union all ');
const BRONZE_ROWS = TOPICS.map(
  (t) => `select event_id, _topic, _partition, _offset from bronze.${t}`,
).join(' union all ');

/** mulberry32: a small seeded PRNG, the same on every Node version. */
function prng(seed) {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n) => n.toLocaleString('en-US');

async function list(dir) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
}

async function readJson(path) {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Reads what the data dir says about the moment of a kill, incrementally across kills. */
class Inspector {
  constructor(dataDir, osTmp) {
    this.dataDir = dataDir;
    this.osTmp = osTmp;
    /** path of a segment → { pos, count } of its valid prefix already scanned */
    this.segments = new Map();
    /** table dir → { read: Set<json name>, referenced: Set<path>, orphans: Set<path>, txns: Map } */
    this.tables = new Map();
    this.staleCheckpoints = new Set();
    this.temps = new Set();
    this.codec = null;
  }

  async inspect() {
    this.codec ??= await import(CODEC);
    const phases = new Set();
    const logEnds = await this.scanLog(phases);
    const cp = await readJson(join(this.dataDir, 'sources', 'simulator.json'));
    if (cp) {
      for (const [topic, ends] of Object.entries(logEnds)) {
        if (ends.some((end, p) => end > (cp.logEnds?.[topic]?.[p] ?? 0))) phases.add('log-ahead');
      }
    }
    if (await this.newTemp(join(this.dataDir, 'sources'), (n) => n.endsWith('.tmp')))
      phases.add('source-position');
    if (await this.newTemp(join(this.dataDir, 'tmp'), (n) => n.endsWith('.parquet')))
      phases.add('parquet-write');
    if ((await list(this.osTmp)).some((e) => e.name.startsWith('freshet-checkpoint-')))
      phases.add('checkpoint');
    let bronzeLag = 0;
    for (const layer of ['bronze', 'silver', 'gold']) {
      for (const t of await list(join(this.dataDir, 'lake', layer))) {
        if (!t.isDirectory()) continue;
        const table = await this.scanTable(join(this.dataDir, 'lake', layer, t.name), layer);
        for (const p of table.phases) phases.add(p);
        if (layer === 'bronze') {
          for (const [key, ends] of Object.entries(logEnds)) {
            if (key.replace(/[^A-Za-z0-9_]/g, '_') !== t.name) continue;
            ends.forEach((end, p) => {
              const done = table.txns.get(`freshet-bronze:${key}:${p}`);
              bronzeLag += end - (done === undefined ? 0 : done + 1);
            });
          }
        }
      }
    }
    if (bronzeLag > 0) phases.add('bronze-behind');
    await rm(this.osTmp, { recursive: true, force: true });
    await mkdir(this.osTmp, { recursive: true });
    return { phases: [...phases], bronzeLag, logEnds };
  }

  /**
   * True when `dir` holds a matching file not seen at an earlier kill: temp files a kill leaves
   * behind stay there (a later run may or may not clean them up), so only new ones count.
   */
  async newTemp(dir, match) {
    let found = false;
    for (const e of await list(dir)) {
      if (!match(e.name)) continue;
      const st = await stat(join(dir, e.name)).catch(() => null);
      const key = `${dir}/${e.name}:${st?.mtimeMs}:${st?.size}`;
      if (st && !this.temps.has(key)) {
        this.temps.add(key);
        found = true;
      }
    }
    return found;
  }

  /** End offset of every partition, by scanning each last segment; notes a torn tail. */
  async scanLog(phases) {
    const { decodeFrame } = this.codec;
    const logDir = join(this.dataDir, 'log');
    const ends = {};
    for (const topic of await list(logDir)) {
      if (!topic.isDirectory()) continue;
      const parts = (await list(join(logDir, topic.name)))
        .filter((e) => e.isDirectory())
        .map((e) => Number(e.name))
        .sort((a, b) => a - b);
      ends[topic.name] = [];
      for (const p of parts) {
        const dir = join(logDir, topic.name, String(p));
        const segs = (await list(dir))
          .map((e) => e.name)
          .filter((n) => /^\d{20}\.log$/.test(n))
          .sort();
        if (segs.length === 0) {
          ends[topic.name][p] = 0;
          continue;
        }
        const last = segs[segs.length - 1];
        const base = Number(last.slice(0, 20));
        const path = join(dir, last);
        const known = this.segments.get(path) ?? { pos: 0, count: 0 };
        const fh = await open(path, 'r');
        try {
          const { size } = await fh.stat();
          // Recovery may have cut off bytes after our valid prefix; never before it.
          let pos = Math.min(known.pos, size);
          let count = known.count;
          const buf = Buffer.allocUnsafe(size - pos);
          await fh.read(buf, 0, buf.length, pos);
          let at = 0;
          let torn = false;
          while (at < buf.length) {
            const f = decodeFrame(buf, at, buf.length);
            if (f.kind !== 'record') {
              torn = true;
              break;
            }
            at += f.frameBytes;
            count++;
          }
          pos += at;
          if (torn) phases.add('log-torn-tail');
          this.segments.set(path, { pos, count });
          ends[topic.name][p] = base + count;
        } finally {
          await fh.close();
        }
      }
    }
    return ends;
  }

  async scanTable(dir, layer) {
    let t = this.tables.get(dir);
    if (!t) {
      t = { read: new Set(), referenced: new Set(), orphans: new Set(), txns: new Map() };
      this.tables.set(dir, t);
    }
    const phases = new Set();
    const logDir = join(dir, '_delta_log');
    const entries = (await list(logDir)).map((e) => e.name).sort();
    if (await this.newTemp(logDir, (n) => n.includes('.freshet-tmp'))) phases.add('delta-commit');
    for (const name of entries) {
      if (!/^\d{20}\.json$/.test(name) || t.read.has(name)) continue;
      const text = await readFile(join(logDir, name), 'utf8');
      for (const line of text.split('\n')) {
        if (!line) continue;
        const action = JSON.parse(line);
        if (action.add) t.referenced.add(decodeURIComponent(action.add.path));
        if (action.txn) {
          const prev = t.txns.get(action.txn.appId) ?? -1;
          t.txns.set(action.txn.appId, Math.max(prev, action.txn.version));
        }
      }
      t.read.add(name);
    }
    const hint = await readJson(join(logDir, '_last_checkpoint'));
    for (const name of entries) {
      const m = /^(\d{20})\.checkpoint\.parquet$/.exec(name);
      if (!m || this.staleCheckpoints.has(`${dir}/${name}`)) continue;
      if (!hint || Number(m[1]) > hint.version) {
        this.staleCheckpoints.add(`${dir}/${name}`);
        phases.add('checkpoint');
      }
    }
    for (const file of await dataFiles(dir, '')) {
      if (t.referenced.has(file) || t.orphans.has(file)) continue;
      t.orphans.add(file);
      phases.add(`uncommitted-${layer}`);
    }
    return { phases, txns: t.txns };
  }
}

async function dataFiles(dir, prefix) {
  const out = [];
  for (const e of await list(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name !== '_delta_log' && e.name !== 'metadata')
        out.push(...(await dataFiles(dir, rel)));
    } else if (e.name.endsWith('.parquet')) out.push(rel);
  }
  return out;
}

/** `freshet up` as a child process. */
function startFreshet(dataDir, args, env) {
  const child = spawn(process.execPath, [FRESHET_BIN, 'up', '--data-dir', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const p = { child, output: '', url: null, readyAt: null, startedAt: performance.now() };
  const onData = (d) => {
    p.output += d.toString();
    if (p.output.length > 200_000) p.output = p.output.slice(-100_000);
    if (!p.url) {
      const m = /dashboard\s+(http:\/\/\S+?)\/\s/.exec(p.output);
      if (m) {
        p.url = m[1];
        p.readyAt = performance.now();
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  p.exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return p;
}

async function sourcePosition(dataDir) {
  return (await readJson(join(dataDir, 'sources', 'simulator.json')))?.nextSeq ?? 0;
}

async function freshetSql(dataDir, query) {
  const { stdout } = await run(
    process.execPath,
    [FRESHET_BIN, 'sql', query, '--data-dir', dataDir, '--format', 'json'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout);
}

export async function runCrashHarness(o) {
  const log = o.quiet ? () => undefined : (line) => process.stderr.write(`${line}\n`);
  const root = o.dataDir ? null : await mkdtemp(join(tmpdir(), 'freshet-crash-'));
  const dataDir = o.dataDir ?? join(root, 'data');
  const osTmp = join(root ?? dataDir + '.ostmp', 'ostmp');
  await mkdir(osTmp, { recursive: true });
  const env = { TMPDIR: osTmp };
  const args = [
    '--port',
    '0',
    '--seed',
    String(o.seed),
    '--max-events',
    String(o.events),
    '--rate',
    String(o.rate),
    '--stores',
    String(o.stores),
    '--skus',
    String(o.skus),
    '--bronze-interval',
    String(o.bronzeInterval),
    '--compact-interval',
    String(o.compactInterval),
    '--publish-interval',
    '1000',
  ];
  const rand = prng(o.seed);
  const targets = Array.from({ length: o.kills }, () => Math.floor(rand() * o.events)).sort(
    (a, b) => a - b,
  );
  const plan = targets.map((target) => ({
    target,
    startup: rand() < 0.1,
    startupShare: rand(),
    delayMs: Math.floor(rand() * 400),
  }));
  const inspector = new Inspector(dataDir, osTmp);
  const started = performance.now();
  const kills = [];
  const phaseCounts = new Map();
  let startupMs = 3000;
  log(
    `crash harness: ${fmt(o.events)} events, ${o.kills} kills, seed ${o.seed}, data dir ${dataDir}`,
  );
  for (let i = 0; i < plan.length; i++) {
    const k = plan[i];
    const p = startFreshet(dataDir, args, env);
    let exitedEarly = null;
    void p.exited.then((e) => (exitedEarly = e));
    if (k.startup) {
      await sleep(k.startupShare * startupMs);
    } else {
      while (!p.url && !exitedEarly) await sleep(20);
      if (p.readyAt) startupMs = p.readyAt - p.startedAt;
      // A source that stops moving does not hang the harness: the kill comes after 2 min anyway.
      const deadline = performance.now() + 120_000;
      while (
        !exitedEarly &&
        performance.now() < deadline &&
        (await sourcePosition(dataDir)) < k.target
      )
        await sleep(20);
      await sleep(k.delayMs);
    }
    if (exitedEarly)
      throw new Error(
        `freshet up exited on its own (${JSON.stringify(exitedEarly)}):\n${p.output}`,
      );
    const ready = p.url !== null;
    const at = (performance.now() - p.startedAt) / 1000;
    p.child.kill('SIGKILL');
    await p.exited;
    const seq = await sourcePosition(dataDir);
    const seen = await inspector.inspect();
    const phases = ready ? seen.phases : ['startup', ...seen.phases];
    if (phases.length === 0) phases.push('idle');
    for (const ph of phases) phaseCounts.set(ph, (phaseCounts.get(ph) ?? 0) + 1);
    kills.push({ at, seq, phases, bronzeLag: seen.bronzeLag });
    log(
      `kill ${i + 1}/${plan.length} after ${at.toFixed(2)} s, source at ${fmt(seq)}, ` +
        `bronze behind by ${fmt(seen.bronzeLag)}: ${phases.join(', ')}`,
    );
  }

  log('final run: waiting for every event to reach bronze…');
  const p = startFreshet(dataDir, args, env);
  while (!p.url) {
    if (p.child.exitCode !== null) throw new Error(`freshet up exited early:\n${p.output}`);
    await sleep(100);
  }
  const deadline = Date.now() + o.finalTimeoutMs;
  for (;;) {
    let n = 0;
    try {
      const res = await fetch(`${p.url}/api/sql`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sql: `select count(*) as n from (${BRONZE_IDS})` }),
      });
      if (res.ok) n = Number((await res.json()).rows[0].n);
    } catch {
      // not answering yet
    }
    if (n >= o.events) break;
    if (Date.now() > deadline) {
      p.child.kill('SIGKILL');
      throw new Error(`bronze holds ${n} of ${o.events} events after ${o.finalTimeoutMs} ms`);
    }
    await sleep(500);
  }
  p.child.kill('SIGINT');
  const exit = await p.exited;
  // A failed clean stop is reported, and bronze is still checked: the stop commits bronze first.
  const cleanStop =
    exit.code === 0
      ? { ok: true, error: null }
      : {
          ok: false,
          error: (/freshet: stopping failed: ([^\n]+)/.exec(p.output)?.[1] ?? p.output.slice(-2000))
            .trim()
            .slice(0, 500),
        };
  if (!cleanStop.ok) log(`freshet up did not stop cleanly (exit ${exit.code}): ${cleanStop.error}`);

  const [row] = await freshetSql(
    dataDir,
    `with ids as (${BRONZE_ROWS}),
          seqs as (select *, try_cast(split_part(event_id, '-', 3) as bigint) as seq,
                          starts_with(event_id, 'sim-${o.seed}-') as ours from ids)
     select count(*) as rows, count(distinct event_id) as ids,
            count(distinct seq) filter (where ours and seq between 0 and ${o.events - 1}) as in_range,
            count(*) filter (where not ours) as foreign,
            -- A duplicate at the same log position is bronze's doing; at another one, the log's.
            count(*) - count(distinct (_topic, _partition, _offset)) as same_offset
     from seqs`,
  );
  let verify = null;
  if (o.verify) {
    const r = await run(
      process.execPath,
      [FRESHET_BIN, 'verify', '--data-dir', dataDir, '--json'],
      {
        maxBuffer: 256 * 1024 * 1024,
      },
    ).catch((err) => err);
    const report = JSON.parse(r.stdout);
    verify = {
      ok: r.code === undefined || r.code === 0,
      mismatches: report.mismatches.length,
      goldRows: report.goldRows,
      oracleRows: report.oracleRows,
      eventsNotInLake: report.eventsNotInLake,
    };
  }
  const summary = {
    events: o.events,
    kills: kills.length,
    startupKills: kills.filter((k) => k.phases.includes('startup')).length,
    phases: Object.fromEntries([...phaseCounts].sort((a, b) => b[1] - a[1])),
    bronzeRows: Number(row.rows),
    duplicates: Number(row.rows) - Number(row.ids),
    missing: o.events - Number(row.in_range),
    foreign: Number(row.foreign),
    duplicatesAtSameLogPosition: Number(row.same_offset),
    verify,
    cleanStop,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    killLog: kills,
  };
  summary.ok =
    summary.duplicates === 0 &&
    summary.missing === 0 &&
    summary.foreign === 0 &&
    summary.bronzeRows === o.events &&
    cleanStop.ok &&
    (verify === null || verify.ok);
  if (root && !o.keep) await rm(root, { recursive: true, force: true });
  return summary;
}

export function printSummary(s) {
  const rows = [
    ['events', fmt(s.events)],
    ['kills (SIGKILL)', `${s.kills} (${s.startupKills} during start-up)`],
    ...Object.entries(s.phases).map(([ph, n]) => [`  phase: ${ph}`, `${n} kills`]),
    ['rows in bronze', fmt(s.bronzeRows)],
    [
      'duplicates',
      s.duplicates === 0
        ? '0'
        : `${fmt(s.duplicates)} (${fmt(s.duplicatesAtSameLogPosition)} at a log position bronze already held, the rest appended twice to the log)`,
    ],
    ['missing', fmt(s.missing)],
    ['foreign ids', fmt(s.foreign)],
  ];
  if (s.verify)
    rows.push([
      'gold vs oracle',
      s.verify.ok ? `equal (${fmt(s.verify.goldRows)} rows)` : `${s.verify.mismatches} mismatches`,
    ]);
  rows.push(['clean stop at the end', s.cleanStop.ok ? 'yes' : `NO: ${s.cleanStop.error}`]);
  rows.push(
    ['time', `${s.seconds} s`],
    ['result', s.ok ? 'PASS: every event exactly once' : 'FAIL'],
  );
  const w = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '1000000' },
      kills: { type: 'string', default: '50' },
      seed: { type: 'string', default: '1' },
      rate: { type: 'string', default: '100000' },
      stores: { type: 'string', default: '100' },
      skus: { type: 'string', default: '1000' },
      'bronze-interval': { type: 'string', default: '100' },
      'compact-interval': { type: 'string', default: '2000' },
      'data-dir': { type: 'string' },
      'final-timeout': { type: 'string', default: '600' },
      verify: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(
      'usage: npm run crash -- [--events 1000000] [--kills 50] [--seed 1] [--rate 100000]\n' +
        '       [--stores 100] [--skus 1000] [--bronze-interval 100] [--compact-interval 2000]\n' +
        '       [--verify] [--data-dir DIR] [--keep] [--final-timeout 600] [--json] [--quiet]',
    );
    return;
  }
  const summary = await runCrashHarness({
    events: Number(values.events),
    kills: Number(values.kills),
    seed: Number(values.seed),
    rate: Number(values.rate),
    stores: Number(values.stores),
    skus: Number(values.skus),
    bronzeInterval: Number(values['bronze-interval']),
    compactInterval: Number(values['compact-interval']),
    dataDir: values['data-dir'],
    finalTimeoutMs: Number(values['final-timeout']) * 1000,
    verify: values.verify,
    keep: values.keep,
    quiet: values.quiet,
  });
  if (values.json) console.log(JSON.stringify(summary));
  else printSummary(summary);
  process.exitCode = summary.ok ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
