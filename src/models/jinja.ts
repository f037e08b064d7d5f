import nunjucks from 'nunjucks';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CompileError } from './errors.js';
import type { MacroFile } from './project.js';
import { Relation } from './relation.js';
import { CROSS_DB_MACROS } from './builtin-macros.js';

/*
 * dbt's Jinja on nunjucks, a maintained Jinja port for JavaScript. nunjucks' Jinja-compat mode
 * gives Python slices, True/False/None and list/dict methods; what dbt needs beyond that is added
 * here and says so:
 *  - `{% do expr %}` (a Jinja extension dbt enables), as a nunjucks extension;
 *  - `return(value)` from a macro (dbt's own addition to Jinja): every macro is wrapped so that a
 *    value handed to `return()` becomes the macro's result instead of its rendered text;
 *  - `{% test %}` blocks (dbt's generic tests), read as macros named `test_<name>`;
 *  - Python string methods models call (upper, lower, strip, split, startswith, …);
 *  - the dbt context (ref, source, this, config, is_incremental, var, env_var, target, …) is
 *    looked up through globals whose value follows the node being rendered, so macros, which
 *    nunjucks binds to the context they were defined in, see the model that calls them.
 */

nunjucks.installJinjaCompat();

type Runtime = {
  makeMacro: (a: string[], k: string[], f: (...args: unknown[]) => unknown) => unknown;
  memberLookup: (obj: unknown, val: unknown) => unknown;
  makeKeywordArgs: (o: Record<string, unknown>) => Record<string, unknown>;
  suppressValue: (val: unknown, autoescape: boolean) => unknown;
  SafeString: new (s: string) => unknown;
};
const runtime = (nunjucks as unknown as { runtime: Runtime }).runtime;

const NO_RETURN = Symbol('no-return');
const returnStack: unknown[] = [];

