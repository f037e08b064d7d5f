import { QueryError, quoteIdent, quoteLiteral, type Connection } from '../engine/index.js';
import { Compiler, type ParsedModel, type ParsedTest } from './compile.js';
import { topologicalOrder } from './dag.js';
import { RelationCatalog } from './catalog.js';
import { checkThisColumns, diagnoseIncremental, hintFor } from './diagnose.js';
import { ModelError, ModelRunError } from './errors.js';
import { ProjectGraph, type GraphNode } from './graph.js';
import { materialize, type MaterializeAction } from './materialize.js';
import { resolveTarget, type ProfileOptions, type Target } from './profiles.js';
import { loadProject, type Project } from './project.js';

export interface ModelRunResult {
  name: string;
  relation: string;
  materialized: string;
  action: MaterializeAction | 'unchanged';
  ms: number;
  /** Incremental runs: rows the model's query produced (0: the table was left as it was). */
  rows?: number;
}

export interface RunOptions {
  fullRefresh?: boolean;
  /** Only these models (by name); default all, in dependency order. */
  select?: string[];
  /** Called inside the run with the rows an incremental model appended (for publishing). */
  onAppend?: (model: ParsedModel, newRows: string) => Promise<void>;
  /**
   * Leave an incremental model as it is when everything it reads is a model or seed that did
   * not change in this run (a loop's shortcut; dbt runs every model). Models that read a source
   * always run: the runner cannot know whether a source changed.
   */
  skipUnchanged?: boolean;
}

export type NodeStatus = 'success' | 'error' | 'skipped' | 'pass' | 'fail' | 'warn';

/** One node's outcome in a command, in the shape dbt's run_results.json uses. */
export interface NodeResult {
  node: GraphNode;
  status: NodeStatus;
  message: string;
  /** Failing rows (tests). */
  failures: number | null;
  startedAt: string;
  completedAt: string;
  executionTime: number;
  /** The SQL that ran (models and tests). */
  compiledSql?: string;
  rowsAffected?: number;
}

export interface ExecuteOptions {
  fullRefresh?: boolean;
  /** Called as each node finishes (progress lines). */
  onResult?: (result: NodeResult, index: number, total: number) => void;
  onStart?: (node: GraphNode, index: number, total: number) => void;
}

export interface OpenOptions extends Omit<ProfileOptions, 'target'> {
  /** A target, or the name of a profiles.yml output. */
  target?: Target | string;
  vars?: Record<string, unknown>;
}

/**
 * The words agate (dbt's CSV reader) takes for NULL when it infers a seed's types. dbt-duckdb
 * then COPYs the file, where DuckDB takes them as text and fails on a number column; Freshet
 * loads them as the NULLs agate meant.
 */
const AGATE_NULLS = `[${[
  '',
  'na',
  'NA',
  'Na',
  'n/a',
  'N/A',
  'none',
  'None',
  'NONE',
  'null',
  'NULL',
  'Null',
  '.',
]
  .map((w) => `'${w}'`)
  .join(', ')}]`;

/** dbt-duckdb's seed column types, from agate's inference: integer, float8, date, timestamp, … */
function seedType(duckType: string): string {
  const t = duckType.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/.test(t))
    return 'INTEGER';
  if (/^(FLOAT|DOUBLE|DECIMAL)/.test(t)) return 'DOUBLE';
  if (t === 'DATE') return 'DATE';
  if (t.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  if (t === 'BOOLEAN') return 'BOOLEAN';
  if (t === 'TIME') return 'TIME';
  return 'VARCHAR';
}

/**
 * Runs a dbt-compatible project on DuckDB. `run` is the platform's loop: every model in order on
 * one connection, inside the caller's transaction, throwing on the first failure. `execute` is
 * the command line's: seeds, models and tests as a DAG, independent nodes in parallel on a pool
 * of connections, a failure skipping what depends on it.
 */
export class ModelRunner {
  readonly order: string[];
  readonly graph: ProjectGraph;
  /** Incremental SQL already checked against its target (the loop checks each version once). */
  private readonly checkedIncremental = new Set<string>();
  readonly catalog = new RelationCatalog();

  private constructor(
    readonly project: Project,
    readonly compiler: Compiler,
    readonly models: Map<string, ParsedModel>,
  ) {
    this.order = topologicalOrder(models);
    this.graph = new ProjectGraph(compiler);
  }

  static async open(projectDir: string, opts: OpenOptions = {}): Promise<ModelRunner> {
    const project = await loadProject(projectDir);
    const target =
      typeof opts.target === 'object'
        ? opts.target
        : await resolveTarget(projectDir, project.profile, {
            ...opts,
            target: typeof opts.target === 'string' ? opts.target : undefined,
          });
    const compiler = new Compiler(project, target, opts.vars ?? {});
    return new ModelRunner(project, compiler, compiler.parse());
  }

