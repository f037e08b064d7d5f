// One incremental scenario of dbt's adapter tests, run step by step by dbt and by
// `freshet models` on two copies of the same fixture project, as a vitest suite:
//   1. dbt reproduces what dbt-tests-adapter asserts (so the reproduction itself is right);
//   2. freshet exits like dbt and gives every node the same status, step by step;
//   3. after every step, every relation in freshet's file equals dbt's (columns, types, rows);
//   4. the incremental models equal the expected tables dbt's tests compare them with.
import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROJECTS,
  compareDatabases,
  describeStep,
  makeProject,
  relationDiff,
  resultFor,
  runSqlScript,
  runTool,
  statuses,
  tempRoot,
  type DbtFixtures,
  type Peers,
  type StepOutcome,
  type Tool,
} from './helpers.js';

/** A dbt command (args[0] is the command), or SQL run against the database between commands
 * (`{schema}` is replaced by the profile's schema), as dbt's tests do with run_sql_file. */
export type Step = { args: string[] } | { sql: string };

export interface Scenario {
  title: string;
  peers: Peers;
  /** folder under test/dbt-compat/projects/ */
  project: string;
  /** dbt project name (unique ids are model.<name>.<model>) */
  name: string;
  /** the profile's schema (profiles.yml in the project) */
  schema: string;
  /** files generated from dbt-tests-adapter's strings, relative path → text */
  files(f: DbtFixtures): Record<string, string>;
  steps: Step[];
  /** expected exit code of each dbt/freshet command, in order */
  codes: number[];
  /** models whose status is `error` in the last command (all others: success) */
  errors?: string[];
  /** what the run_results message of such a model must say (dbt's tests check some) */
  errorMessages?: Record<string, RegExp>;
  /** after the last command (or command number `after`, from 1): `actual` must equal `expected`
   * (relation names in the profile's schema, or a query: 'select * from main.base union all …') */
  expected: { actual: string; expected: string; after?: number }[];
  /** dbt-duckdb cannot run the scenario: dbt's last command must fail with this message, and
   * freshet is compared with the expected tables only */
  dbtRefuses?: RegExp;
}

const DB = 'compat.duckdb';

interface ScenarioRun {
  steps: StepOutcome[];
  /** a copy of the database file after each command */
  files: string[];
  /** SQL steps that failed (e.g. the tool built no seed table to change) */
  sqlErrors: string[];
}

async function runScenario(tool: Tool, dir: string, s: Scenario): Promise<ScenarioRun> {
  const out: ScenarioRun = { steps: [], files: [], sqlErrors: [] };
  for (const step of s.steps) {
    if ('sql' in step) {
      try {
        await runSqlScript(join(dir, DB), step.sql.replaceAll('{schema}', s.schema));
      } catch (err) {
        out.sqlErrors.push(`SQL after step ${out.steps.length}: ${(err as Error).message}`);
      }
      continue;
    }
    const r = await runTool(tool, dir, step.args);
    out.steps.push(r);
    // Same file name as the original, so views naming their catalog still resolve in the copy.
    const copy = join(dir, 'after-step', String(out.steps.length), DB);
    await mkdir(dirname(copy), { recursive: true });
    if (existsSync(join(dir, DB))) await copyFile(join(dir, DB), copy);
    if (existsSync(join(dir, `${DB}.wal`))) await copyFile(join(dir, `${DB}.wal`), `${copy}.wal`);
    out.files.push(copy);
  }
  return out;
}