if (!(runtime as { __freshetPatched?: boolean }).__freshetPatched) {
  (runtime as { __freshetPatched?: boolean }).__freshetPatched = true;
  const makeMacro = runtime.makeMacro.bind(runtime);
  runtime.makeMacro = (argNames, kwargNames, func) => {
    const macro = makeMacro(argNames, kwargNames, func) as (...args: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      returnStack.push(NO_RETURN);
      try {
        const out = macro.apply(this, args);
        const returned = returnStack[returnStack.length - 1];
        return returned === NO_RETURN ? out : returned;
      } finally {
        returnStack.pop();
      }
    };
  };
  // Jinja prints None, True and False as Python does; nunjucks would print '', true, false.
  const suppressValue = runtime.suppressValue.bind(runtime);
  runtime.suppressValue = (val, autoescape) =>
    suppressValue(
      val === null ? 'None' : val === true ? 'True' : val === false ? 'False' : val,
      autoescape,
    );
  const memberLookup = runtime.memberLookup.bind(runtime);
  const STRING_METHODS: Record<string, (s: string, ...a: unknown[]) => unknown> = {
    upper: (s) => s.toUpperCase(),
    lower: (s) => s.toLowerCase(),
    strip: (s, chars) => (chars ? trimChars(s, String(chars)) : s.trim()),
    lstrip: (s) => s.trimStart(),
    rstrip: (s) => s.trimEnd(),
    startswith: (s, p) => s.startsWith(String(p)),
    endswith: (s, p) => s.endsWith(String(p)),
    split: (s, sepr) => (sepr === undefined ? s.trim().split(/\s+/) : s.split(String(sepr))),
    replace: (s, a, b) => s.split(String(a)).join(String(b)),
    title: (s) => s.replace(/\w\S*/g, (w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()),
    capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
    join: (s, items) => (items as unknown[]).map(String).join(s),
    format: (s, ...a) => {
      let i = 0;
      return s.replace(/\{\}/g, () => String(a[i++]));
    },
    isdigit: (s) => /^\d+$/.test(s),
  };
  runtime.memberLookup = (obj, val) => {
    if ((typeof obj === 'string' || obj instanceof String) && typeof val === 'string') {
      const method = STRING_METHODS[val];
      if (method) return (...args: unknown[]) => method(String(obj), ...args);
    }
    return memberLookup(obj, val);
  };
}

function trimChars(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s[a]!)) a++;
  while (b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** `{% do expr %}`: evaluates the expression for its effect, renders nothing. */
class DoExtension {
  tags = ['do'];
  parse(
    parser: {
      nextToken(): { value: string; lineno: number; colno: number };
      parseExpression(): unknown;
      advanceAfterBlockEnd(v: string): void;
    },
    nodes: {
      NodeList: new (l: number, c: number) => { addChild(n: unknown): void };
      CallExtension: new (ext: unknown, method: string, args: unknown) => unknown;
    },
  ): unknown {
    const tok = parser.nextToken();
    const args = new nodes.NodeList(tok.lineno, tok.colno);
    args.addChild(parser.parseExpression());
    parser.advanceAfterBlockEnd(tok.value);
    return new nodes.CallExtension(this, 'run', args);
  }
  run(): string {
    return '';
  }
}

/** Keyword arguments as nunjucks passes them to JavaScript functions. */
export type Kwargs = Record<string, unknown> & { __keywords?: boolean };

export function splitKwargs(args: unknown[]): { positional: unknown[]; kwargs: Kwargs } {
  const last = args[args.length - 1] as Kwargs | undefined;
  if (last && typeof last === 'object' && last.__keywords) {
    const { __keywords: _k, ...rest } = last;
    return { positional: args.slice(0, -1), kwargs: rest };
  }
  return { positional: args, kwargs: {} };
}

/** Calls a macro (or any Jinja callable) from JavaScript with keyword arguments. */
export function callMacro(fn: unknown, kwargs: Record<string, unknown>): unknown {
  return (fn as (...a: unknown[]) => unknown)(runtime.makeKeywordArgs({ ...kwargs }));
}

/** What the node being rendered sees: its own relation, its refs, its config. */
export interface RenderScope {
  this?: Relation;
  ref: (...args: unknown[]) => unknown;
  source: (sourceName: string, tableName: string) => unknown;
  config: unknown;
  is_incremental: () => boolean;
  /** False while parsing (dbt's `execute`), true when the SQL will run. */
  execute: boolean;
  model?: Record<string, unknown>;
  /** Where errors point: the file being rendered. */
  where: string;
}

export interface JinjaOptions {
  projectName: string;
  target: Record<string, unknown>;
  vars: (name: string, fallback: unknown, where: string) => unknown;
  macroFiles: MacroFile[];
  invocationId: string;
}

const NULL_SCOPE: RenderScope = {
  ref: () => {
    throw new CompileError('ref() is only available inside a model, test or analysis');
  },
  source: () => {
    throw new CompileError('source() is only available inside a model, test or analysis');
  },
  config: () => '',
  is_incremental: () => false,
  execute: false,
  where: 'macro',
};

/** Jinja (Python) allows a trailing comma in calls, lists and dicts; nunjucks does not. */
function dropTrailingCommas(text: string): string {
  return text.replace(
    /(\{\{|\{%)([\s\S]*?)(\}\}|%\})/g,
    (_, open: string, body: string, close: string) =>
      `${open}${body.replace(/,(\s*)([)\]}])/g, '$1$2')}${close}`,
  );
}

/** dbt's `{% test name(args) %}` is a macro named `test_name`. */
function testBlocksAsMacros(text: string): string {
  return text
    .replace(/\{%(-?)\s*test\s+(\w+)\s*\(/g, '{%$1 macro test_$2(')
    .replace(/\{%(-?)\s*endtest\s*(-?)%\}/g, '{%$1 endmacro $2%}')
    .replace(
      // Custom materializations are dbt-adapter code Freshet does not run; a model that asks for
      // one gets a clear error from the materializer.
      /\{%-?\s*materialization\b[\s\S]*?\{%-?\s*endmaterialization\s*-?%\}/g,
      '',
    );
}

/** The Jinja environment of one project: macros loaded once, templates compiled once. */
export class JinjaEnv {
  private readonly env = new nunjucks.Environment(null, {
    autoescape: false,
    throwOnUndefined: false,
  });
  private readonly templates = new Map<string, nunjucks.Template>();
  private scope: RenderScope = NULL_SCOPE;
  /** Macros by name (the project's override dbt's built-ins). */
  readonly macros = new Map<string, unknown>();

  constructor(private readonly opts: JinjaOptions) {
    this.env.addExtension('do', new DoExtension());
    this.installFiltersAndTests();
    this.installContext();
    for (const [name, text] of Object.entries(CROSS_DB_MACROS)) this.loadMacros(text, name, true);
    for (const file of opts.macroFiles) this.loadMacros(testBlocksAsMacros(file.text), file.path);
  }

  /** Jinja filters and tests dbt projects use that nunjucks lacks (map, unique, as_*, is none, …). */
  private installFiltersAndTests(): void {
    const env = this.env;
    const filters = (env as unknown as { filters: Record<string, (...a: unknown[]) => unknown> })
      .filters;
    env.addFilter('map', (items: unknown, ...args: unknown[]) => {
      const list = Array.isArray(items) ? items : [...((items as Iterable<unknown>) ?? [])];
      const { positional, kwargs } = splitKwargs(args);
      if (kwargs.attribute !== undefined) {
        const path = String(kwargs.attribute).split('.');
        return list.map((x) =>
          path.reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], x),
        );
      }
      const name = String(positional[0]);
      const filter = filters[name];
      if (!filter) throw new CompileError(`${this.scope.where}: map() names no filter '${name}'`);
      return list.map((x) => filter(x, ...positional.slice(1)));
    });
    env.addFilter('unique', (items: unknown[]) => [...new Set(items)]);
    env.addFilter('tojson', (v: unknown) => JSON.stringify(v));
    env.addFilter('as_text', (v: unknown) => (v === null || v === undefined ? '' : String(v)));
    env.addFilter('as_bool', (v: unknown) =>
      typeof v === 'string' ? ['true', '1', 'yes'].includes(v.trim().toLowerCase()) : Boolean(v),
    );
    env.addFilter('as_number', (v: unknown) => Number(v));
    env.addFilter('as_native', (v: unknown) => {
      if (typeof v !== 'string') return v;
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return v;
      }
    });
    const tests: Record<string, (v: unknown, ...a: unknown[]) => boolean> = {
      none: (v) => v === null || v === undefined,
      sequence: (v) => Array.isArray(v) || typeof v === 'string',
      mapping: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
      boolean: (v) => typeof v === 'boolean',
      integer: (v) => Number.isInteger(v),
      float: (v) => typeof v === 'number' && !Number.isInteger(v),
      true: (v) => v === true,
      false: (v) => v === false,
      in: (v, list) => Array.isArray(list) && list.includes(v),
    };
    const withTests = env as unknown as {
      addTest(n: string, f: (v: unknown, ...a: unknown[]) => boolean): void;
    };
    for (const [name, fn] of Object.entries(tests)) withTests.addTest(name, fn);
  }

  private installContext(): void {
    const g = (this.env as unknown as { globals: Record<string, unknown> }).globals;
    const dyn = (name: keyof RenderScope) =>
      Object.defineProperty(g, name, { get: () => this.scope[name], configurable: true });
    for (const name of ['ref', 'source', 'config', 'is_incremental', 'execute', 'model'] as const)
      dyn(name);
    Object.defineProperty(g, 'this', { get: () => this.scope.this, configurable: true });
    const o = this.opts;
    Object.assign(g, {
      target: o.target,
      project_name: o.projectName,
      invocation_id: o.invocationId,
      run_started_at: pyDate(new Date()),
      var: (name: string, fallback?: unknown) => o.vars(name, fallback, this.scope.where),
      env_var: (name: string, fallback?: unknown) => {
        const value = process.env[name];
        if (value !== undefined) return value;
        if (fallback !== undefined) return fallback;
        throw new CompileError(
          `${this.scope.where}: env_var('${name}') is not set and has no default`,
        );
      },
      return: (value: unknown) => {
        if (returnStack.length === 0)
          throw new CompileError(`${this.scope.where}: return() is only allowed inside a macro`);
        // dbt's return() ends the macro; here the macro runs on, so the first value given wins.
        if (returnStack[returnStack.length - 1] === NO_RETURN)
          returnStack[returnStack.length - 1] = value;
        return '';
      },
      // dbt prints log() only with --debug (or info=True); the loop must stay quiet either way.
      log: () => '',
      print: () => '',
      exceptions: {
        raise_compiler_error: (msg: string) => {
          throw new CompileError(`${this.scope.where}: ${msg}`);
        },
        warn: () => '',
      },
      fromjson: (s: string, fallback?: unknown) => {
        try {
          return JSON.parse(s) as unknown;
        } catch {
          return fallback ?? null;
        }
      },
      tojson: (v: unknown) => JSON.stringify(v),
      fromyaml: (s: string) => parseYaml(s) as unknown,
      toyaml: (v: unknown) => stringifyYaml(v),
      zip: (...lists: unknown[][]) =>
        lists.length === 0
          ? []
          : lists[0]!
              .slice(0, Math.min(...lists.map((l) => l.length)))
              .map((_, i) => lists.map((l) => l[i])),
      set: (items: unknown[]) => [...new Set(items)],
      modules: {
        datetime: {
          datetime: { now: () => pyDate(new Date()), utcnow: () => pyDate(new Date()) },
          date: (y: number, m: number, d: number) => pyDate(new Date(Date.UTC(y, m - 1, d)), true),
        },
        re: {
          match: (p: string, s: string) => new RegExp(`^(?:${p})`).exec(s),
          search: (p: string, s: string) => new RegExp(p).exec(s),
          sub: (p: string, r: string, s: string) => s.replace(new RegExp(p, 'g'), r),
        },
      },
      flags: { FULL_REFRESH: false, WHICH: 'run' },
      adapter: {
        quote: (s: string) => `"${String(s).replaceAll('"', '""')}"`,
        dispatch: (name: string) => this.dispatch(name),
        get_relation: () => null,
        type: () => 'duckdb',
      },
      api: {
        Relation: { create: (o2: Kwargs) => relationFromKwargs(o2) },
        Column: {
          // dbt's base Column.TYPE_LABELS, which dbt-duckdb keeps.
          translate_type: (t: string) =>
            ({
              STRING: 'TEXT',
              TIMESTAMP: 'TIMESTAMP',
              FLOAT: 'FLOAT',
              INTEGER: 'INT',
              BOOLEAN: 'BOOLEAN',
            })[String(t).toUpperCase()] ?? t,
          numeric_type: (t: string, p?: number, sc?: number) =>
            p === undefined || p === null ? t : `${t}(${p},${sc ?? 0})`,
        },
      },
      run_query: () => {
        throw new CompileError(
          `${this.scope.where}: run_query() is not supported: Freshet compiles a model without a round-trip to the database`,
        );
      },
    });
  }

  /** adapter.dispatch('x'): the first of duckdb__x, default__x, x that exists. */
  private dispatch(name: string): unknown {
    for (const candidate of [`duckdb__${name}`, `default__${name}`, name]) {
      const fn = this.macros.get(candidate);
      if (fn) return fn;
    }
    throw new CompileError(`${this.scope.where}: adapter.dispatch('${name}') found no macro`);
  }

  private loadMacros(text: string, path: string, builtin = false): void {
    const template = new nunjucks.Template(
      dropTrailingCommas(text),
      this.env,
      path,
    ) as nunjucks.Template & {
      getExported(cb: (err: Error | null, out: Record<string, unknown>) => void): void;
    };
    let exported: Record<string, unknown> = {};
    try {
      template.getExported((err: Error | null, out: Record<string, unknown>) => {
        if (err) throw err;
        exported = out;
      });
    } catch (err) {
      throw new CompileError(`${path}: ${jinjaMessage(err)}`, { cause: err });
    }
    const globals = (this.env as unknown as { globals: Record<string, unknown> }).globals;
    const dbtNamespace = (globals.dbt as Record<string, unknown> | undefined) ?? {};
    for (const [name, fn] of Object.entries(exported)) {
      if (typeof fn !== 'function') continue;
      this.macros.set(name, fn);
      this.env.addGlobal(name, fn);
      if (builtin) dbtNamespace[name] = fn;
    }
    this.env.addGlobal('dbt', dbtNamespace);
  }

  /** Does the project define this macro (as opposed to dbt's built-in)? */
  hasMacro(name: string): boolean {
    return this.macros.has(name);
  }

  /** Renders a node's text with its scope; errors name the file, line and column. */
  render(text: string, scope: RenderScope, extra: Record<string, unknown> = {}): string {
    let template = this.templates.get(text);
    if (!template) {
      template = new nunjucks.Template(dropTrailingCommas(text), this.env, scope.where);
      this.templates.set(text, template);
    }
    const previous = this.scope;
    this.scope = scope;
    try {
      return template.render(extra);
    } catch (err) {
      if (err instanceof CompileError) throw err;
      const cause = (err as { cause?: unknown }).cause;
      if (cause instanceof CompileError) throw cause;
      throw new CompileError(`${scope.where}: Jinja error: ${jinjaMessage(err)}`, { cause: err });
    } finally {
      this.scope = previous;
    }
  }

  /** Calls a macro by name under a scope (used for generic tests and schema naming). */
  call(name: string, kwargs: Record<string, unknown>, scope: RenderScope): unknown {
    const fn = this.macros.get(name);
    if (!fn) throw new CompileError(`${scope.where}: no macro named '${name}'`);
    const previous = this.scope;
    this.scope = scope;
    try {
      return callMacro(fn, kwargs);
    } catch (err) {
      if (err instanceof CompileError) throw err;
      throw new CompileError(`${scope.where}: Jinja error in ${name}: ${jinjaMessage(err)}`, {
        cause: err,
      });
    } finally {
      this.scope = previous;
    }
  }
}

/** A Python date/datetime as Jinja code sees it: strftime and isoformat. */
function pyDate(d: Date, dateOnly = false): Record<string, unknown> {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const parts: Record<string, string> = {
    Y: String(d.getUTCFullYear()),
    m: pad(d.getUTCMonth() + 1),
    d: pad(d.getUTCDate()),
    H: pad(d.getUTCHours()),
    M: pad(d.getUTCMinutes()),
    S: pad(d.getUTCSeconds()),
    '%': '%',
  };
  const iso = d.toISOString();
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    strftime: (fmt: string) => fmt.replace(/%([YmdHMS%])/g, (_, k: string) => parts[k]!),
    isoformat: () => (dateOnly ? iso.slice(0, 10) : iso.replace('Z', '')),
    toString: () => (dateOnly ? iso.slice(0, 10) : iso.replace('T', ' ').replace('Z', '')),
  };
}

function relationFromKwargs(kw: Kwargs): Relation {
  return new Relation(String(kw.schema ?? ''), String(kw.identifier ?? ''), null);
}

/** nunjucks' "(path) [Line 3, Column 5]\n  message" as "path:3:5: message". */
export function jinjaMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .replace(/\((.*?)\)\s*\[Line (\d+), Column (\d+)\]\s*/g, 'line $2, column $3: ')
    .replace(/^\(unknown path\)\s*/, '')
    .replace(/Template render error:\s*/g, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}
