import { createHash, randomUUID } from 'node:crypto';
import { BUILTIN_TESTS } from './builtin-macros.js';
import { CompileError } from './errors.js';
import { JinjaEnv, splitKwargs, type RenderScope } from './jinja.js';
import { DEFAULT_TARGET, type Target } from './profiles.js';
import type { GenericTestSpec, ModelConfig, ModelNode, Project } from './project.js';
import { Relation } from './relation.js';

export { DEFAULT_TARGET, type Target } from './profiles.js';

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

export interface TestConfig {
  severity: 'error' | 'warn';
  where?: string;
  store_failures: boolean;
  error_if: string;
  warn_if: string;
  limit?: number;
  tags: string[];
  enabled: boolean;
  [key: string]: unknown;
}

/** A data test: a query whose rows are failures. */
export interface ParsedTest {
  /** dbt's test name, e.g. accepted_values_orders_status__placed__shipped. */
  name: string;
  /** The name of its compiled file and store_failures table (dbt shortens past 63 characters). */
  alias: string;
  kind: 'generic' | 'singular';
  path: string;
  /** The model, seed or source (`source.table`) a generic test is attached to. */
  attachedTo?: { kind: 'model' | 'seed' | 'source'; name: string };
  column?: string;
  testName?: string;
  refs: string[];
  seedRefs: string[];
  sources: string[];
  config: TestConfig;
  /** Generic tests: the macro's arguments (strings with ref()/source() are rendered). */
  spec?: GenericTestSpec;
  raw?: string;
}

const DEFAULT_CONFIG: ModelConfig = { materialized: 'view', tags: [], enabled: true };
const DEFAULT_TEST_CONFIG: TestConfig = {
  severity: 'error',
  store_failures: false,
  error_if: '!= 0',
  warn_if: '!= 0',
  tags: [],
  enabled: true,
};

/** A relation-like value that renders as a filtered subquery (a test's `where` config). */
class FilteredRelation extends Relation {
  constructor(
    private readonly inner: Relation,
    private readonly where: string,
  ) {
    super(inner.schema, inner.identifier, inner.database);
  }
  override toString(): string {
    return `(select * from ${this.inner.toString()} where ${this.where}) dbt_subquery`;
  }
}

/** A config() function as dbt gives it: callable, and with .get/.require for macros. */
function configObject(config: Record<string, unknown>, collect: boolean): unknown {
  const fn = (...args: unknown[]) => {
    if (collect) {
      const { positional, kwargs } = splitKwargs(args);
      const given = { ...((positional[0] as object | undefined) ?? {}), ...kwargs } as Record<
        string,
        unknown
      >;
      // dbt adds tags from every level (project, schema file, config()) instead of replacing them.
      if (given.tags !== undefined) {
        const more = Array.isArray(given.tags) ? given.tags : [given.tags];
        const have = Array.isArray(config.tags) ? config.tags : config.tags ? [config.tags] : [];
        given.tags = [...new Set([...have, ...more])];
      }
      Object.assign(config, given);
    }
    return '';
  };
  return Object.assign(fn, {
    get: (key: string, fallback?: unknown) => config[key] ?? fallback ?? null,
    require: (key: string) => {
      if (config[key] === undefined) throw new CompileError(`config '${key}' is required`);
      return config[key];
    },
  });
}

/**
 * Turns a project into SQL: phase 1 (parse) renders each model once to learn its config, refs
 * and sources; phase 2 (compile) renders it for a run, with ephemeral models inlined as CTEs.
 * Templates and macros are compiled once, so a run every second pays only for rendering.
 */
export class Compiler {
  readonly jinja: JinjaEnv;
  readonly invocationId = randomUUID();
  private parsed = new Map<string, ParsedModel>();
  private tests = new Map<string, ParsedTest>();

