import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ProjectError } from './errors.js';

/** A model's effective configuration: project folders, then schema files, then `config()`. */
export interface ModelConfig {
  materialized: 'view' | 'table' | 'incremental' | 'ephemeral';
  schema?: string;
  alias?: string;
  unique_key?: string | string[];
  incremental_strategy?: 'append' | 'merge' | 'delete+insert';
  incremental_predicates?: string[];
  merge_update_columns?: string[];
  merge_exclude_columns?: string[];
  on_schema_change?: 'ignore' | 'fail' | 'append_new_columns' | 'sync_all_columns';
  tags: string[];
  enabled: boolean;
  [key: string]: unknown;
}

/** A generic test as written in a schema file, before it is compiled. */
export interface GenericTestSpec {
  /** unique, not_null, accepted_values, relationships, or a project's own `{% test %}`. */
  testName: string;
  /** The package prefix of a namespaced test (`dbt_utils.expression_is_true`), if any. */
  namespace?: string;
  args: Record<string, unknown>;
  config: Record<string, unknown>;
  /** The schema file it came from. */
  path: string;
}

export interface ColumnDoc {
  name: string;
  description?: string;
  data_type?: string;
  tests: GenericTestSpec[];
}

export interface ModelNode {
  name: string;
  /** Path relative to the project root, e.g. models/gold/inventory_realtime.sql. */
  path: string;
  /** Folders between the model path and the file, e.g. ['gold']. */
  fqnFolders: string[];
  raw: string;
  description?: string;
  columns: ColumnDoc[];
  /** Model-level tests (not tied to a column). */
  tests: GenericTestSpec[];
  /** Config from dbt_project.yml and schema files; `config()` in the SQL is applied at compile. */
  baseConfig: Partial<ModelConfig>;
  /** The schema file that documents it, if one does. */
  patchPath?: string;
}

/** dbt's `freshness:` block: warn/error after so many minutes/hours/days. */
export interface FreshnessSpec {
  warn_after?: { count: number; period: 'minute' | 'hour' | 'day' };
  error_after?: { count: number; period: 'minute' | 'hour' | 'day' };
  filter?: string;
}

export interface SourceTable {
  source: string;
  name: string;
  schema: string;
  identifier: string;
  description?: string;
  loadedAtField?: string;
  freshness?: FreshnessSpec | null;
  columns: ColumnDoc[];
  tests: GenericTestSpec[];
  path: string;
}

export interface SeedNode {
  name: string;
  path: string;
  config: Partial<ModelConfig>;
  columns: ColumnDoc[];
}

/** A `tests/*.sql` file: a query that returns the rows that break a rule. */
export interface SingularTestNode {
  name: string;
  path: string;
  raw: string;
}

/** A macro file's text, kept by file so errors can name it. */
export interface MacroFile {
  path: string;
  text: string;
}

export interface Project {
  root: string;
  name: string;
  /** dbt_project.yml's `profile:` (the profiles.yml entry to use). */
  profile?: string;
  vars: Record<string, unknown>;
  models: Map<string, ModelNode>;
  sources: Map<string, SourceTable>;
  seeds: Map<string, SeedNode>;
  singularTests: Map<string, SingularTestNode>;
  macroFiles: MacroFile[];
  /** dbt_project.yml's target-path (default `target`), relative to the project root. */
  targetPath: string;
  /** What dbt would warn about while parsing (the project still runs). */
  warnings: string[];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function walk(dir: string, exts: string[]): Promise<string[]> {
  if (!(await exists(dir))) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path, exts)));
    else if (exts.some((e) => entry.name.endsWith(e))) out.push(path);
  }
  return out.sort();
}

export async function readYaml(path: string, label = path): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ProjectError(`${label} is not valid YAML: ${(err as Error).message}`);
  }
}

// Keys dbt accepts without the `+` prefix in dbt_project.yml because they are known configs.
const KNOWN_CONFIGS = new Set([
  'materialized',
  'schema',
  'alias',
  'tags',
  'enabled',
  'unique_key',
  'incremental_strategy',
  'on_schema_change',
  'incremental_predicates',
  'merge_update_columns',
  'merge_exclude_columns',
  'full_refresh',
  'column_types',
  'quote_columns',
  'delimiter',
  'severity',
  'store_failures',
  'where',
  'pre-hook',
  'post-hook',
  'docs',
  'meta',
  'persist_docs',
  'contract',
  'grants',
]);

/** dbt's `+key` configs under `models: <project>: <folder>: ...`, applied outer to inner. */
function folderConfig(tree: unknown, folders: string[]): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  let node = tree as Record<string, unknown> | undefined;
  const apply = (n: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(n)) {
      if (k.startsWith('+')) config[k.slice(1)] = v;
      else if (KNOWN_CONFIGS.has(k) && (typeof v !== 'object' || v === null || Array.isArray(v)))
        config[k] = v;
    }
  };
  if (node && typeof node === 'object') apply(node);
  for (const folder of folders) {
    node = node?.[folder] as Record<string, unknown> | undefined;
    if (!node || typeof node !== 'object') break;
    apply(node);
  }
  // dbt adds tags from every level rather than replacing them; a single string means one tag.
  if (typeof config.tags === 'string') config.tags = [config.tags];
  return config;
}

