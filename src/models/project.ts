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
  on_schema_change?: 'ignore' | 'fail' | 'append_new_columns' | 'sync_all_columns';
  tags: string[];
  enabled: boolean;
  [key: string]: unknown;
}

export interface ColumnDoc {
  name: string;
  description?: string;
  tests?: unknown[];
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
  /** Config from dbt_project.yml and schema files; `config()` in the SQL is applied at compile. */
  baseConfig: Partial<ModelConfig>;
}

export interface SourceTable {
  source: string;
  name: string;
  schema: string;
  identifier: string;
}

export interface SeedNode {
  name: string;
  path: string;
  config: Partial<ModelConfig>;
}

export interface Project {
  root: string;
  name: string;
  vars: Record<string, unknown>;
  models: Map<string, ModelNode>;
  sources: Map<string, SourceTable>;
  seeds: Map<string, SeedNode>;
  /** Every macro file's text; dbt makes macros global, so they are prepended when rendering. */
  macros: string;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function walk(dir: string, ext: string): Promise<string[]> {
  if (!(await exists(dir))) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path, ext)));
    else if (entry.name.endsWith(ext)) out.push(path);
  }
  return out.sort();
}

async function readYaml(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return parseYaml(text);
  } catch (err) {
    throw new ProjectError(`${path} is not valid YAML: ${(err as Error).message}`);
  }
}

/** dbt's `+key` configs under `models: <project>: <folder>: ...`, applied outer to inner. */
function folderConfig(tree: unknown, folders: string[]): Partial<ModelConfig> {
  const config: Record<string, unknown> = {};
  let node = tree as Record<string, unknown> | undefined;
  const apply = (n: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(n)) if (k.startsWith('+')) config[k.slice(1)] = v;
    // dbt also accepts un-prefixed keys when they are known configs.
    for (const k of [
      'materialized',
      'schema',
      'tags',
      'enabled',
      'unique_key',
      'incremental_strategy',
    ]) {
      if (k in n && (typeof n[k] !== 'object' || Array.isArray(n[k]))) config[k] = n[k];
    }
  };
  if (node && typeof node === 'object') apply(node);
  for (const folder of folders) {
    node = node?.[folder] as Record<string, unknown> | undefined;
    if (!node || typeof node !== 'object') break;
    apply(node);
  }
  return config as Partial<ModelConfig>;
}

/** Reads a dbt project folder: dbt_project.yml, models, schema files, seeds and macros. */
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
  const modelPaths = (spec['model-paths'] as string[] | undefined) ?? ['models'];
  const seedPaths = (spec['seed-paths'] as string[] | undefined) ?? ['seeds'];
  const macroPaths = (spec['macro-paths'] as string[] | undefined) ?? ['macros'];
  const modelTree = (spec.models as Record<string, unknown> | undefined)?.[name];
  const seedTree = (spec.seeds as Record<string, unknown> | undefined)?.[name];

  const models = new Map<string, ModelNode>();
  const sources = new Map<string, SourceTable>();
  const docs = new Map<
    string,
    { description?: string; columns: ColumnDoc[]; config: Record<string, unknown> }
  >();

  for (const modelPath of modelPaths) {
    const dir = join(root, modelPath);
    for (const file of await walk(dir, '.yml')) {
      const doc = (await readYaml(file)) as Record<string, unknown> | null;
      for (const src of (doc?.sources as Record<string, unknown>[] | undefined) ?? []) {
        const sourceName = String(src.name);
        for (const t of (src.tables as Record<string, unknown>[] | undefined) ?? []) {
          const table: SourceTable = {
            source: sourceName,
            name: String(t.name),
            schema: String(src.schema ?? sourceName),
            identifier: String(t.identifier ?? t.name),
          };
          sources.set(`${sourceName}.${table.name}`, table);
        }
      }
      for (const m of (doc?.models as Record<string, unknown>[] | undefined) ?? []) {
        docs.set(String(m.name), {
          description: m.description as string | undefined,
          columns: ((m.columns as ColumnDoc[] | undefined) ?? []).map((c) => ({ ...c })),
          config: (m.config as Record<string, unknown> | undefined) ?? {},
        });
      }
    }
    for (const file of await walk(dir, '.sql')) {
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
        baseConfig: { ...folderConfig(modelTree, fqnFolders), ...(doc?.config ?? {}) },
      });
    }
  }
  for (const name of docs.keys()) {
    if (!models.has(name))
      throw new ProjectError(
        `a schema file documents model '${name}', but no models/**/${name}.sql exists`,
      );
  }

  const seeds = new Map<string, SeedNode>();
  for (const seedPath of seedPaths) {
    const dir = join(root, seedPath);
    for (const file of await walk(dir, '.csv')) {
      const seedName = basename(file, '.csv');
      const folders = relative(dir, file).split(sep).slice(0, -1);
      seeds.set(seedName, { name: seedName, path: file, config: folderConfig(seedTree, folders) });
    }
  }

  let macros = '';
  for (const macroPath of macroPaths) {
    for (const file of await walk(join(root, macroPath), '.sql'))
      macros += (await readFile(file, 'utf8')) + '\n';
  }

  return {
    root,
    name,
    vars: (spec.vars as Record<string, unknown> | undefined) ?? {},
    models,
    sources,
    seeds,
    macros,
  };
}
