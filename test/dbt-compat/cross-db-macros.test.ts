// dbt's cross-database macro tests (dbt-tests-adapter utils/): dateadd, datediff, date_trunc,
// last_day, split_part, listagg, hash, safe_cast, cast, concat, … each a model calling the macro
// beside the expected value and an assert_equal test, all in one project built once by dbt and
// once by freshet: every node gets the status dbt gives it, every view/table the same rows.
// Left out: current_timestamp's tests (their rows are the time of the run). Four nodes error in
// dbt itself on DuckDB with these base fixtures (test_date: to_date; test_date_spine;
// test_get_intervals_between; seed data_equals), and one test fails (mixed_null_compare): freshet
// must give the same statuses there too.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROJECTS,
  checkPeers,
  compareDatabases,
  describeStep,
  makeProject,
  normalizeId,
  snapshot,
  runTool,
  statuses,
  tempRoot,
  utilsFixtures,
  type StepOutcome,
} from './helpers.js';

const peers = checkPeers('dbt-compat/cross-db-macros.test.ts');
const TIME_DEPENDENT = new Set(['test_current_timestamp', 'test_timestamps']);
const DB = 'compat.duckdb';
/** A properties file of dbt's fixtures that documents a model that does not exist
 * (test_powers_of_two; the model is test_get_powers_of_two): dbt warns and goes on. */
const ORPHAN_PATCH = 'models/test_get_powers_of_two/test_get_powers_of_two.yml';

interface UtilsClass {
  module: string;
  class: string;
  /** generated files: this class's models (in a folder per test module, names that several
   * classes share prefixed with the module) and seeds */
  files: Record<string, string>;
  models: string[];
  seeds: string[];
}

/** Every class of dbt-tests-adapter's utils tests but the time-dependent ones, and the macros. */
function utilsProject(): { macros: Record<string, string>; classes: UtilsClass[] } {
  const u = utilsFixtures();
  const macros: Record<string, string> = {};
  for (const [name, text] of Object.entries(u.macros)) macros[`macros/${name}`] = text;
  const count = new Map<string, number>();
  for (const c of u.classes)
    for (const name of Object.keys(c.models)) count.set(name, (count.get(name) ?? 0) + 1);
  const classes: UtilsClass[] = [];
  for (const c of u.classes) {
    if (TIME_DEPENDENT.has(c.module) || !Object.keys(c.models).length) continue;
    const cfg = c.project_config_update as { seeds?: unknown } | null;
    if (cfg && c.class !== 'TestDateAdd')
      throw new Error(`${c.class} has project config this project lacks: ${JSON.stringify(cfg)}`);
    const out: UtilsClass = { module: c.module, class: c.class, files: {}, models: [], seeds: [] };
    for (const [name, text] of Object.entries(c.models)) {
      const unique = count.get(name)! > 1 ? `${c.module}__${name}` : name;
      out.files[`models/${c.module}/${unique}`] = text;
      if (unique.endsWith('.sql')) out.models.push(unique.slice(0, -4));
    }
    for (const [name, text] of Object.entries(c.seeds)) {
      out.files[`seeds/${name}`] = text;
      out.seeds.push(name.replace(/\.csv$/, ''));
    }
    classes.push(out);
  }
  return { macros, classes };
}

/** dbt's statuses for the nodes of one class: its models, its seeds, the tests on its models. */
/*
 * Where Freshet differs from dbt on purpose (README, `freshet models`): the seed data_equals has
 * the text `null` in number columns. agate, dbt's CSV reader, takes it for NULL when it infers
 * the column types, then dbt-duckdb COPYs the file and DuckDB fails on the text; Freshet loads
 * the NULLs agate meant, so the seed and the two models reading it succeed.
 */
const NULL_WORD_NODES = [
  'seed.test.data_equals',
  'model.test.equal_values',
  'model.test.not_equal_values',
];

function knownDifferences(dbtStatuses: Record<string, string>): Record<string, string> {
  const out = { ...dbtStatuses };
  for (const id of NULL_WORD_NODES) if (id in out) out[id] = 'success';
  // dbt runs get_intervals_between's query while compiling, so a date DuckDB cannot read fails
  // the model; Freshet renders the expression into the model's SQL, so the same error comes
  // when the (view) model is first queried: by its test.
  const intervals = 'model.test.test_get_intervals_between';
  const intervalsTest = 'test.test.assert_equal_test_get_intervals_between_intervals__expected';
  if (out[intervals] === 'error' && out[intervalsTest] === 'skipped') {
    out[intervals] = 'success';
    out[intervalsTest] = 'error';
  }
  return out;
}

function withoutKnownDifferences(diffs: string[]): string[] {
  return diffs.filter(
    (d) => !/\b(data_equals|equal_values|not_equal_values|test_get_intervals_between)\b/.test(d),
  );
}

/** dbt's statuses of one class's nodes; a test belongs to the class whose model it tests. */
function classStatuses(
  all: Record<string, string>,
  c: UtilsClass,
  testedModels: Map<string, string[]>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(all).filter(([id]) => {
      const [kind, , name = ''] = id.split('.');
      if (kind === 'model') return c.models.includes(name);
      if (kind === 'seed') return c.seeds.includes(name);
      return kind === 'test' && (testedModels.get(id) ?? []).some((m) => c.models.includes(m));
    }),
  );
}