const TEST_CONFIG_KEYS = [
  'severity',
  'where',
  'store_failures',
  'error_if',
  'warn_if',
  'limit',
  'tags',
  'enabled',
  'alias',
  'schema',
];

/**
 * One entry of a `tests:` / `data_tests:` list: `unique`, or `{accepted_values: {values: [...]}}`,
 * with arguments either inline (dbt ≤ 1.9) or under `arguments:` (dbt 1.10+), config either
 * inline or under `config:`.
 */
function parseTestEntry(entry: unknown, path: string, where: string): GenericTestSpec {
  if (typeof entry === 'string') return splitName(entry, {}, {}, path);
  if (
    !entry ||
    typeof entry !== 'object' ||
    Array.isArray(entry) ||
    Object.keys(entry).length !== 1
  )
    throw new ProjectError(
      `${path}: a test under ${where} must be a name or a mapping with one key (the test name)`,
    );
  const [name, body] = Object.entries(entry as Record<string, unknown>)[0]!;
  const spec = (body ?? {}) as Record<string, unknown>;
  if (typeof spec !== 'object' || Array.isArray(spec))
    throw new ProjectError(
      `${path}: test '${name}' under ${where} must have a mapping of arguments`,
    );
  const config: Record<string, unknown> = { ...((spec.config as object | undefined) ?? {}) };
  let args: Record<string, unknown> = {};
  if (spec.arguments && typeof spec.arguments === 'object')
    args = { ...(spec.arguments as object) } as Record<string, unknown>;
  for (const [k, v] of Object.entries(spec)) {
    if (k === 'config' || k === 'arguments' || k === 'name' || k === 'description') continue;
    if (TEST_CONFIG_KEYS.includes(k)) config[k] = v;
    else args[k] = v;
  }
  const spec2 = splitName(name, args, config, path);
  if (typeof spec.name === 'string') spec2.config.alias = spec.name;
  return spec2;
}

function splitName(
  name: string,
  args: Record<string, unknown>,
  config: Record<string, unknown>,
  path: string,
): GenericTestSpec {
  const dot = name.lastIndexOf('.');
  if (dot > 0)
    return { testName: name.slice(dot + 1), namespace: name.slice(0, dot), args, config, path };
  return { testName: name, args, config, path };
}

function testList(node: Record<string, unknown>, path: string, where: string): GenericTestSpec[] {
  const list = (node.data_tests ?? node.tests ?? []) as unknown[];
  if (!Array.isArray(list))
    throw new ProjectError(`${path}: 'tests' under ${where} must be a list`);
  return list.map((t) => parseTestEntry(t, path, where));
}

function columnsOf(node: Record<string, unknown>, path: string, where: string): ColumnDoc[] {
  const cols = node.columns;
  if (cols === undefined || cols === null) return [];
  if (!Array.isArray(cols)) throw new ProjectError(`${path}: 'columns' of ${where} must be a list`);
  return cols.map((c: Record<string, unknown>) => {
    if (!c || typeof c.name !== 'string')
      throw new ProjectError(`${path}: every column of ${where} needs a 'name'`);
    return {
      name: c.name,
      description: c.description as string | undefined,
      data_type: c.data_type as string | undefined,
      tests: testList(c, path, `column ${c.name} of ${where}`).map((t) => ({
        ...t,
        args: { column_name: c.name, ...t.args },
      })),
    };
  });
}