  constructor(
    readonly project: Project,
    readonly target: Target = DEFAULT_TARGET,
    readonly varOverrides: Record<string, unknown> = {},
  ) {
    const { path: _path, ...visibleTarget } = target;
    this.jinja = new JinjaEnv({
      projectName: project.name,
      target: { ...visibleTarget, profile_name: project.profile ?? project.name },
      vars: (name, fallback, where) => this.lookupVar(name, fallback, where),
      macroFiles: project.macroFiles,
      invocationId: this.invocationId,
    });
    // dbt renders Jinja in source properties: schema: "{{ target.schema }}", identifier: "{{ var(…) }}".
    for (const src of project.sources.values()) {
      for (const key of ['schema', 'identifier'] as const) {
        if (src[key].includes('{{') || src[key].includes('{%'))
          src[key] = this.jinja.render(src[key], this.scopeFor(src.path)).trim();
      }
    }
  }

  private lookupVar(name: string, fallback: unknown, where: string): unknown {
    if (name in this.varOverrides) return this.varOverrides[name];
    const scoped = this.project.vars[this.project.name];
    if (scoped && typeof scoped === 'object' && name in scoped)
      return (scoped as Record<string, unknown>)[name];
    if (name in this.project.vars) return this.project.vars[name];
    if (fallback !== undefined) return fallback;
    throw new CompileError(
      `${where}: var('${name}') is not defined in dbt_project.yml vars or --vars and has no default`,
    );
  }

  get models(): Map<string, ParsedModel> {
    return this.parsed;
  }

  get dataTests(): Map<string, ParsedTest> {
    return this.tests;
  }

  /** dbt's rule: a custom schema is appended to the target schema unless the project overrides the macro. */
  schemaFor(customSchema: string | undefined, where = 'generate_schema_name'): string {
    if (this.jinja.hasMacro('generate_schema_name')) {
      const out = this.jinja.call(
        'generate_schema_name',
        { custom_schema_name: customSchema ?? null, node: null },
        this.scopeFor(where),
      );
      return String(out).trim();
    }
    return customSchema ? `${this.target.schema}_${customSchema.trim()}` : this.target.schema;
  }

  private scopeFor(where: string, overrides: Partial<RenderScope> = {}): RenderScope {
    return {
      ref: () => {
        throw new CompileError(`${where}: ref() is not available here`);
      },
      source: () => {
        throw new CompileError(`${where}: source() is not available here`);
      },
      config: configObject({}, false),
      is_incremental: () => false,
      execute: true,
      where,
      ...overrides,
    };
  }

  /** The relation a seed is loaded into. */
  seedRelation(name: string): Relation {
    const seed = this.project.seeds.get(name);
    if (!seed) throw new CompileError(`no seed named '${name}'`);
    return new Relation(
      this.schemaFor(seed.config.schema as string | undefined),
      (seed.config.alias as string | undefined) ?? name,
    );
  }

  /** Phase 1, as dbt's parse: run the Jinja once to collect config(), ref() and source() calls. */
  parse(): Map<string, ParsedModel> {
    const parsed = new Map<string, ParsedModel>();
    for (const node of this.project.models.values()) {
      const config: ModelConfig = { ...DEFAULT_CONFIG, ...node.baseConfig } as ModelConfig;
      const deps = this.collectDeps(node.raw, node.path, config, node.name);
      if (config.enabled === false) continue;
      if (typeof config.tags === 'string') config.tags = [config.tags];
      const relation = new Relation(
        this.schemaFor(config.schema, node.path),
        config.alias ?? node.name,
      );
      parsed.set(node.name, { node, config, ...deps, relation });
    }
    this.parsed = parsed;
    for (const model of parsed.values()) this.checkDeps(model.node.path, model);
    this.tests = this.parseTests();
    return parsed;
  }

