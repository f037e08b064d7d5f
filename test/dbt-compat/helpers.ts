// Shared pieces of the dbt compatibility tests: run dbt (the Python peer, dbt-core 1.10.23 +
// dbt-duckdb 1.9.6 on DuckDB 1.5.6) and `freshet models` on copies of the same project, then read
// both DuckDB files (the same DuckDB version, so either side can open the other's file) and list
// every disagreement: relations, columns, types and rows (as multisets), and run statuses.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { FRESHET_BIN } from '../helpers/platform-process.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const JAFFLE_SHOP = join(REPO, '.tmp/peers/jaffle_shop');
export const PROJECTS = fileURLToPath(new URL('./projects/', import.meta.url));
const FIXTURES_PY = fileURLToPath(new URL('../peers/dbt_fixtures.py', import.meta.url));

/** The versions the comparison is about (test/peers/requirements.txt). */
export const PINNED = {
  'dbt-core': '1.10.23',
  'dbt-duckdb': '1.9.6',
  'dbt-tests-adapter': '1.15.1',
  duckdb: '1.5.6',
} as const;

export interface DbtFixtures {
  versions: Record<string, string | null>;
  /** module (under dbt.tests.adapter) → its module-level strings by Python name */
  modules: Record<string, Record<string, string>>;
}

export interface Peers {
  /** what is missing, in words; empty when dbt and its fixtures are ready */
  missing: string[];
  fixtures: DbtFixtures | null;
  /** true outside CI when something is missing: the suite skips (loudly) */
  skip: boolean;
  /** throws with the list of what is missing (CI: the suite fails instead of skipping) */
  assertPresent(): void;
}

/**
 * Checks for the Python peers (dbt on PATH, dbt-tests-adapter's fixtures, the pinned versions)
 * and, with `jaffleShop`, the jaffle shop fetched by `scripts/services install`. Outside CI a
 * missing peer skips the suite with a loud message; in CI the suite runs and fails.
 */
