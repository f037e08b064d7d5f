import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { Session, type Connection } from '../engine/index.js';
import {
  ModelRunner,
  checkFreshness,
  writeArtifacts,
  writeCompiled,
  type GraphNode,
  type NodeResult,
  type ResourceType,
} from '../models/index.js';
import { formatResult } from './format.js';

/** A `freshet models` command was given something it cannot use; exits 2 like dbt's usage errors. */
export class ModelsUsageError extends Error {
  override name = 'ModelsUsageError';
}

interface CommonOptions {
  project: string;
  profilesDir?: string;
  profile?: string;
  target?: string;
  database?: string;
  vars?: string;
  select?: string[];
  exclude?: string[];
  fullRefresh?: boolean;
  threads?: number;
  targetPath?: string;
  quiet?: boolean;
}

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`${name} must be an integer >= 1, got '${v}'.`);
  return n;
};

function parseVars(text: string | undefined): Record<string, unknown> {
  if (!text) return {};
  let vars: unknown;
  try {
    vars = parseYaml(text);
  } catch (err) {
    throw new ModelsUsageError(`--vars is not valid YAML: ${(err as Error).message}`);
  }
  if (!vars || typeof vars !== 'object' || Array.isArray(vars))
    throw new ModelsUsageError(`--vars must be a YAML mapping such as '{days: 7}', got '${text}'`);
  return vars as Record<string, unknown>;
}

/** Reads and parses the project; what dbt would warn about goes to stderr. */
async function openRunner(opts: CommonOptions): Promise<ModelRunner> {
  const runner = await ModelRunner.open(resolve(opts.project), {
    profilesDir: opts.profilesDir,
    profile: opts.profile,
    target: opts.target,
    vars: parseVars(opts.vars),
  });
  for (const w of runner.project.warnings) process.stderr.write(`freshet: warning: ${w}\n`);
  return runner;
}

/** Everything one invocation needs: the runner, the database, where artifacts go. */
class Invocation {
  private constructor(
    readonly runner: ModelRunner,
    readonly session: Session,
    readonly pool: Connection[],
    readonly databaseFile: string,
    readonly targetDir: string,
    readonly opts: CommonOptions,
  ) {}

  static async open(opts: CommonOptions): Promise<Invocation> {
    const project = resolve(opts.project);
    const runner = await openRunner(opts);
    const targetDir = resolve(project, opts.targetPath ?? runner.project.targetPath);
    const databaseFile = opts.database
      ? resolve(opts.database)
      : (runner.target.path ?? join(targetDir, 'freshet.duckdb'));
    await mkdir(join(databaseFile, '..'), { recursive: true });
    const threads = opts.threads ?? Math.max(1, runner.target.threads);
    const session = await Session.open({ path: databaseFile });
    const pool = [session.connection];
    for (let i = 1; i < threads; i++) pool.push(await session.connect());
    return new Invocation(runner, session, pool, databaseFile, targetDir, opts);
  }

  select(types: ResourceType[]): GraphNode[] {
    return this.runner.graph.select(types, this.opts.select, this.opts.exclude);
  }

  close(): void {
    for (const c of this.pool.slice(1)) c.close();
    this.session.close();
  }

  say(line: string): void {
    if (!this.opts.quiet) process.stdout.write(line + '\n');
  }
}

const STATUS_WORD: Record<string, string> = {
  success: 'OK',
  pass: 'PASS',
  fail: 'FAIL',
  warn: 'WARN',
  error: 'ERROR',
  skipped: 'SKIP',
};

function resultLine(r: NodeResult, i: number, total: number): string {
  const what = `${r.node.type} ${r.node.name}`;
  const detail =
    r.status === 'success' ? r.message : r.status === 'skipped' ? 'skipped' : r.message || r.status;
  const head = `${String(i).padStart(String(total).length)} of ${total} ${STATUS_WORD[r.status]} ${what}`;
  return `${head} ${'.'.repeat(Math.max(3, 60 - head.length))} [${detail.split('\n')[0]} in ${r.executionTime.toFixed(2)}s]`;
}