export function scenarioSuite(s: Scenario): void {
  describe.skipIf(s.peers.skip)(s.title, () => {
    let cleanup: (() => Promise<void>) | undefined;
    let dbt: Promise<ScenarioRun>;
    let freshet: Promise<ScenarioRun>;
    const modelId = (m: string) => `model.${s.name}.${m}`;

    beforeAll(async () => {
      s.peers.assertPresent();
      const t = await tempRoot(s.project);
      cleanup = t.cleanup;
      const files = s.files(s.peers.fixtures!);
      const src = join(PROJECTS, s.project);
      const dbtDir = await makeProject(src, join(t.root, 'dbt'), files);
      const freshetDir = await makeProject(src, join(t.root, 'freshet'), files);
      // The two tools side by side, each on its own copy.
      dbt = runScenario('dbt', dbtDir, s);
      freshet = runScenario('freshet', freshetDir, s);
      dbt.catch(() => {});
      freshet.catch(() => {});
    });
    afterAll(async () => {
      await Promise.allSettled([dbt, freshet]);
      await cleanup?.();
    });

    const lastStatuses = (run: ScenarioRun) => statuses(run.steps.at(-1)?.results ?? null);

    it(
      s.dbtRefuses
        ? `dbt-duckdb refuses it (${s.dbtRefuses.source})`
        : 'dbt reproduces what dbt-tests-adapter asserts',
      async () => {
        const run = await dbt;
        if (s.dbtRefuses) {
          const last = run.steps.at(-1)!;
          expect(last.code, describeStep(last)).not.toBe(0);
          expect(`${last.stdout}\n${last.stderr}`).toMatch(s.dbtRefuses);
          return;
        }
        expect(run.sqlErrors).toEqual([]);
        expect(
          run.steps.map((r) => r.code),
          run.steps.map(describeStep).join('\n\n'),
        ).toEqual(s.codes);
        const errored = Object.entries(lastStatuses(run))
          .filter(([, st]) => st === 'error')
          .map(([id]) => id);
        expect(errored).toEqual((s.errors ?? []).map(modelId).sort());
        for (const [m, re] of Object.entries(s.errorMessages ?? {}))
          expect(resultFor(run.steps.at(-1)!.results, modelId(m))?.message).toMatch(re);
        for (const e of s.expected) {
          const file = run.files[(e.after ?? run.files.length) - 1]!;
          const diffs = await relationDiff(file, e.expected, e.actual, s.schema);
          expect(diffs, diffs.join('\n')).toEqual([]);
        }
      },
    );

    it('freshet exits as dbt does and gives every node the same status, step by step', async () => {
      const f = await freshet;
      expect(
        f.steps.map((r) => r.code),
        f.steps.map(describeStep).join('\n\n'),
      ).toEqual(s.codes);
      expect(f.sqlErrors).toEqual([]);
      if (s.dbtRefuses) {
        for (const [i, step] of f.steps.entries()) {
          const bad = Object.entries(statuses(step.results)).filter(
            ([, st]) => st !== 'success' && st !== 'pass',
          );
          expect.soft(bad, `step ${i + 1}: ${step.args.join(' ')}`).toEqual([]);
        }
        return;
      }
      const d = await dbt;
      for (const [i, step] of f.steps.entries()) {
        expect
          .soft(statuses(step.results), `step ${i + 1}: ${step.args.join(' ')}`)
          .toEqual(statuses(d.steps[i]?.results ?? null));
      }
      for (const m of s.errors ?? []) {
        const r = resultFor(f.steps.at(-1)?.results ?? null, modelId(m));
        expect.soft(r?.message ?? '', `${m}: an error message`).not.toBe('');
        const re = s.errorMessages?.[m];
        if (re) expect.soft(r?.message ?? '', `${m}: the error message`).toMatch(re);
      }
    });

    it.skipIf(!!s.dbtRefuses)(
      "after every step, each table equals dbt's: columns, types, rows",
      async () => {
        const [d, f] = await Promise.all([dbt, freshet]);
        for (const [i, step] of d.steps.entries()) {
          const diffs = await compareDatabases(d.files[i]!, f.files[i] ?? join('missing', DB));
          expect
            .soft(diffs, `after step ${i + 1} (${step.args.join(' ')}):\n${diffs.join('\n')}`)
            .toEqual([]);
        }
      },
    );

    it("the incremental models equal the expected tables of dbt's tests", async () => {
      const f = await freshet;
      for (const e of s.expected) {
        const file = f.files[(e.after ?? s.codes.length) - 1] ?? join('missing', DB);
        const diffs = await relationDiff(file, e.expected, e.actual, s.schema);
        expect.soft(diffs, diffs.join('\n')).toEqual([]);
      }
    });
  });
}