  get target(): Target {
    return this.compiler.target;
  }

  /** Loads one seed CSV into its table with dbt-duckdb's types (dbt seed). */
  async seedOne(conn: Connection, name: string): Promise<{ relation: string; rows: number }> {
    const seed = this.project.seeds.get(name)!;
    const rel = this.compiler.seedRelation(name);
    const relation = rel.toString();
    const csv = quoteLiteral(seed.path);
    const delimiter = quoteLiteral(String(seed.config.delimiter ?? ','));
    const read = `read_csv(${csv}, header = true, delim = ${delimiter}, nullstr = ${AGATE_NULLS})`;
    const sniffed = await conn.rows(`DESCRIBE SELECT * FROM ${read}`);
    const overrides = (seed.config.column_types ?? {}) as Record<string, string>;
    const columns = sniffed.map((r) => {
      const col = String(r.column_name);
      return `${quoteIdent(col)} ${overrides[col] ?? seedType(String(r.column_type))}`;
    });
    await this.catalog.ensureSchema(conn, rel.schema);
    await conn.run(`DROP TABLE IF EXISTS ${relation}`);
    await conn.run(`CREATE TABLE ${relation} (${columns.join(', ')})`);
    await conn.run(`INSERT INTO ${relation} SELECT * FROM ${read}`);
    this.catalog.changed(rel.schema, rel.identifier, 'table');
    const [count] = await conn.rows(`SELECT count(*)::INTEGER AS n FROM ${relation}`);
    return { relation, rows: Number(count!.n) };
  }

  /** Loads every seed CSV into its table (dbt seed). */
  async seed(conn: Connection): Promise<string[]> {
    await this.catalog.load(conn);
    const loaded: string[] = [];
    for (const seed of this.project.seeds.values())
      loaded.push((await this.seedOne(conn, seed.name)).relation);
    return loaded;
  }

  /** The relation a model writes, e.g. "gold"."inventory_realtime". */
  relationOf(name: string): ParsedModel['relation'] {
    const model = this.models.get(name);
    if (!model) throw new ModelError(`no model named '${name}'`);
    return model.relation;
  }

  /** Runs one model; a database error becomes a ModelRunError naming the model and its file. */
  async runModel(
    conn: Connection,
    name: string,
    opts: { fullRefresh?: boolean; onAppend?: RunOptions['onAppend'] } = {},
  ): Promise<ModelRunResult & { sql: string }> {
    const model = this.models.get(name)!;
    const started = performance.now();
    let compiled = '';
    let incremental = false;
    try {
      if (model.config.materialized !== 'ephemeral')
        await this.catalog.ensureSchema(conn, model.relation.schema);
      for (const hook of this.compiler.hooks(name, 'pre')) await conn.run((compiled = hook));
      const { action, sql, rows } = await materialize({
        conn,
        catalog: this.catalog,
        model,
        fullRefresh: opts.fullRefresh ?? false,
        compile: (isIncremental) => {
          incremental = isIncremental;
          return (compiled = this.compiler.compile(name, { isIncremental }));
        },
        onAppend: opts.onAppend,
        beforeIncremental: async (sql) => {
          const key = `${name}\0${sql}`;
          if (this.checkedIncremental.has(key)) return;
          const problem = await checkThisColumns(conn, model, sql);
          if (problem)
            throw new ModelRunError(
              `model ${name} (${model.node.path}) cannot run incrementally: ${problem}`,
              name,
              sql,
            );
          this.checkedIncremental.add(key);
        },
      });
      for (const hook of this.compiler.hooks(name, 'post')) await conn.run((compiled = hook));
      return {
        name,
        relation: model.relation.toString(),
        materialized: model.config.materialized,
        action,
        ms: performance.now() - started,
        sql,
        rows,
      };
    } catch (err) {
      if (err instanceof ModelError) throw err;
      const reason = err instanceof QueryError ? err.message : String(err);
      let explained: string | null = null;
      if (incremental) {
        const full = this.compiler.compile(name, { isIncremental: false });
        explained = await diagnoseIncremental(conn, model, compiled, full, reason);
      }
      const hint = explained ? null : hintFor(reason);
      const message = explained
        ? `model ${name} (${model.node.path}) failed on its incremental run: ${explained}. DuckDB said: ${reason}`
        : `model ${name} (${model.node.path}) failed: ${reason}${hint ? ` (hint: ${hint})` : ''}`;
      throw new ModelRunError(message, name, compiled, { cause: err });
    }
  }