async function runNodes(
  inv: Invocation,
  command: string,
  types: ResourceType[],
  started: number,
): Promise<void> {
  const nodes = inv.select(types).filter((n) => n.type !== 'source');
  const counts = types
    .filter((t) => t !== 'source')
    .map((t) => `${nodes.filter((n) => n.type === t).length} ${t}s`)
    .join(', ');
  inv.say(
    `freshet models ${command}: ${counts} on ${relative(process.cwd(), inv.databaseFile) || inv.databaseFile} (threads ${inv.pool.length})`,
  );
  const results = await inv.runner.execute(inv.pool, nodes, {
    fullRefresh: inv.opts.fullRefresh,
    onResult: (r, i, total) => inv.say(resultLine(r, i, total)),
  });
  for (const r of results) {
    if (r.compiledSql && (r.node.type === 'model' || r.node.type === 'test'))
      await writeCompiled(
        inv.runner,
        inv.targetDir,
        compiledPath(inv.runner, r.node),
        r.compiledSql,
      );
  }
  const elapsed = (performance.now() - started) / 1000;
  await writeArtifacts(inv.runner, inv.targetDir, results, elapsed, {
    which: command,
    select: inv.opts.select ?? [],
    exclude: inv.opts.exclude ?? [],
    full_refresh: inv.opts.fullRefresh ?? false,
  });
  const tally = (s: string) => results.filter((r) => r.status === s).length;
  const problems = results.filter((r) => ['error', 'fail', 'warn'].includes(r.status));
  if (problems.length > 0) {
    inv.say('');
    for (const r of problems) {
      inv.say(`${STATUS_WORD[r.status]} in ${r.node.type} ${r.node.name} (${r.node.path})`);
      inv.say(`  ${r.message}`);
      if (r.compiledSql !== undefined && r.node.type !== 'seed')
        inv.say(
          `  compiled SQL: ${join(inv.targetDir, 'compiled', inv.runner.project.name, compiledPath(inv.runner, r.node))}`,
        );
    }
  }
  const pass = tally('success') + tally('pass');
  inv.say(
    `\nDone. PASS=${pass} WARN=${tally('warn')} ERROR=${tally('error') + tally('fail')} SKIP=${tally('skipped')} TOTAL=${results.length} in ${elapsed.toFixed(2)} s`,
  );
  if (tally('error') + tally('fail') > 0) process.exitCode = 1;
}

function compiledPath(runner: ModelRunner, node: GraphNode): string {
  if (node.type === 'test' && /\.ya?ml$/.test(node.path)) {
    const alias = runner.compiler.dataTests.get(node.name)?.alias ?? node.name;
    return join(node.path, `${alias}.sql`);
  }
  return node.path;
}

async function withInvocation(
  opts: CommonOptions,
  fn: (inv: Invocation) => Promise<void>,
): Promise<void> {
  const inv = await Invocation.open(opts);
  try {
    await fn(inv);
  } finally {
    inv.close();
  }
}

function common(cmd: Command, selection = true): Command {
  cmd
    .option('--project <dir>', 'the dbt project folder (holds dbt_project.yml)', '.')
    .option('--project-dir <dir>', 'same as --project (dbt’s spelling)')
    .option(
      '--profiles-dir <dir>',
      'folder with profiles.yml (default: the project folder if it has one, else $DBT_PROFILES_DIR or ~/.dbt)',
    )
    .option('--profile <name>', "profiles.yml entry (default: dbt_project.yml's profile)")
    .option('-t, --target <name>', "profile output (default: the profile's target)")
    .option(
      '--database <file>',
      "DuckDB database file (default: the profile's `path`, else <target-path>/freshet.duckdb)",
    )
    .option('--vars <yaml>', "values for var(), as YAML: '{days: 7, region: south}'")
    .option('--target-path <dir>', 'where artifacts and compiled SQL go (default: target)')
    .option(
      '--threads <n>',
      'nodes run at once (default: the profile’s threads)',
      positiveInt('--threads'),
    )
    .option('-q, --quiet', 'print only errors');
  if (selection) {
    cmd
      .option(
        '-s, --select <spec...>',
        'nodes to include: names, +ancestors, descendants+, @, tag:x, path:dir, source:s, config.k:v; spaces union, commas intersect',
      )
      .option('--exclude <spec...>', 'nodes to leave out (same syntax as --select)');
  }
  return cmd;
}