export function checkPeers(suite: string, opts: { jaffleShop?: boolean } = {}): Peers {
  const missing: string[] = [];
  let fixtures: DbtFixtures | null = null;
  const py = spawnSync('python3', [FIXTURES_PY], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (py.status === 0) {
    fixtures = JSON.parse(py.stdout) as DbtFixtures;
    for (const [dist, want] of Object.entries(PINNED)) {
      const have = fixtures.versions[dist];
      if (have !== want) missing.push(`${dist}==${want} (found ${have ?? 'none'})`);
    }
  } else {
    missing.push(
      `dbt-tests-adapter fixtures (python3 ${FIXTURES_PY}: ${(py.stderr || String(py.error)).trim()})`,
    );
  }
  if (spawnSync('sh', ['-c', 'command -v dbt']).status !== 0) missing.push('the dbt command');
  if (opts.jaffleShop && !existsSync(join(JAFFLE_SHOP, 'dbt_project.yml')))
    missing.push(`the jaffle shop project at ${JAFFLE_SHOP}`);
  const skip = missing.length > 0 && !process.env.CI;
  if (skip) {
    const bar = '!'.repeat(78);
    console.warn(
      `\n${bar}\n! ${suite} SKIPPED: missing ${missing.join('; ')}.\n` +
        `! Run scripts/services install. CI fails instead of skipping.\n${bar}\n`,
    );
  }
  return {
    missing,
    fixtures,
    skip,
    assertPresent() {
      if (missing.length)
        throw new Error(`${suite}: missing ${missing.join('; ')} (run scripts/services install)`);
    },
  };
}

export interface UtilsFixtures {
  versions: Record<string, string | null>;
  /** BaseUtils' macros: file → text */
  macros: Record<string, string>;
  classes: {
    module: string;
    class: string;
    models: Record<string, string>;
    seeds: Record<string, string>;
    project_config_update: unknown;
  }[];
}

/** dbt-tests-adapter's cross-database macro tests (dbt_fixtures.py --utils). */
export function utilsFixtures(): UtilsFixtures {
  const py = spawnSync('python3', [FIXTURES_PY, '--utils'], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (py.status !== 0) throw new Error(`dbt_fixtures.py --utils: ${py.stderr || String(py.error)}`);
  return JSON.parse(py.stdout) as UtilsFixtures;
}

/** A module-level string of dbt-tests-adapter, e.g. fixture(f, 'incremental.fixtures', '_MODELS__A'). */
export function fixture(f: DbtFixtures, module: string, name: string): string {
  const text = f.modules[module]?.[name];
  if (text === undefined) throw new Error(`dbt-tests-adapter has no ${module}.${name}`);
  return text;
}

// ── running dbt and freshet ─────────────────────────────────────────────────────────────────

export type Tool = 'dbt' | 'freshet';

export interface RunResult {
  unique_id: string;
  status: string;
  failures: number | null;
  message: string | null;
}

export interface StepOutcome {
  tool: Tool;
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
  /** target/run_results.json after the step, or null where the tool wrote none */
  results: RunResult[] | null;
}

/** A hermetic environment: none of the caller's DBT_* or jaffle shop settings leak in. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(DBT_|DAGSTER_)/.test(k)) env[k] = v;
  return { ...env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1', NO_COLOR: '1' };
}

function exec(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs = 180_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

async function readRunResults(projectDir: string): Promise<RunResult[] | null> {
  try {
    const json = JSON.parse(
      await readFile(join(projectDir, 'target/run_results.json'), 'utf8'),
    ) as {
      results: RunResult[];
    };
    return json.results.map((r) => ({
      unique_id: r.unique_id,
      status: r.status,
      failures: r.failures ?? null,
      message: r.message ?? null,
    }));
  } catch {
    return null;
  }
}

/**
 * Runs one dbt command (`args[0]` is the command, e.g. ['run', '--select', 'x']) with `tool` on
 * the project in `projectDir`, from that directory (so relative profile paths resolve there).
 * dbt gets --project-dir and --profiles-dir; freshet gets `models <command> --project DIR` and,
 * unless `defaultProfiles`, `--profiles-dir DIR`.
 */
export async function runTool(
  tool: Tool,
  projectDir: string,
  args: string[],
  opts: { defaultProfiles?: boolean } = {},
): Promise<StepOutcome> {
  await rm(join(projectDir, 'target/run_results.json'), { force: true });
  const [command = 'build', ...rest] = args;
  const r =
    tool === 'dbt'
      ? await exec(
          'dbt',
          [command, '--project-dir', projectDir, '--profiles-dir', projectDir, ...rest],
          projectDir,
        )
      : await exec(
          process.execPath,
          [
            FRESHET_BIN,
            'models',
            command,
            '--project',
            projectDir,
            ...(opts.defaultProfiles ? [] : ['--profiles-dir', projectDir]),
            ...rest,
          ],
          projectDir,
        );
  return { tool, args, ...r, results: await readRunResults(projectDir) };
}

/** A failure message naming the step and the tool's own output. */
export function describeStep(s: StepOutcome): string {
  const tail = (t: string) => t.split('\n').slice(-40).join('\n');
  return `${s.tool} ${s.args.join(' ')} exited ${s.code}\n--- stdout\n${tail(s.stdout)}\n--- stderr\n${tail(s.stderr)}`;
}

/**
 * dbt's unique ids with the hash suffix of generic tests dropped (`test.pkg.not_null_x_y.c19cc50075`
 * → `test.pkg.not_null_x_y`): Freshet names tests by the same rule but need not hash the same way.
 */
export function normalizeId(id: string): string {
  return id.startsWith('test.') ? id.replace(/\.[0-9a-f]{10}$/, '') : id;
}

/** unique id (normalized) → status, sorted by id. */
export function statuses(results: RunResult[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of [...(results ?? [])].sort((a, b) => a.unique_id.localeCompare(b.unique_id)))
    out[normalizeId(r.unique_id)] = r.status;
  return out;
}

export function resultFor(results: RunResult[] | null, id: string): RunResult | undefined {
  return results?.find((r) => normalizeId(r.unique_id) === id);
}

// ── project copies ──────────────────────────────────────────────────────────────────────────

/** A fresh temp folder for one test file; removed by the returned cleanup unless KEEP_DBT_COMPAT=1. */
export async function tempRoot(
  prefix: string,
): Promise<{ root: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), `freshet-dbt-compat-${prefix}-`));
  return {
    root,
    async cleanup() {
      if (process.env.KEEP_DBT_COMPAT) console.log(`dbt-compat: kept ${root}`);
      else await rm(root, { recursive: true, force: true });
    },
  };
}