  /** The platform's loop: every (selected) model in order, on one connection. */
  async run(conn: Connection, opts: RunOptions = {}): Promise<ModelRunResult[]> {
    const selected = opts.select ? new Set(opts.select) : null;
    const results: ModelRunResult[] = [];
    const changed = new Set<string>();
    try {
      await this.catalog.load(conn);
      for (const name of this.order) {
        if (selected && !selected.has(name)) continue;
        const model = this.models.get(name)!;
        if (opts.skipUnchanged && !opts.fullRefresh && this.unchangedInputs(model, changed)) {
          results.push({
            name,
            relation: model.relation.toString(),
            materialized: model.config.materialized,
            action: 'unchanged',
            ms: 0,
            rows: 0,
          });
          continue;
        }
        const { sql: _sql, ...result } = await this.runModel(conn, name, opts);
        // Tables are rebuilt (changed); incremental models changed when their query had rows.
        if (result.action === 'table' || result.action === 'create' || (result.rows ?? 0) > 0)
          changed.add(name);
        results.push(result);
      }
    } catch (err) {
      // The caller's transaction rolls back what the catalog recorded; read it again next run.
      this.catalog.clear();
      throw err;
    }
    return results;
  }

  /** An incremental model that reads only models which did not change in this run (and seeds). */
  private unchangedInputs(model: ParsedModel, changed: Set<string>): boolean {
    if (model.config.materialized !== 'incremental') return false;
    if (this.catalog.kind(model.relation.schema, model.relation.identifier) !== 'table')
      return false;
    return this.readsOnlyUnchanged(model, changed);
  }

  private readsOnlyUnchanged(model: ParsedModel, changed: Set<string>): boolean {
    if (model.sources.length > 0 || model.refs.length === 0) return false;
    return model.refs.every((r) => {
      const parent = this.models.get(r)!;
      // A view or ephemeral parent is only a query: what it reads decides.
      if (['view', 'ephemeral'].includes(parent.config.materialized))
        return this.readsOnlyUnchanged(parent, changed);
      return !changed.has(r);
    });
  }

  /** A test's verdict: dbt's get_test_sql, failing-row count against warn_if / error_if. */
  async runTest(
    conn: Connection,
    test: ParsedTest,
  ): Promise<{ status: 'pass' | 'fail' | 'warn'; failures: number; sql: string; message: string }> {
    const main = this.compiler.compileTest(test);
    let from = `(\n${main}\n${test.config.limit !== undefined ? `limit ${test.config.limit}` : ''}\n)`;
    let stored = '';
    if (test.config.store_failures) {
      const schema = this.compiler.schemaFor(String(test.config.schema ?? 'dbt_test__audit'));
      stored = `${quoteIdent(schema)}.${quoteIdent(test.alias)}`;
      await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await conn.run(`CREATE OR REPLACE TABLE ${stored} AS ${main}`);
      from = `(select * from ${stored})`;
    }
    const sql =
      `select count(*)::BIGINT as failures, count(*) ${test.config.warn_if} as should_warn, ` +
      `count(*) ${test.config.error_if} as should_error from ${from} dbt_internal_test`;
    const [row] = await conn.rows(sql);
    const failures = Number(row!.failures);
    let status: 'pass' | 'fail' | 'warn' = 'pass';
    if (test.config.severity === 'error' && row!.should_error) status = 'fail';
    else if (row!.should_warn) status = 'warn';
    const where = stored ? ` (failing rows in ${stored})` : '';
    const message =
      status === 'pass'
        ? ''
        : `Got ${failures} result${failures === 1 ? '' : 's'}, configured to ${status === 'fail' ? 'fail' : 'warn'} if ${status === 'fail' ? test.config.error_if : test.config.warn_if}${where}`;
    return { status, failures, sql: main, message };
  }

