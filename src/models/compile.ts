import nunjucks from 'nunjucks';
import { CompileError } from './errors.js';
import type { ModelConfig, ModelNode, Project } from './project.js';
import { Relation } from './relation.js';

/** The warehouse a project runs against, as dbt's `target` variable shows it. */
export interface Target {
  name: string;
  schema: string;
  type: string;
  database: string;
  threads: number;
}

export const DEFAULT_TARGET: Target = {
  name: 'dev',
  schema: 'main',
  type: 'duckdb',
  database: 'memory',
  threads: 1,
};

/** What parsing a model tells us before it runs: its config and what it depends on. */
export interface ParsedModel {
  node: ModelNode;
  config: ModelConfig;
  /** Models this one refers to (its parents in the DAG). */
  refs: string[];
  /** Seeds this one refers to (loaded before any model runs). */
  seedRefs: string[];
  sources: string[];
  relation: Relation;
}

type Kwargs = Record<string, unknown> & { __keywords?: boolean };

function splitKwargs(args: unknown[]): { positional: unknown[]; kwargs: Kwargs } {
  const last = args[args.length - 1] as Kwargs | undefined;
  if (last && typeof last === 'object' && last.__keywords) {
    const { __keywords: _k, ...rest } = last;
    return { positional: args.slice(0, -1), kwargs: rest };
  }
  return { positional: args, kwargs: {} };
}

const DEFAULT_CONFIG: ModelConfig = { materialized: 'view', tags: [], enabled: true };

/**
 * Renders dbt's Jinja with nunjucks, a maintained Jinja port for JavaScript. Where dbt's behaviour
 * needs more than nunjucks gives, it is supplied here: the dbt context functions (config, ref,
 * source, this, is_incremental, var, env_var, target), macros made global by prepending the
 * project's macro files, and dbt's generate_schema_name rule.
 */
export class Compiler {
  private readonly env = new nunjucks.Environment(null, {
    autoescape: false,
    throwOnUndefined: false,
  });
  private parsed = new Map<string, ParsedModel>();

  constructor(
    readonly project: Project,
    readonly target: Target = DEFAULT_TARGET,
    readonly varOverrides: Record<string, unknown> = {},
  ) {}

  private render(template: string, context: Record<string, unknown>, where: string): string {
    try {
      return this.env.renderString(this.project.macros + template, context);
    } catch (err) {
      // The project's macros are rendered in front of the model; report lines of the model file.
      const macroLines = this.project.macros.split('\n').length - 1;
      const message = (err as Error).message
        .replace(/^\(unknown path\)\s*/, '')
        .replace(/\[Line (\d+), Column (\d+)\]/, (_, line: string, col: string) => {
          const n = Number(line) - macroLines;
          return n > 0
            ? `line ${n}, column ${col}:`
            : `in a macro (line ${line} of the macro files), column ${col}:`;
        })
        .replace(/\s*\n\s*/g, ' ');
      throw new CompileError(`${where}: Jinja error: ${message}`, { cause: err });
    }
  }

  private baseContext(where: string): Record<string, unknown> {
    return {
      target: this.target,
      var: (name: string, fallback?: unknown) => {
        if (name in this.varOverrides) return this.varOverrides[name];
        if (name in this.project.vars) return this.project.vars[name];
        if (fallback !== undefined) return fallback;
        throw new CompileError(
          `${where}: var('${name}') is not defined in dbt_project.yml vars and has no default`,
        );
      },
      env_var: (name: string, fallback?: unknown) => {
        const value = process.env[name];
        if (value !== undefined) return value;
        if (fallback !== undefined) return fallback;
        throw new CompileError(`${where}: env_var('${name}') is not set and has no default`);
      },
      // Logging from models goes nowhere in the loop; dbt prints it only with --debug.
      log: () => '',
      run_started_at: new Date().toISOString(),
    };
  }

