// freshet.yaml: everything `freshet up` can be told, in a file that can be committed. Checked
// against a JSON Schema before anything starts; every mistake is reported as
// `file:line:column: key: what is wrong`, for all mistakes at once. Secrets (passwords, tokens)
// are never written in the file: it names where they are, `${env:NAME}` or `${file:/path}`, and
// they are read from there when the file is loaded. Any other string may use the same references.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ConfigError, type FreshetConfig } from './config.js';
import { SECRET_KEYS, SOURCES_SCHEMA, SOURCE_TYPES, type SourceConfig } from './source-config.js';

const POSITIVE = { type: 'integer', minimum: 1 };
const MS = { type: 'integer', minimum: 0 };
const SHARE = { type: 'number', minimum: 0, maximum: 1 };
const obj = (properties: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  properties,
});

/** The whole file, in its own (snake_case) form. */
const FILE_SCHEMA = obj({
  data_dir: { type: 'string', minLength: 1 },
  lake: { type: 'string', minLength: 1 },
  project: { type: 'string', minLength: 1 },
  serve: obj({ host: { type: 'string' }, port: { type: 'integer', minimum: 0, maximum: 65535 } }),
  log: obj({
    url: { type: 'string', pattern: '^kafka://' },
    partitions: POSITIVE,
    fsync: { enum: ['always', 'interval', 'never'] },
  }),
  registry: obj({ url: { type: 'string', pattern: '^https?://' } }),
  simulator: obj({
    enabled: { type: 'boolean' },
    rate: { type: 'number', exclusiveMinimum: 0 },
    stores: POSITIVE,
    skus: POSITIVE,
    seed: { type: 'integer', minimum: 0 },
    max_events: POSITIVE,
    faults: obj({
      late_rate: SHARE,
      duplicate_rate: SHARE,
      malformed_rate: SHARE,
      clock_skew_minutes: { type: 'number', minimum: 0 },
      shuffle: { type: 'boolean' },
      silent_stores: { type: 'integer', minimum: 0 },
      silent_after: { type: 'integer', minimum: 0 },
    }),
    profile: { type: 'string' },
    date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
    days: POSITIVE,
    speed: { type: ['string', 'number'] },
  }),
  pipeline: obj({
    bronze_interval_ms: MS,
    model_interval_ms: MS,
    publish_interval_ms: MS,
    max_batch: POSITIVE,
    compact_interval_ms: MS,
    bronze_thread: { type: 'boolean' },
  }),
  sources: SOURCES_SCHEMA,
});

export const DEFAULT_CONFIG_FILE = 'freshet.yaml';

/** What a config file sets: applied over the defaults, and under flags given on the command line. */
export interface ConfigFile {
  path: string;
  apply(config: FreshetConfig): FreshetConfig;
  sources: SourceConfig[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Reads, checks and resolves a freshet.yaml. Throws ConfigError naming every mistake. */
export async function loadConfigFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  opts: { readSecrets?: boolean } = {},
): Promise<ConfigFile> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read the configuration file ${abs} (${(err as NodeJS.ErrnoException).code}); pass --config with an existing file`,
    );
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${abs}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0]}`).join('\n'),
    );
  }
  const raw = (doc.toJS() ?? {}) as Json;
  const ajv = new Ajv({ allErrors: true, discriminator: true, strict: false });
  const validate = ajv.compile(FILE_SCHEMA);
  if (!validate(raw)) {
    throw new ConfigError(
      dedupe(validate.errors ?? [])
        .map((e) => {
          const path = errorPath(e);
          // An unknown key is reported where the key is, not its value.
          const node = nodeAt(doc, path, e.keyword === 'additionalProperties');
          return `${node?.range ? at(node.range[0]) : abs}: ${describePath(path)}: ${describeError(e, node)}`;
        })
        .join('\n'),
    );
  }
  const problems: string[] = [];
  const resolved = resolveReferences(raw, [], {
    doc,
    at,
    env,
    base: dirname(abs),
    problems,
    // Listing sources needs no secret: their references are left unread (and may be unset).
    readSecrets: opts.readSecrets ?? true,
  });
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  const file = resolved as Record<string, Record<string, Json> | undefined>;
  const names = new Set<string>();
  const sources = ((file.sources as unknown as Array<Record<string, Json>>) ?? []).map((s, i) => {
    const name = String(s.name);
    if (names.has(name)) {
      const node = nodeAt(doc, ['sources', i, 'name']);
      problems.push(
        `${node?.range ? at(node.range[0]) : abs}: sources[${i}].name: '${name}' names two sources; each needs its own name`,
      );
    }
    names.add(name);
    return camelKeys(s) as unknown as SourceConfig;
  });
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  const base = dirname(abs);
  const local = (p: unknown) => (typeof p === 'string' && !isAbsolute(p) ? resolve(base, p) : p);
  for (const s of sources)
    if (s.type === 'files' && !/^s3a?:\/\//.test(s.location))
      s.location = local(s.location) as string;
  return {
    path: abs,
    sources,
    apply(config) {
      const c = structuredClone(config);
      const f = file;
      if (f.data_dir !== undefined) c.dataDir = local(f.data_dir) as string;
      if (f.lake !== undefined) c.lakeUrl = String(f.lake);
      if (f.project !== undefined) c.projectDir = local(f.project) as string;
      Object.assign(c.serve, camelKeys(f.serve ?? {}));
      Object.assign(c.log, camelKeys(f.log ?? {}));
      Object.assign(c.registry, camelKeys(f.registry ?? {}));
      const { faults, profile, date, days, speed, ...sim } = (f.simulator ?? {}) as Record<
        string,
        Json
      >;
      Object.assign(c.simulator, camelKeys(sim));
      if (profile !== undefined || date !== undefined) {
        // The profile's day is looked up by the command (it knows the calendar); '' = not yet.
        c.simulator.replay = {
          profile: String(profile ?? 'date'),
          date: date === undefined ? '' : String(date),
          days: typeof days === 'number' ? days : 1,
          speed: speed === undefined ? 60 : (speed as number | 'max'),
        };
      }
      Object.assign(c.simulator.faults, camelKeys((faults as Record<string, Json>) ?? {}));
      Object.assign(c.pipeline, camelKeys(f.pipeline ?? {}));
      c.sources = structuredClone(sources);
      return c;
    },
  };
}