/** test id (without dbt's hash) → the models it depends on, from dbt's manifest. */
async function testedModelsOf(manifestPath: string): Promise<Map<string, string[]>> {
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    nodes: Record<string, { resource_type: string; depends_on?: { nodes?: string[] } }>;
  };
  const out = new Map<string, string[]>();
  for (const [id, node] of Object.entries(manifest.nodes)) {
    if (node.resource_type !== 'test') continue;
    const models = (node.depends_on?.nodes ?? [])
      .filter((n) => n.startsWith('model.'))
      .map((n) => n.split('.')[2]!);
    out.set(normalizeId(id), models);
  }
  return out;
}

const project = peers.missing.length ? { macros: {}, classes: [] } : utilsProject();

describe.skipIf(peers.skip)("dbt's cross-database macros: freshet agrees with dbt", () => {
  let cleanup: (() => Promise<void>) | undefined;
  let dir: { root: string; dbt: string; freshet: string; freshetOrphan: string };
  let dbt: Promise<StepOutcome>;
  let freshet: Promise<StepOutcome>;

  beforeAll(async () => {
    peers.assertPresent();
    const t = await tempRoot('macros');
    cleanup = t.cleanup;
    const files: Record<string, string> = { ...project.macros };
    for (const c of project.classes) Object.assign(files, c.files);
    const src = join(PROJECTS, 'cross_db_macros');
    const { [ORPHAN_PATCH]: orphan, ...withoutOrphan } = files;
    if (orphan === undefined) throw new Error(`dbt-tests-adapter has no ${ORPHAN_PATCH} any more`);
    dir = {
      root: t.root,
      dbt: await makeProject(src, join(t.root, 'dbt'), files),
      // without the orphan properties file, so that the macros are compared whatever freshet
      // makes of it (checked on its own below)
      freshet: await makeProject(src, join(t.root, 'freshet'), withoutOrphan),
      freshetOrphan: await makeProject(src, join(t.root, 'freshet-orphan'), files),
    };
    dbt = runTool('dbt', dir.dbt, ['build']);
    freshet = runTool('freshet', dir.freshet, ['build']);
    dbt.catch(() => {});
    freshet.catch(() => {});
  });
  afterAll(async () => {
    await Promise.allSettled([dbt, freshet]);
    await cleanup?.();
  });

  it('dbt build: 5 errors and 1 failure of its own on DuckDB, the rest pass', async () => {
    const d = await dbt;
    expect(d.code, describeStep(d)).toBe(1);
    const bad = Object.entries(statuses(d.results)).filter(
      ([, st]) => st !== 'success' && st !== 'pass' && st !== 'skipped',
    );
    expect(bad).toEqual([
      ['model.test.test_date', 'error'],
      ['model.test.test_date_spine', 'error'],
      ['model.test.test_get_intervals_between', 'error'],
      ['seed.test.data_equals', 'error'],
      ['test.test.assert_equal_test_mixed_null_compare_actual__expected', 'fail'],
    ]);
  });

  it('a properties file documenting a missing model only warns, as in dbt', async () => {
    const f = await runTool('freshet', dir.freshetOrphan, ['ls']);
    expect(f.code, describeStep(f)).toBe(0);
  });

  it('freshet gives every seed, model and test the status dbt gives it', async () => {
    const [d, f] = await Promise.all([dbt, freshet]);
    expect(f.results, describeStep(f)).not.toBeNull();
    expect(statuses(f.results)).toEqual(knownDifferences(statuses(d.results)));
    expect(f.code, describeStep(f)).toBe(d.code);
  });

  it("every view and table holds dbt's rows", async () => {
    const diffs = withoutKnownDifferences(
      await compareDatabases(join(dir.dbt, DB), join(dir.freshet, DB)),
    );
    expect(diffs, diffs.join('\n')).toEqual([]);
  });

  // One project per class, so that what breaks one macro cannot hide the others.
  it.each(project.classes.map((c) => [`${c.module} (${c.class})`, c] as const))(
    '%s on its own: statuses and rows as in dbt',
    async (_name, c) => {
      const d = await dbt;
      const own = await makeProject(join(PROJECTS, 'cross_db_macros'), join(dir.root, c.class), {
        ...project.macros,
        ...Object.fromEntries(Object.entries(c.files).filter(([f]) => f !== ORPHAN_PATCH)),
      });
      const f = await runTool('freshet', own, ['build']);
      expect(f.results, describeStep(f)).not.toBeNull();
      expect
        .soft(statuses(f.results), describeStep(f))
        .toEqual(
          knownDifferences(
            classStatuses(
              statuses(d.results),
              c,
              await testedModelsOf(join(dir.dbt, 'target/manifest.json')),
            ),
          ),
        );
      const relations = [...c.models, ...c.seeds].map((n) => `main.${n}`);
      const diffs = withoutKnownDifferences(
        await compareDatabases(join(dir.dbt, DB), join(own, DB), undefined, relations),
      );
      expect(diffs, diffs.join('\n')).toEqual([]);
      if (c.models.includes('equal_values')) {
        // What dbt's test means (its `expected` column), which dbt-duckdb cannot load.
        const rows = await snapshot(join(own, DB));
        const expected = (name: string) => {
          const rel = rows.get(`main.${name}`);
          const at = rel?.columns.indexOf('expected') ?? -1;
          return (rel?.rows ?? []).map((r) => (JSON.parse(r) as unknown[])[at]);
        };
        expect(new Set(expected('equal_values'))).toEqual(new Set(['same']));
        expect(new Set(expected('not_equal_values'))).toEqual(new Set(['different']));
        expect(expected('equal_values').length + expected('not_equal_values').length).toBe(9);
      }
    },
  );
});