  /** dbt's rule: a custom schema is appended to the target schema unless the project overrides the macro. */
  schemaFor(customSchema: string | undefined): string {
    if (/\{%-?\s*macro\s+generate_schema_name\b/.test(this.project.macros)) {
      const rendered = this.render(
        '{{ generate_schema_name(custom_schema_name, none) }}',
        { ...this.baseContext('generate_schema_name'), custom_schema_name: customSchema ?? null },
        'macros/generate_schema_name',
      );
      return rendered.trim();
    }
    return customSchema ? `${this.target.schema}_${customSchema.trim()}` : this.target.schema;
  }

  /** The relation a seed is loaded into. */
  seedRelation(name: string): Relation {
    const seed = this.project.seeds.get(name);
    if (!seed) throw new CompileError(`no seed named '${name}'`);
    return new Relation(this.schemaFor(seed.config.schema as string | undefined), name);
  }

  /** Phase 1, as dbt's parse: run the Jinja once to collect config(), ref() and source() calls. */
  parse(): Map<string, ParsedModel> {
    const parsed = new Map<string, ParsedModel>();
    for (const node of this.project.models.values()) {
      const config: ModelConfig = { ...DEFAULT_CONFIG, ...node.baseConfig } as ModelConfig;
      const refs: string[] = [];
      const sources: string[] = [];
      const where = node.path;
      this.render(
        node.raw,
        {
          ...this.baseContext(where),
          config: (...args: unknown[]) => {
            Object.assign(config, splitKwargs(args).kwargs);
            return '';
          },
          ref: (...args: unknown[]) => {
            const { positional } = splitKwargs(args);
            const name = String(positional[positional.length - 1]);
            refs.push(name);
            return new Relation('__parse__', name);
          },
          source: (sourceName: string, tableName: string) => {
            sources.push(`${sourceName}.${tableName}`);
            return new Relation(sourceName, tableName);
          },
          is_incremental: () => false,
          this: new Relation('__parse__', node.name),
        },
        where,
      );
      if (config.enabled === false) continue;
      if (typeof config.tags === 'string') config.tags = [config.tags];
      const relation = new Relation(this.schemaFor(config.schema), config.alias ?? node.name);
      const unique = [...new Set(refs)];
      parsed.set(node.name, {
        node,
        config,
        refs: unique.filter((r) => !this.project.seeds.has(r) || this.project.models.has(r)),
        seedRefs: unique.filter((r) => this.project.seeds.has(r) && !this.project.models.has(r)),
        sources: [...new Set(sources)],
        relation,
      });
    }
    for (const model of parsed.values()) {
      for (const ref of model.refs) {
        if (!parsed.has(ref)) {
          const hint = this.project.models.has(ref) ? ' (it is disabled)' : '';
          throw new CompileError(
            `${model.node.path}: ref('${ref}') names a model that does not exist${hint}`,
          );
        }
      }
      for (const src of model.sources) {
        if (!this.project.sources.has(src)) {
          const [s, t] = src.split('.');
          throw new CompileError(
            `${model.node.path}: source('${s}', '${t}') is not declared; add it under 'sources:' in a schema .yml file`,
          );
        }
      }
    }
    this.parsed = parsed;
    return parsed;
  }

  /** Phase 2: the SQL a model runs now. Ephemeral models it refers to are inlined as CTEs. */
  compile(name: string, opts: { isIncremental: boolean }): string {
    const model = this.parsed.get(name);
    if (!model) throw new CompileError(`no model named '${name}'`);
    const ctes = new Map<string, string>();
    const sql = this.renderModel(model, opts.isIncremental, ctes);
    return injectCtes(sql, ctes);
  }

  private renderModel(
    model: ParsedModel,
    isIncremental: boolean,
    ctes: Map<string, string>,
  ): string {
    const where = model.node.path;
    return this.render(
      model.node.raw,
      {
        ...this.baseContext(where),
        config: () => '',
        ref: (...args: unknown[]) => {
          const { positional } = splitKwargs(args);
          const refName = String(positional[positional.length - 1]);
          const seed = this.project.seeds.get(refName);
          if (seed && !this.parsed.has(refName)) return this.seedRelation(refName);
          const target = this.parsed.get(refName)!;
          if (target.config.materialized === 'ephemeral') {
            const cte = `__dbt__cte__${target.node.name}`;
            if (!ctes.has(cte)) {
              const inner = new Map<string, string>();
              const body = this.renderModel(target, false, inner);
              for (const [k, v] of inner) if (!ctes.has(k)) ctes.set(k, v);
              ctes.set(cte, body);
            }
            return new Relation('', cte);
          }
          return target.relation;
        },
        source: (sourceName: string, tableName: string) => {
          const src = this.project.sources.get(`${sourceName}.${tableName}`)!;
          return new Relation(src.schema, src.identifier);
        },
        is_incremental: () => isIncremental,
        this: model.relation,
      },
      where,
    );
  }
}

/** Puts ephemeral models in front of a query as CTEs, merging with a WITH the query already has. */
function injectCtes(sql: string, ctes: Map<string, string>): string {
  if (ctes.size === 0) return sql;
  const defs = [...ctes].map(([name, body]) => `${name} AS (\n${body.trim()}\n)`).join(',\n');
  const leadingWith = /^(\s*(?:--[^\n]*\n\s*)*)with\s/i.exec(sql);
  if (leadingWith) return `${leadingWith[1]}WITH ${defs},\n${sql.slice(leadingWith[0].length)}`;
  return `WITH ${defs}\n${sql}`;
}
