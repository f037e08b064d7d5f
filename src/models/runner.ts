import { QueryError, quoteIdent, quoteLiteral, type Connection } from '../engine/index.js';
import { Compiler, DEFAULT_TARGET, type ParsedModel, type Target } from './compile.js';
import { topologicalOrder } from './dag.js';
import { ModelError, ModelRunError } from './errors.js';
import { materialize, type MaterializeAction } from './materialize.js';
import { loadProject, type Project } from './project.js';

export interface ModelRunResult {
  name: string;
  relation: string;
  materialized: string;
  action: MaterializeAction;
  ms: number;
}

export interface RunOptions {
  fullRefresh?: boolean;
  /** Only these models (by name); default all, in dependency order. */
  select?: string[];
  /** Called inside the run with the rows an incremental model appended (for publishing). */
  onAppend?: (model: ParsedModel, newRows: string) => Promise<void>;
}

/**
 * Runs a dbt-compatible project on a DuckDB connection. The caller decides the transaction: the
 * pipeline wraps a whole run in one, so readers see every model of a run change together.
 */
export class ModelRunner {
  readonly order: string[];

  private constructor(
    readonly project: Project,
    readonly compiler: Compiler,
    readonly models: Map<string, ParsedModel>,
  ) {
    this.order = topologicalOrder(models);
  }

  static async open(
    projectDir: string,
    opts: { target?: Target; vars?: Record<string, unknown> } = {},
  ): Promise<ModelRunner> {
    const project = await loadProject(projectDir);
    const compiler = new Compiler(project, opts.target ?? DEFAULT_TARGET, opts.vars ?? {});
    return new ModelRunner(project, compiler, compiler.parse());
  }

  /** Loads every seed CSV into its table (dbt seed). */
  async seed(conn: Connection): Promise<string[]> {
    const loaded: string[] = [];
    for (const seed of this.project.seeds.values()) {
      const rel = this.compiler.seedRelation(seed.name);
      await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(rel.schema)}`);
      const relation = rel.toString();
      await conn.run(
        `CREATE OR REPLACE TABLE ${relation} AS SELECT * FROM read_csv(${quoteLiteral(seed.path)}, header = true)`,
      );
      loaded.push(relation);
    }
    return loaded;
  }

  /** The relation a model writes, e.g. "gold"."inventory_realtime". */
  relationOf(name: string): ParsedModel['relation'] {
    const model = this.models.get(name);
    if (!model) throw new ModelError(`no model named '${name}'`);
    return model.relation;
  }

  async run(conn: Connection, opts: RunOptions = {}): Promise<ModelRunResult[]> {
    const selected = opts.select ? new Set(opts.select) : null;
    const results: ModelRunResult[] = [];
    for (const name of this.order) {
      if (selected && !selected.has(name)) continue;
      const model = this.models.get(name)!;
      const started = performance.now();
      let compiled = '';
      try {
        const { action } = await materialize({
          conn,
          model,
          fullRefresh: opts.fullRefresh ?? false,
          compile: (isIncremental) => (compiled = this.compiler.compile(name, { isIncremental })),
          onAppend: opts.onAppend,
        });
        results.push({
          name,
          relation: model.relation.toString(),
          materialized: model.config.materialized,
          action,
          ms: performance.now() - started,
        });
      } catch (err) {
        if (err instanceof ModelError) throw err;
        const reason = err instanceof QueryError ? err.message : String(err);
        throw new ModelRunError(
          `model ${name} (${model.node.path}) failed: ${reason}`,
          name,
          compiled,
          { cause: err },
        );
      }
    }
    return results;
  }
}