/** Reads a dbt project folder: dbt_project.yml, models, schema files, seeds, tests and macros. */
export async function loadProject(root: string): Promise<Project> {
  const projectFile = join(root, 'dbt_project.yml');
  if (!(await exists(projectFile))) {
    throw new ProjectError(`${root} is not a dbt project: dbt_project.yml is missing`);
  }
  const spec = (await readYaml(projectFile)) as Record<string, unknown> | null;
  if (!spec || typeof spec.name !== 'string') {
    throw new ProjectError(`${projectFile}: the key 'name' is required`);
  }
  const name = spec.name;
  const paths = (key: string, fallback: string) =>
    (spec[key] as string[] | undefined) ?? [fallback];
  const modelTree = (spec.models as Record<string, unknown> | undefined)?.[name];
  const seedTree = (spec.seeds as Record<string, unknown> | undefined)?.[name];

  const models = new Map<string, ModelNode>();
  const sources = new Map<string, SourceTable>();
  const seedDocs = new Map<string, { columns: ColumnDoc[]; config: Record<string, unknown> }>();
  const docs = new Map<
    string,
    {
      description?: string;
      columns: ColumnDoc[];
      tests: GenericTestSpec[];
      config: Record<string, unknown>;
      path: string;
    }
  >();

  for (const modelPath of paths('model-paths', 'models')) {
    const dir = join(root, modelPath);
    for (const file of await walk(dir, ['.yml', '.yaml'])) {
      const rel = relative(root, file);
      const doc = (await readYaml(file, rel)) as Record<string, unknown> | null;
      for (const src of (doc?.sources as Record<string, unknown>[] | undefined) ?? []) {
        const sourceName = String(src.name);
        for (const t of (src.tables as Record<string, unknown>[] | undefined) ?? []) {
          const where = `source ${sourceName}.${String(t.name)}`;
          const table: SourceTable = {
            source: sourceName,
            name: String(t.name),
            schema: String(src.schema ?? sourceName),
            identifier: String(t.identifier ?? t.name),
            description: t.description as string | undefined,
            loadedAtField: (t.loaded_at_field ?? src.loaded_at_field) as string | undefined,
            // A table's own `freshness: null` switches the source's freshness off for it.
            freshness: (t.freshness !== undefined ? t.freshness : src.freshness) as
              FreshnessSpec | null | undefined,
            columns: columnsOf(t, rel, where),
            tests: testList(t, rel, where),
            path: rel,
          };
          sources.set(`${sourceName}.${table.name}`, table);
        }
      }
      for (const m of (doc?.models as Record<string, unknown>[] | undefined) ?? []) {
        const where = `model ${String(m.name)}`;
        docs.set(String(m.name), {
          description: m.description as string | undefined,
          columns: columnsOf(m, rel, where),
          tests: testList(m, rel, where),
          config: (m.config as Record<string, unknown> | undefined) ?? {},
          path: rel,
        });
      }
      for (const s of (doc?.seeds as Record<string, unknown>[] | undefined) ?? []) {
        seedDocs.set(String(s.name), {
          columns: columnsOf(s, rel, `seed ${String(s.name)}`),
          config: (s.config as Record<string, unknown> | undefined) ?? {},
        });
      }
    }
    for (const file of await walk(dir, ['.sql'])) {
      const rel = relative(dir, file);
      const modelName = basename(file, extname(file));
      const fqnFolders = rel.split(sep).slice(0, -1);
      if (models.has(modelName)) {
        throw new ProjectError(
          `two models are named '${modelName}' (${models.get(modelName)!.path} and ${relative(root, file)}); model names must be unique`,
        );
      }
      const doc = docs.get(modelName);
      models.set(modelName, {
        name: modelName,
        path: relative(root, file),
        fqnFolders,
        raw: await readFile(file, 'utf8'),
        description: doc?.description,
        columns: doc?.columns ?? [],
        tests: doc?.tests ?? [],
        baseConfig: { ...folderConfig(modelTree, fqnFolders), ...(doc?.config ?? {}) },
        patchPath: doc?.path,
      });
    }
  }
  // dbt only warns about properties for a model that does not exist; so does Freshet.
  const warnings: string[] = [];
  for (const [docName, doc] of docs) {
    if (!models.has(docName))
      warnings.push(
        `${doc.path} documents model '${docName}', but no models/**/${docName}.sql exists; its properties are ignored`,
      );
  }

  const seeds = new Map<string, SeedNode>();
  for (const seedPath of paths('seed-paths', 'seeds')) {
    const dir = join(root, seedPath);
    for (const file of await walk(dir, ['.csv'])) {
      const seedName = basename(file, '.csv');
      const folders = relative(dir, file).split(sep).slice(0, -1);
      const doc = seedDocs.get(seedName);
      seeds.set(seedName, {
        name: seedName,
        path: file,
        config: { ...folderConfig(seedTree, folders), ...(doc?.config ?? {}) },
        columns: doc?.columns ?? [],
      });
    }
  }

  const singularTests = new Map<string, SingularTestNode>();
  const macroFiles: MacroFile[] = [];
  for (const testPath of paths('test-paths', 'tests')) {
    for (const file of await walk(join(root, testPath), ['.sql'])) {
      const rel = relative(root, file);
      // tests/generic/*.sql hold `{% test %}` definitions, which behave like macros.
      if (rel.split(sep).includes('generic')) {
        macroFiles.push({ path: rel, text: await readFile(file, 'utf8') });
        continue;
      }
      const testName = basename(file, '.sql');
      singularTests.set(testName, { name: testName, path: rel, raw: await readFile(file, 'utf8') });
    }
  }
  for (const macroPath of paths('macro-paths', 'macros')) {
    for (const file of await walk(join(root, macroPath), ['.sql']))
      macroFiles.push({ path: relative(root, file), text: await readFile(file, 'utf8') });
  }

  return {
    root,
    name,
    profile: spec.profile as string | undefined,
    vars: (spec.vars as Record<string, unknown> | undefined) ?? {},
    models,
    sources,
    seeds,
    singularTests,
    macroFiles,
    targetPath: (spec['target-path'] as string | undefined) ?? 'target',
    warnings,
  };
}
