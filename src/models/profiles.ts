import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import nunjucks from 'nunjucks';
import { ProjectError } from './errors.js';
import { readYaml } from './project.js';

/** The warehouse a project runs against, as dbt's `target` variable shows it. */
export interface Target {
  name: string;
  schema: string;
  type: string;
  database: string;
  threads: number;
  /** dbt-duckdb's database file, absolute; absent means an in-memory database. */
  path?: string;
  [key: string]: unknown;
}

export const DEFAULT_TARGET: Target = {
  name: 'dev',
  schema: 'main',
  type: 'duckdb',
  database: 'memory',
  threads: 1,
};

export interface ProfileOptions {
  /** Folder holding profiles.yml; default: the project folder if it has one, else ~/.dbt. */
  profilesDir?: string;
  /** profiles.yml entry; default: dbt_project.yml's `profile:`. */
  profile?: string;
  /** outputs entry; default: the profile's `target:`. */
  target?: string;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Renders `{{ env_var('X', 'default') }}` in a profile value, as dbt does. */
function renderValue(value: unknown, where: string): unknown {
  if (typeof value !== 'string' || !value.includes('{{')) return value;
  try {
    return nunjucks.renderString(value, {
      env_var: (name: string, fallback?: unknown) => {
        const v = process.env[name];
        if (v !== undefined) return v;
        if (fallback !== undefined) return fallback;
        throw new ProjectError(`${where}: env_var('${name}') is not set and has no default`);
      },
    });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    throw cause instanceof ProjectError ? cause : new ProjectError(`${where}: ${String(err)}`);
  }
}

/**
 * Resolves the target from profiles.yml as dbt does (a duckdb output's `path`, `schema`,
 * `threads`). With no profiles.yml anywhere, Freshet's default: schema `main` in memory.
 * A relative `path` is taken from the current directory, as dbt-duckdb takes it.
 */
export async function resolveTarget(
  projectDir: string,
  projectProfile: string | undefined,
  opts: ProfileOptions = {},
): Promise<Target> {
  const candidates = opts.profilesDir
    ? [opts.profilesDir]
    : [projectDir, process.env.DBT_PROFILES_DIR, join(homedir(), '.dbt')].filter(
        (d): d is string => !!d,
      );
  let file: string | undefined;
  for (const dir of candidates) {
    if (await exists(join(dir, 'profiles.yml'))) {
      file = join(dir, 'profiles.yml');
      break;
    }
  }
  if (!file) {
    if (opts.profilesDir)
      throw new ProjectError(`${opts.profilesDir} has no profiles.yml (from --profiles-dir)`);
    return { ...DEFAULT_TARGET, ...(opts.target ? { name: opts.target } : {}) };
  }
  const doc = (await readYaml(file)) as Record<string, Record<string, unknown>> | null;
  const profileName = opts.profile ?? projectProfile;
  if (!profileName) {
    throw new ProjectError(
      `dbt_project.yml names no 'profile:' and none was given; ${file} has: ${Object.keys(doc ?? {}).join(', ')}`,
    );
  }
  const profile = doc?.[profileName];
  if (!profile) {
    throw new ProjectError(
      `${file} has no profile '${profileName}' (it has: ${Object.keys(doc ?? {}).join(', ') || 'none'})`,
    );
  }
  const targetName = opts.target ?? String(renderValue(profile.target ?? 'dev', file));
  const outputs = (profile.outputs ?? {}) as Record<string, Record<string, unknown>>;
  const output = outputs[targetName];
  if (!output) {
    throw new ProjectError(
      `${file}: profile '${profileName}' has no output '${targetName}' (it has: ${Object.keys(outputs).join(', ')})`,
    );
  }
  const where = `${file} (${profileName}.outputs.${targetName})`;
  const rendered: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(output)) rendered[k] = renderValue(v, where);
  if (rendered.type !== 'duckdb') {
    throw new ProjectError(
      `${where} is of type '${String(rendered.type)}'; Freshet runs models on DuckDB (type: duckdb)`,
    );
  }
  const path = rendered.path ? String(rendered.path) : undefined;
  const inMemory = !path || path === ':memory:';
  return {
    ...rendered,
    name: targetName,
    type: 'duckdb',
    schema: String(rendered.schema ?? 'main'),
    threads: Number(rendered.threads ?? 1),
    database: inMemory ? 'memory' : databaseName(path),
    path: inMemory ? undefined : resolve(path),
  };
}

/** dbt-duckdb names the database after the file: target/local.duckdb → local. */
function databaseName(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/\.[^.]*$/, '');
}