  /**
   * Runs seeds, models and tests as a DAG on a pool of connections. A node starts once every
   * selected node it depends on has finished; in `build`, a model's children also wait for the
   * model's tests, and a failure skips everything downstream (as dbt build does).
   */
  async execute(
    pool: Connection[],
    nodes: GraphNode[],
    opts: ExecuteOptions = {},
  ): Promise<NodeResult[]> {
    const selected = new Map(nodes.map((n) => [n.id, n]));
    const deps = new Map<string, Set<string>>();
    for (const n of nodes) {
      const d = new Set<string>();
      for (const a of this.graph.ancestors(n.id)) if (selected.has(a)) d.add(a);
      deps.set(n.id, d);
    }
    // In build, a tested node's children wait for its tests (unless the test needs the child).
    for (const t of nodes) {
      if (t.type !== 'test') continue;
      const attached = this.compiler.dataTests.get(t.name)?.attachedTo;
      const parentId =
        attached &&
        t.parents.find((p) => p.endsWith(`.${attached.name}`) && !p.startsWith('source.'));
      if (!parentId) continue;
      const testAncestors = this.graph.ancestors(t.id);
      for (const child of this.graph.descendants(parentId)) {
        if (child === t.id || !selected.has(child) || testAncestors.has(child)) continue;
        if (this.graph.nodes.get(child)!.type === 'test') continue;
        deps.get(child)!.add(t.id);
      }
    }
    // Schemas first, on one connection: DuckDB refuses concurrent catalog writes to one schema.
    const schemas = new Set<string>();
    for (const n of nodes) {
      if (n.type === 'model') schemas.add(this.models.get(n.name)!.relation.schema);
      if (n.type === 'seed') schemas.add(this.compiler.seedRelation(n.name).schema);
    }
    await this.catalog.load(pool[0]!);
    for (const s of schemas) await this.catalog.ensureSchema(pool[0]!, s);

    const results: NodeResult[] = [];
    const done = new Map<string, NodeStatus>();
    const free = [...pool];
    const pending = new Set(nodes.map((n) => n.id));
    const running = new Set<Promise<void>>();
    const total = nodes.length;
    let started = 0;
    const failed = (s: NodeStatus | undefined) => s === 'error' || s === 'fail' || s === 'skipped';
    const order = [...nodes].sort((a, b) => a.id.localeCompare(b.id));

    const finish = (node: GraphNode, r: Omit<NodeResult, 'node'>) => {
      const result = { node, ...r };
      results.push(result);
      done.set(node.id, r.status);
      opts.onResult?.(result, results.length, total);
    };

    while (pending.size > 0 || running.size > 0) {
      let progressed = false;
      for (const node of order) {
        if (!pending.has(node.id)) continue;
        const d = [...deps.get(node.id)!];
        if (d.some((x) => failed(done.get(x)))) {
          pending.delete(node.id);
          const now = new Date().toISOString();
          const cause = d.find((x) => failed(done.get(x)))!;
          finish(node, {
            status: 'skipped',
            message: `skipped because ${cause} did not succeed`,
            failures: null,
            startedAt: now,
            completedAt: now,
            executionTime: 0,
          });
          progressed = true;
          continue;
        }
        if (!d.every((x) => done.has(x)) || free.length === 0) continue;
        pending.delete(node.id);
        const conn = free.pop()!;
        opts.onStart?.(node, ++started, total);
        const p = this.executeNode(conn, node, opts).then((r) => {
          finish(node, r);
          free.push(conn);
          running.delete(p);
        });
        running.add(p);
        progressed = true;
      }
      if (running.size > 0) await Promise.race(running);
      else if (!progressed && pending.size > 0) {
        throw new ModelError(`cannot order ${[...pending].join(', ')}: a dependency never ran`);
      }
    }
    return results;
  }

  private async executeNode(
    conn: Connection,
    node: GraphNode,
    opts: ExecuteOptions,
  ): Promise<Omit<NodeResult, 'node'>> {
    const startedAt = new Date().toISOString();
    const t0 = performance.now();
    const end = () => ({
      startedAt,
      completedAt: new Date().toISOString(),
      executionTime: (performance.now() - t0) / 1000,
    });
    try {
      if (node.type === 'seed') {
        const { relation, rows } = await this.seedOne(conn, node.name);
        return {
          status: 'success',
          message: `INSERT ${rows} into ${relation}`,
          failures: null,
          rowsAffected: rows,
          ...end(),
        };
      }
      if (node.type === 'model') {
        const r = await this.runModel(conn, node.name, { fullRefresh: opts.fullRefresh });
        const message =
          r.action === 'ephemeral'
            ? 'ephemeral (inlined where referenced)'
            : `${r.action} ${r.relation}`;
        return { status: 'success', message, failures: null, compiledSql: r.sql, ...end() };
      }
      if (node.type === 'test') {
        const test = this.compiler.dataTests.get(node.name)!;
        const r = await this.runTest(conn, test);
        return {
          status: r.status,
          message: r.message,
          failures: r.failures,
          compiledSql: r.sql,
          ...end(),
        };
      }
      return { status: 'success', message: '', failures: null, ...end() };
    } catch (err) {
      const message =
        err instanceof ModelError
          ? err.message
          : `${node.type} ${node.name} (${node.path}) failed: ${err instanceof Error ? err.message : String(err)}`;
      const compiledSql = err instanceof ModelRunError ? err.compiledSql : undefined;
      return { status: 'error', message, failures: null, compiledSql, ...end() };
    }
  }
}