/** Copies `from` to `to` (without build output) and writes `files` (relative path → text) into it. */
export async function makeProject(
  from: string,
  to: string,
  files: Record<string, string> = {},
): Promise<string> {
  await cp(from, to, {
    recursive: true,
    filter: (src) => !/[/\\](target|logs|dbt_packages)$/.test(src) && !src.endsWith('.duckdb'),
  });
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(to, rel)), { recursive: true });
    await writeFile(join(to, rel), text.startsWith('\n') ? text.slice(1) : text);
  }
  return to;
}

// ── reading and comparing DuckDB files ──────────────────────────────────────────────────────

export interface Relation {
  kind: 'table' | 'view';
  columns: string[];
  types: string[];
  /** every row as canonical JSON, sorted */
  rows: string[];
}

interface Query {
  columns: string[];
  types: string[];
  rows: unknown[][];
}

/** Opens a DuckDB file (read-only unless `write`), runs `fn`, always closes the file again. */
export async function withDb<T>(
  file: string,
  fn: (q: (sql: string) => Promise<Query>) => Promise<T>,
  write = false,
): Promise<T> {
  const instance = await DuckDBInstance.create(file, write ? {} : { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return await fn(async (sql) => {
      const reader = await conn.runAndReadAll(sql);
      return {
        columns: reader.columnNames(),
        types: reader.columnTypes().map((t) => t.toString()),
        rows: reader.getRowsJson() as unknown[][],
      };
    });
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Runs a SQL script (statements separated by `;`, `--` comments allowed) against a file. */
export async function runSqlScript(file: string, script: string): Promise<void> {
  const statements = script
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  await withDb(
    file,
    async (q) => {
      for (const s of statements) await q(s);
    },
    true,
  );
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Every user table and view of the file (`schema.name` → relation), with all rows. */
export async function snapshot(file: string): Promise<Map<string, Relation>> {
  return withDb(file, async (q) => {
    const list = await q(`
      select schema_name, table_name, 'table' from duckdb_tables()
        where database_name = current_database() and not internal and not temporary
      union all
      select schema_name, view_name, 'view' from duckdb_views()
        where database_name = current_database() and not internal and not temporary
      order by 1, 2`);
    const out = new Map<string, Relation>();
    for (const [schema, name, kind] of list.rows as [string, string, 'table' | 'view'][]) {
      // A view whose query fails (it may name a function the database lacks) is kept with its
      // error, so the comparison reports it instead of stopping.
      const r = await q(`select * from ${ident(schema)}.${ident(name)}`).catch((err: unknown) => ({
        columns: [] as string[],
        types: [] as string[],
        rows: [
          [`<query failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}>`],
        ],
      }));
      out.set(`${schema}.${name}`, {
        kind,
        columns: r.columns,
        types: r.types,
        rows: r.rows.map((row) => JSON.stringify(row)).sort(),
      });
    }
    return out;
  });
}

/** Rows of `a` missing from `b`, as multisets. */
function multisetMinus(a: string[], b: string[]): string[] {
  const counts = new Map<string, number>();
  for (const r of b) counts.set(r, (counts.get(r) ?? 0) + 1);
  const out: string[] = [];
  for (const r of a) {
    const n = counts.get(r) ?? 0;
    if (n > 0) counts.set(r, n - 1);
    else out.push(r);
  }
  return out;
}

const sample = (rows: string[], n = 12) =>
  rows.slice(0, n).join('\n      ') + (rows.length > n ? `\n      … ${rows.length - n} more` : '');

/**
 * Every difference between two DuckDB files, one readable line (or block) each: relations only
 * in one, kind (table/view), column names and order, column types, and rows (order-insensitive).
 * `only` restricts the comparison to those relations (`schema.name`).
 */
export async function compareDatabases(
  expectedFile: string,
  actualFile: string,
  labels: [string, string] = ['dbt', 'freshet'],
  only?: string[],
): Promise<string[]> {
  const [el, al] = labels;
  const absent = [expectedFile, actualFile].flatMap((f, i) =>
    existsSync(f) ? [] : [`${labels[i]}: no database file at ${f}`],
  );
  if (absent.length) return absent;
  const want = await snapshot(expectedFile);
  const got = await snapshot(actualFile);
  const diffs: string[] = [];
  const names = [...new Set([...want.keys(), ...got.keys()])]
    .filter((n) => !only || only.includes(n))
    .sort();
  for (const name of names) {
    const w = want.get(name);
    const g = got.get(name);
    if (!w || !g) {
      diffs.push(`${name}: only in ${w ? el : al}`);
      continue;
    }
    if (w.kind !== g.kind) diffs.push(`${name}: a ${w.kind} in ${el}, a ${g.kind} in ${al}`);
    if (w.columns.join() !== g.columns.join()) {
      diffs.push(
        `${name}: columns ${el} (${w.columns.join(', ')}) vs ${al} (${g.columns.join(', ')})`,
      );
      continue;
    }
    const typeDiffs = w.columns
      .map((c, i) => [c, w.types[i], g.types[i]])
      .filter(([, a, b]) => a !== b)
      .map(([c, a, b]) => `${c} ${el} ${a} / ${al} ${b}`);
    if (typeDiffs.length) diffs.push(`${name}: column types differ: ${typeDiffs.join('; ')}`);
    const missing = multisetMinus(w.rows, g.rows);
    const extra = multisetMinus(g.rows, w.rows);
    if (missing.length || extra.length)
      diffs.push(
        `${name}: ${w.rows.length} rows in ${el}, ${g.rows.length} in ${al}; columns (${w.columns.join(', ')})\n` +
          `    only in ${el} (${missing.length}):\n      ${sample(missing)}\n` +
          `    only in ${al} (${extra.length}):\n      ${sample(extra)}`,
      );
  }
  return diffs;
}

/**
 * dbt-tests-adapter's check_relations_equal, a little stricter: within one file, `actual` must
 * have the columns of `expected` (as a set) and the same rows as a multiset (EXCEPT ALL both ways,
 * on `expected`'s columns in sorted order). Returns the differences, empty when equal.
 */
export async function relationDiff(
  file: string,
  expected: string,
  actual: string,
  schema = 'main',
): Promise<string[]> {
  const rel = (n: string) => (n.includes(' ') ? `(${n})` : `${ident(schema)}.${ident(n)}`);
  if (!existsSync(file)) return [`${actual} vs ${expected}: no database file at ${file}`];
  return withDb(file, async (q) => {
    const diffs: string[] = [];
    let e: Query;
    let a: Query;
    try {
      e = await q(`select * from ${rel(expected)} limit 0`);
      a = await q(`select * from ${rel(actual)} limit 0`);
    } catch (err) {
      return [`${actual} vs ${expected}: ${(err as Error).message.split('\n')[0]}`];
    }
    const lower = (cs: string[]) => cs.map((c) => c.toLowerCase()).sort();
    if (lower(e.columns).join() !== lower(a.columns).join())
      diffs.push(
        `${actual}: columns (${a.columns.join(', ')}), expected (${e.columns.join(', ')}) as in ${expected}`,
      );
    const cols = [...e.columns].sort().map(ident).join(', ');
    try {
      const missing = await q(
        `select ${cols} from ${rel(expected)} except all select ${cols} from ${rel(actual)}`,
      );
      const extra = await q(
        `select ${cols} from ${rel(actual)} except all select ${cols} from ${rel(expected)}`,
      );
      const fmt = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();
      if (missing.rows.length || extra.rows.length)
        diffs.push(
          `${actual} vs ${expected} on (${[...e.columns].sort().join(', ')}):\n` +
            `    expected but missing (${missing.rows.length}):\n      ${sample(fmt(missing.rows))}\n` +
            `    unexpected (${extra.rows.length}):\n      ${sample(fmt(extra.rows))}`,
        );
    } catch (err) {
      diffs.push(`${actual} vs ${expected}: ${(err as Error).message.split('\n')[0]}`);
    }
    return diffs;
  });
}