function optionsOf(o: Record<string, unknown>): CommonOptions {
  const opts = { ...o } as unknown as CommonOptions & { projectDir?: string };
  if (opts.projectDir) opts.project = opts.projectDir;
  if (opts.database && !isAbsolute(opts.database)) opts.database = resolve(opts.database);
  return opts;
}

/** `freshet models …`: dbt's commands on Freshet's engine, for a project on its own. */
export function modelsCommand(): Command {
  const models = new Command('models').description(
    'Run a dbt project (dbt_project.yml, models, schema tests, seeds, macros) on DuckDB, as dbt-duckdb would: ls, compile, run, test, seed, build, show, source freshness. Writes target/manifest.json and target/run_results.json in dbt’s format.',
  );

  common(models.command('ls').alias('list'))
    .description('List the selected nodes (models, seeds, tests, sources)')
    .addOption(
      new Option('--resource-type <type...>', 'only these kinds').choices([
        'model',
        'seed',
        'test',
        'source',
      ]),
    )
    .addOption(
      new Option('--output <format>', 'selector (dbt’s default), name, path or json')
        .choices(['selector', 'name', 'path', 'json'])
        .default('selector'),
    )
    .action(async (o) => {
      const opts = optionsOf(o);
      const runner = await openRunner(opts);
      const types = (o.resourceType as ResourceType[] | undefined) ?? [
        'model',
        'seed',
        'test',
        'source',
      ];
      for (const n of runner.graph.select(types, opts.select, opts.exclude)) {
        const line =
          o.output === 'name'
            ? n.name
            : o.output === 'path'
              ? n.path
              : o.output === 'json'
                ? JSON.stringify({
                    name: n.name,
                    resource_type: n.type,
                    unique_id: n.id,
                    original_file_path: n.path,
                    tags: n.tags,
                    depends_on: { nodes: n.parents },
                  })
                : n.type === 'source'
                  ? `source:${n.fqn.join('.')}`
                  : n.fqn.join('.');
        process.stdout.write(line + '\n');
      }
    });

  common(models.command('compile'))
    .description(
      'Render the selected models and tests to SQL in target/compiled/<project>/ (Jinja, ref, source, ephemeral CTEs), checking refs, sources and cycles; --inline prints one query',
    )
    .option('--inline <sql>', 'compile this SQL (Jinja and ref allowed) and print it')
    .action(async (o) => {
      const opts = optionsOf(o);
      const runner = await openRunner(opts);
      if (o.inline) {
        process.stdout.write(runner.compiler.compileInline(String(o.inline)).sql.trim() + '\n');
        return;
      }
      const targetDir = resolve(opts.project, opts.targetPath ?? runner.project.targetPath);
      const nodes = runner.graph.select(['model', 'test'], opts.select, opts.exclude);
      for (const n of nodes) {
        const sql =
          n.type === 'model'
            ? runner.compiler.compile(n.name, { isIncremental: false })
            : runner.compiler.compileTest(runner.compiler.dataTests.get(n.name)!);
        const file = await writeCompiled(runner, targetDir, compiledPath(runner, n), sql);
        if (!opts.quiet) process.stdout.write(`${relative(process.cwd(), file)}\n`);
      }
      await writeArtifacts(runner, targetDir, null, 0, {});
    });

  const runLike = (
    name: string,
    description: string,
    types: ResourceType[],
    fullRefresh = true,
  ) => {
    const cmd = common(models.command(name)).description(description);
    if (fullRefresh)
      cmd.option('--full-refresh', 'rebuild incremental models from scratch (and reload seeds)');
    cmd.action(async (o) => {
      const started = performance.now();
      await withInvocation(optionsOf(o), (inv) => runNodes(inv, name, types, started));
    });
  };
  runLike(
    'run',
    'Build the selected models in dependency order, in parallel where the DAG allows',
    ['model'],
  );
  runLike(
    'test',
    'Run the data tests (unique, not_null, accepted_values, relationships, custom and singular) of the selected nodes',
    ['test'],
    false,
  );
  runLike('seed', 'Load the CSV seeds into tables', ['seed']);
  runLike(
    'build',
    'Seeds, models and tests together in DAG order; a failing test skips what depends on its model',
    ['seed', 'model', 'test'],
  );

  common(models.command('show'))
    .description(
      'Run a query (--inline, Jinja and ref allowed) or a model (-s) and print its first rows',
    )
    .option('--inline <sql>', 'the query to run')
    .option('--limit <n>', 'rows to show', positiveInt('--limit'), 5)
    .addOption(
      new Option('--format <format>', 'text for people, json for scripts')
        .choices(['text', 'json'])
        .default('text'),
    )
    .addOption(
      new Option('--output <format>', 'same as --format (dbt’s spelling)').choices([
        'text',
        'json',
      ]),
    )
    .action(async (o) => {
      const opts = optionsOf(o);
      const format = (o.output ?? o.format) as 'text' | 'json';
      await withInvocation(opts, async (inv) => {
        let sql: string;
        let node = 'inline_query';
        if (o.inline) {
          sql = inv.runner.compiler.compileInline(String(o.inline)).sql;
        } else {
          const selected = inv.select(['model']);
          if (selected.length !== 1)
            throw new ModelsUsageError(
              `show needs --inline "select …" or -s with exactly one model (the selection matched ${selected.length})`,
            );
          node = selected[0]!.name;
          sql = inv.runner.compiler.compile(node, { isIncremental: false });
        }
        const result = await inv.pool[0]!.query(
          `select * from (\n${sql.trim().replace(/;\s*$/, '')}\n) as show_query limit ${o.limit}`,
        );
        if (format === 'json') {
          process.stdout.write(JSON.stringify({ node, show: result.rows }, null, 2) + '\n');
        } else {
          process.stdout.write(`Previewing ${node}:\n${formatResult(result, 'table')}`);
        }
      });
    });

  const source = models.command('source').description('Commands about sources');
  common(source.command('freshness'))
    .description(
      'Check each source’s max(loaded_at_field) against its freshness warn_after / error_after; writes target/sources.json; exits 1 on an error',
    )
    .action(async (o) => {
      await withInvocation(optionsOf(o), async (inv) => {
        const keys = new Set(inv.select(['source']).map((n) => n.name));
        const sources = [...inv.runner.project.sources.entries()]
          .filter(([k]) => keys.has(k))
          .map(([, s]) => s);
        const results = await checkFreshness(inv.pool[0]!, sources);
        for (const r of results)
          inv.say(`${r.status.toUpperCase().padEnd(5)} freshness of ${r.source}: ${r.message}`);
        if (results.length === 0)
          inv.say('no selected source declares freshness and loaded_at_field');
        await mkdir(inv.targetDir, { recursive: true });
        await writeFile(
          join(inv.targetDir, 'sources.json'),
          JSON.stringify(
            {
              metadata: {
                dbt_schema_version: 'https://schemas.getdbt.com/dbt/sources/v3.json',
                generated_at: new Date().toISOString(),
              },
              results: results.map((r) => ({
                unique_id: `source.${inv.runner.project.name}.${r.source}`,
                status: r.status,
                max_loaded_at: r.maxLoadedAt,
                snapshotted_at: r.snapshottedAt,
                max_loaded_at_time_ago_in_s: r.ageSeconds,
                criteria: r.criteria,
                error: r.status === 'runtime error' ? r.message : null,
              })),
            },
            null,
            2,
          ) + '\n',
        );
        if (results.some((r) => r.status === 'error' || r.status === 'runtime error'))
          process.exitCode = 1;
      });
    });

  common(models.command('parse'), false)
    .description(
      'Read the project, check refs, sources, tests and the DAG, and write target/manifest.json',
    )
    .action(async (o) => {
      const opts = optionsOf(o);
      const runner = await openRunner(opts);
      const targetDir = resolve(opts.project, opts.targetPath ?? runner.project.targetPath);
      await writeArtifacts(runner, targetDir, null, 0, {});
      if (!opts.quiet)
        process.stdout.write(
          `${runner.models.size} models, ${runner.project.seeds.size} seeds, ${runner.compiler.dataTests.size} tests, ${runner.project.sources.size} sources\n`,
        );
    });

  return models;
}