interface ResolveContext {
  doc: Document;
  at: (offset: number) => string;
  env: NodeJS.ProcessEnv;
  base: string;
  problems: string[];
  readSecrets: boolean;
}

/** Replaces `${env:NAME}` and `${file:/path}` in every string; secrets must use them. */
function resolveReferences(value: Json, path: Array<string | number>, ctx: ResolveContext): Json {
  const where = () => {
    const node = nodeAt(ctx.doc, path);
    return `${node?.range ? ctx.at(node.range[0]) : ''}: ${describePath(path)}`;
  };
  if (Array.isArray(value)) return value.map((v, i) => resolveReferences(v, [...path, i], ctx));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveReferences(v, [...path, k], ctx);
    return out;
  }
  if (typeof value !== 'string') return value;
  const key = path[path.length - 1];
  const ref = /^\$\{(env|file):([^}]+)\}$/.exec(value.trim());
  const secret =
    (typeof key === 'string' && SECRET_KEYS.has(key)) ||
    (path.includes('headers') &&
      typeof key === 'string' &&
      /authorization|token|key|secret/i.test(key));
  if (!ref) {
    if (secret && value !== '') {
      ctx.problems.push(
        `${where()}: a secret must not be written in the file; put it in an environment variable or a file and write \${env:NAME} or \${file:/path}`,
      );
    }
    return value.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = ctx.env[name];
      if (v === undefined)
        ctx.problems.push(`${where()}: the environment variable ${name} is not set`);
      return v ?? '';
    });
  }
  if (secret && !ctx.readSecrets) return '';
  const [, kind, name] = ref;
  if (kind === 'env') {
    const v = ctx.env[name!];
    if (v === undefined)
      ctx.problems.push(`${where()}: the environment variable ${name} is not set`);
    return v ?? '';
  }
  const file = isAbsolute(name!) ? name! : resolve(ctx.base, name!);
  try {
    // Secrets files usually end with a newline that is not part of the secret.
    return readFileSyncTrimmed(file);
  } catch (err) {
    ctx.problems.push(`${where()}: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`);
    return '';
  }
}

function readFileSyncTrimmed(file: string): string {
  return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

/** snake_case keys to camelCase, one level of objects and arrays of objects deep and beyond. */
function camelKeys(value: unknown, inside = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => camelKeys(v, inside));
  if (value === null || typeof value !== 'object') return value;
  // Maps whose keys are data (topic → field, header names, a declared schema) keep their keys.
  if (inside === 'key_fields' || inside === 'headers' || inside === 'schema') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
      camelKeys(v, k),
    ]),
  );
}

function errorPath(e: ErrorObject): Array<string | number> {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  if (e.keyword === 'additionalProperties') {
    path.push(String((e.params as { additionalProperty: string }).additionalProperty));
  }
  if (e.keyword === 'discriminator') path.push(String((e.params as { tag: string }).tag));
  return path;
}

function describePath(path: Array<string | number>): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function describeError(e: ErrorObject, node: Node | undefined): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return 'is not a setting Freshet knows (check the spelling)';
    case 'required':
      return `is missing ${String(p.missingProperty)}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).join(', ')}`;
    case 'discriminator':
      return `type must be one of ${SOURCE_TYPES.join(', ')}`;
    case 'pattern':
      return `${JSON.stringify(isScalar(node) ? node.value : undefined)} does not have the right form (${String(p.pattern)})`;
    default:
      return e.message ?? e.keyword;
  }
}

/** One message per place and kind: oneOf branches repeat what their discriminator already said. */
function dedupe(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    if (e.keyword === 'oneOf' || e.keyword === 'if') return false;
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function nodeAt(doc: Document, path: Array<string | number>, key = false): Node | undefined {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  for (const [i, p] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && it.key.value === p);
      if (!pair) return (keyNode ?? node) as Node;
      keyNode = pair.key;
      if (key && i === path.length - 1) return pair.key as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof p === 'number') {
      node = node.items[p];
      keyNode = node;
    } else {
      return (node ?? undefined) as Node | undefined;
    }
  }
  return (node ?? keyNode) as Node | undefined;
}