  /** Renders a node once with recording ref/source/config, as dbt's parser does. */
  private collectDeps(
    raw: string,
    where: string,
    config: Record<string, unknown>,
    selfName?: string,
  ): { refs: string[]; seedRefs: string[]; sources: string[] } {
    const refs: string[] = [];
    const sources: string[] = [];
    const scope = (incremental: boolean, collectConfig: boolean) => ({
      where,
      execute: false,
      config: configObject(collectConfig ? config : { ...config }, collectConfig),
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
      is_incremental: () => incremental,
      this: selfName ? new Relation('__parse__', selfName) : undefined,
    });
    this.jinja.render(raw, scope(false, true));
    // dbt parses with is_incremental() false, so a ref() only inside an incremental block is not
    // a dependency there, and the model may run before what it reads (dbt asks for a
    // `-- depends_on:` comment). Freshet renders the incremental branch too and orders by both.
    if (/is_incremental\s*\(/.test(raw) || this.project.macroFiles.length > 0) {
      try {
        this.jinja.render(raw, scope(true, false));
      } catch {
        // The full-build rendering is the one that must work; errors show when the model runs.
      }
    }
    const unique = [...new Set(refs)];
    const isSeed = (r: string) => this.project.seeds.has(r) && !this.project.models.has(r);
    return {
      refs: unique.filter((r) => !isSeed(r)),
      seedRefs: unique.filter(isSeed),
      sources: [...new Set(sources)],
    };
  }

  private checkDeps(
    where: string,
    deps: { refs: string[]; sources: string[] },
    what = 'ref',
  ): void {
    for (const ref of deps.refs) {
      if (!this.parsed.has(ref)) {
        const hint = this.project.models.has(ref) ? ' (it is disabled)' : '';
        throw new CompileError(
          `${where}: ${what}('${ref}') names a model that does not exist${hint}`,
        );
      }
    }
    for (const src of deps.sources) {
      if (!this.project.sources.has(src)) {
        const [s, t] = src.split('.');
        throw new CompileError(
          `${where}: source('${s}', '${t}') is not declared; add it under 'sources:' in a schema .yml file`,
        );
      }
    }
  }

  private parseTests(): Map<string, ParsedTest> {
    const tests = new Map<string, ParsedTest>();
    const add = (test: ParsedTest) => {
      if (!test.config.enabled) return;
      let name = test.name;
      for (let i = 2; tests.has(name); i++) name = `${test.name}_${i}`;
      tests.set(name, { ...test, name });
    };
    for (const model of this.parsed.values()) {
      const node = model.node;
      for (const spec of node.tests) add(this.genericTest(spec, 'model', node.name, model.config));
      for (const col of node.columns)
        for (const spec of col.tests) add(this.genericTest(spec, 'model', node.name, model.config));
    }
    for (const seed of this.project.seeds.values())
      for (const col of seed.columns)
        for (const spec of col.tests) add(this.genericTest(spec, 'seed', seed.name, {}));
    for (const [key, src] of this.project.sources) {
      for (const spec of src.tests) add(this.genericTest(spec, 'source', key, {}));
      for (const col of src.columns)
        for (const spec of col.tests) add(this.genericTest(spec, 'source', key, {}));
    }
    for (const t of this.project.singularTests.values()) {
      const config: Record<string, unknown> = { ...DEFAULT_TEST_CONFIG };
      const deps = this.collectDeps(t.raw, t.path, config);
      this.checkDeps(t.path, deps);
      add({
        name: t.name,
        alias: t.name,
        kind: 'singular',
        path: t.path,
        ...deps,
        config: normalizeTestConfig(config),
        raw: t.raw,
      });
    }
    return tests;
  }

  private genericTest(
    spec: GenericTestSpec,
    kind: 'model' | 'seed' | 'source',
    name: string,
    ownerConfig: Record<string, unknown>,
  ): ParsedTest {
    const where = `${spec.path} (test ${spec.testName} on ${name})`;
    const macro = `test_${spec.testName}`;
    if (!this.jinja.hasMacro(macro)) {
      const known = BUILTIN_TESTS.join(', ');
      throw new CompileError(
        `${where}: unknown test '${spec.namespace ? spec.namespace + '.' : ''}${spec.testName}' (built-in: ${known}; or define it with {% test ${spec.testName}(model, column_name) %} in macros/ or tests/generic/)`,
      );
    }
    const targetName = kind === 'source' ? `source_${name.replace('.', '_')}` : name;
    const testType = spec.namespace
      ? `${spec.namespace.replace(/\W/g, '_')}_${spec.testName}`
      : spec.testName;
    const flat: string[] = [];
    for (const key of Object.keys(spec.args).sort()) {
      const v = spec.args[key];
      const parts =
        v && typeof v === 'object' ? (Array.isArray(v) ? v : Object.values(v as object)) : [v];
      flat.push(...parts.map((p) => pyStr(p).replace(/[^0-9a-zA-Z_]+/g, '_')));
    }
    const fullName = `${testType}_${targetName}_${flat.join('__')}`;
    const short =
      fullName.length >= 64
        ? `${`${testType}_${targetName}`.slice(0, 30)}_${createHash('md5').update(fullName).digest('hex')}`
        : fullName;
    // Strings such as `to: ref('customers')` are Jinja expressions; their refs are dependencies.
    const refs: string[] = [];
    const seedRefs: string[] = [];
    const sources: string[] = [];
    for (const v of Object.values(spec.args)) {
      if (typeof v !== 'string' || !/\b(ref|source)\s*\(/.test(v)) continue;
      const deps = this.collectDeps(`{{ ${v} }}`, where, {});
      this.checkDeps(where, deps);
      refs.push(...deps.refs);
      seedRefs.push(...deps.seedRefs);
      sources.push(...deps.sources);
    }
    if (kind === 'model') refs.unshift(name);
    if (kind === 'seed') seedRefs.unshift(name);
    if (kind === 'source') sources.unshift(name);
    const inherited: Record<string, unknown> = {};
    if (ownerConfig.tags) inherited.tags = ownerConfig.tags;
    return {
      name: spec.config.alias ? String(spec.config.alias) : fullName,
      alias: spec.config.alias ? String(spec.config.alias) : short,
      kind: 'generic',
      path: spec.path,
      attachedTo: { kind, name },
      column: typeof spec.args.column_name === 'string' ? spec.args.column_name : undefined,
      testName: spec.testName,
      refs: [...new Set(refs)],
      seedRefs: [...new Set(seedRefs)],
      sources: [...new Set(sources)],
      config: normalizeTestConfig({ ...DEFAULT_TEST_CONFIG, ...inherited, ...spec.config }),
      spec,
    };
  }

  /** The relation a ref() resolves to when the SQL runs. */
  private resolveRef(refName: string, ctes: Map<string, string> | null, where: string): Relation {
    const seed = this.project.seeds.get(refName);
    if (seed && !this.parsed.has(refName)) return this.seedRelation(refName);
    const target = this.parsed.get(refName);
    if (!target) throw new CompileError(`${where}: ref('${refName}') names no model or seed`);
    if (target.config.materialized === 'ephemeral') {
      if (!ctes)
        throw new CompileError(`${where}: ephemeral model '${refName}' cannot be used here`);
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
  }

  private runScope(
    where: string,
    ctes: Map<string, string>,
    extra: Partial<RenderScope> = {},
  ): RenderScope {
    return {
      where,
      execute: true,
      config: configObject({}, false),
      ref: (...args: unknown[]) => {
        const { positional } = splitKwargs(args);
        return this.resolveRef(String(positional[positional.length - 1]), ctes, where);
      },
      source: (sourceName: string, tableName: string) => {
        const src = this.project.sources.get(`${sourceName}.${tableName}`);
        if (!src)
          throw new CompileError(
            `${where}: source('${sourceName}', '${tableName}') is not declared`,
          );
        return new Relation(src.schema, src.identifier);
      },
      is_incremental: () => false,
      ...extra,
    };
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
    return this.jinja.render(
      model.node.raw,
      this.runScope(model.node.path, ctes, {
        config: configObject(model.config, false),
        is_incremental: () => isIncremental,
        this: model.relation,
        model: { name: model.node.name, alias: model.relation.identifier, config: model.config },
      }),
    );
  }

  /** A model's pre-hook / post-hook statements, rendered in the model's context. */
  hooks(name: string, when: 'pre' | 'post'): string[] {
    const model = this.parsed.get(name)!;
    const raw = model.config[`${when}-hook`] ?? model.config[`${when}_hook`];
    if (!raw) return [];
    const list = (Array.isArray(raw) ? raw : [raw]).map((h) =>
      typeof h === 'object' && h !== null ? String((h as { sql?: unknown }).sql ?? '') : String(h),
    );
    return list
      .map((h) =>
        this.jinja.render(
          h,
          this.runScope(`${model.node.path} (${when}-hook)`, new Map(), {
            config: configObject(model.config, false),
            this: model.relation,
          }),
        ),
      )
      .filter((h) => h.trim() !== '');
  }

  /** A test's query: the rows that break its rule. */
  compileTest(test: ParsedTest): string {
    const ctes = new Map<string, string>();
    let sql: string;
    if (test.kind === 'singular') {
      sql = this.jinja.render(
        test.raw!,
        this.runScope(test.path, ctes, { config: configObject(test.config, false) }),
      );
    } else {
      const spec = test.spec!;
      const where = `${test.path} (test ${test.name})`;
      const scope = this.runScope(where, ctes);
      const attached = test.attachedTo!;
      let model: Relation =
        attached.kind === 'source'
          ? (scope.source(attached.name.split('.')[0]!, attached.name.split('.')[1]!) as Relation)
          : attached.kind === 'seed'
            ? this.seedRelation(attached.name)
            : this.resolveRef(attached.name, ctes, where);
      if (test.config.where) model = new FilteredRelation(model, test.config.where);
      const args: Record<string, unknown> = { model };
      for (const [k, v] of Object.entries(spec.args)) {
        args[k] =
          typeof v === 'string' && /\b(ref|source)\s*\(/.test(v)
            ? this.jinja.render(`{{ ${v} }}`, scope)
            : v;
      }
      sql = String(this.jinja.call(`test_${spec.testName}`, args, scope));
    }
    return injectCtes(sql, ctes);
  }

  /** dbt show --inline: any select, Jinja and ref() allowed. */
  compileInline(sql: string): { sql: string; refs: string[] } {
    const deps = this.collectDeps(sql, 'inline query', {});
    this.checkDeps('inline query', deps);
    const ctes = new Map<string, string>();
    const out = this.jinja.render(sql, this.runScope('inline query', ctes));
    return { sql: injectCtes(out, ctes), refs: deps.refs };
  }
}

function normalizeTestConfig(c: Record<string, unknown>): TestConfig {
  const config = { ...DEFAULT_TEST_CONFIG, ...c } as TestConfig;
  const severity = String(config.severity).toLowerCase();
  if (severity !== 'error' && severity !== 'warn')
    throw new CompileError(`test severity must be 'error' or 'warn', not '${config.severity}'`);
  config.severity = severity;
  if (typeof config.tags === 'string') config.tags = [config.tags];
  return config;
}

/** Python's str() of a YAML value, which dbt uses when it names tests. */
function pyStr(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null || v === undefined) return 'None';
  return String(v);
}

/** Puts ephemeral models in front of a query as CTEs, merging with a WITH the query already has. */
function injectCtes(sql: string, ctes: Map<string, string>): string {
  if (ctes.size === 0) return sql;
  const defs = [...ctes].map(([name, body]) => `${name} AS (\n${body.trim()}\n)`).join(',\n');
  const leadingWith = /^(\s*(?:--[^\n]*\n\s*)*)with\s/i.exec(sql);
  if (leadingWith) return `${leadingWith[1]}WITH ${defs},\n${sql.slice(leadingWith[0].length)}`;
  return `WITH ${defs}\n${sql}`;
}
