// The sources a freshet.yaml declares: one entry per source system, told apart by `type`. These
// are the shapes after the file was read and checked (camelCase, secrets resolved); the JSON
// Schema below checks the file's own form (snake_case), so that a mistake is reported with its
// key and line before anything starts.

export interface PostgresSourceConfig {
  type: 'postgres';
  name: string;
  connection: { host: string; port: number; user: string; password?: string; database: string };
  topicPrefix: string;
  tables: string[];
  slot?: string;
  publication?: string;
  partitions?: number;
  snapshotChunkSize?: number;
  heartbeatIntervalMs?: number;
}

export interface MysqlSourceConfig {
  type: 'mysql';
  name: string;
  connection: { host: string; port: number; user: string; password?: string; database?: string };
  topicPrefix: string;
  tables: string[];
  serverId?: number;
  partitions?: number;
  snapshotChunkSize?: number;
}

/** Push: the source's systems POST batches to /ingest/<name>/<topic> with its token. */
export interface HttpPushSourceConfig {
  type: 'http';
  name: string;
  token: string;
  /** Topics it may write: exact names or a `prefix*`. */
  topics: string[];
  keyFields?: Record<string, string>;
}

/** Pull: Freshet polls a REST API that pages with a cursor. */
export interface HttpPullSourceConfig {
  type: 'http-pull';
  name: string;
  url: string;
  topic: string;
  cursorParam?: string;
  recordsPath?: string;
  nextCursorPath?: string;
  initialCursor?: string;
  headers?: Record<string, string>;
  pollIntervalMs?: number;
  keyField?: string;
}

export interface FilesSourceConfig {
  type: 'files';
  name: string;
  /** A folder or s3://bucket/prefix where files are dropped. */
  location: string;
  topic: string;
  format?: 'csv' | 'ndjson' | 'parquet' | 'auto';
  pattern?: string;
  keyField?: string;
  pollIntervalMs?: number;
  /** A declared JSON Schema for the topic; without one it is inferred from the first file. */
  schema?: Record<string, unknown>;
  csv?: { delimiter?: string; header?: boolean; columns?: string[] };
  /** Take a file only once `<file><marker>` exists (e.g. `.done`), not when it stops growing. */
  readyMarker?: string;
  /** `keep` (default; the position file remembers what was done) or `move` under done/. */
  archive?: 'keep' | 'move';
}

export interface KafkaSourceConfig {
  type: 'kafka';
  name: string;
  brokers: string[];
  topics: string[];
  group?: string;
  format?: 'json' | 'avro' | 'json-sr' | 'auto';
  /** The Confluent-compatible registry that Avro / JSON Schema values were framed against. */
  registryUrl?: string;
  /** Prefix of the topics in Freshet's log (default: the same names). */
  targetPrefix?: string;
}

export type SourceConfig =
  | PostgresSourceConfig
  | MysqlSourceConfig
  | HttpPushSourceConfig
  | HttpPullSourceConfig
  | FilesSourceConfig
  | KafkaSourceConfig;

export const SOURCE_TYPES = ['postgres', 'mysql', 'http', 'http-pull', 'files', 'kafka'] as const;

/**
 * Keys whose values are secrets: the file must name where to find them (`${env:NAME}` or
 * `${file:/path}`), never hold them, so the file can be committed and shown without leaking.
 */
export const SECRET_KEYS = new Set(['password', 'token']);

const NAME = { type: 'string', pattern: '^[a-zA-Z0-9._-]{1,100}$' };
const TOPIC = { type: 'string', pattern: '^[a-zA-Z0-9._-]{1,249}$' };
const POSITIVE = { type: 'integer', minimum: 1 };
const PORT = { type: 'integer', minimum: 1, maximum: 65535 };
const STRINGS = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 };
const STRING_MAP = { type: 'object', additionalProperties: { type: 'string' } };

const connection = (databaseRequired: boolean) => ({
  type: 'object',
  additionalProperties: false,
  required: ['host', 'user', ...(databaseRequired ? ['database'] : [])],
  properties: {
    host: { type: 'string', minLength: 1 },
    port: PORT,
    user: { type: 'string', minLength: 1 },
    password: { type: 'string' },
    database: { type: 'string', minLength: 1 },
  },
});

const source = (type: string, required: string[], properties: Record<string, unknown>) => ({
  type: 'object',
  additionalProperties: false,
  required: ['type', 'name', ...required],
  properties: { type: { const: type }, name: NAME, ...properties },
});

/** The `sources:` list of freshet.yaml, as a JSON Schema (snake_case keys, as in the file). */
export const SOURCES_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    required: ['type'],
    discriminator: { propertyName: 'type' },
    oneOf: [
      source('postgres', ['connection', 'topic_prefix', 'tables'], {
        connection: connection(true),
        topic_prefix: NAME,
        tables: { ...STRINGS, items: { type: 'string', pattern: '^[^.\\s]+\\.[^.\\s]+$' } },
        slot: { type: 'string', pattern: '^[a-z0-9_]{1,63}$' },
        publication: { type: 'string', minLength: 1 },
        partitions: POSITIVE,
        snapshot_chunk_size: POSITIVE,
        heartbeat_interval_ms: POSITIVE,
      }),
      source('mysql', ['connection', 'topic_prefix', 'tables'], {
        connection: connection(false),
        topic_prefix: NAME,
        tables: { ...STRINGS, items: { type: 'string', pattern: '^[^.\\s]+\\.[^.\\s]+$' } },
        server_id: POSITIVE,
        partitions: POSITIVE,
        snapshot_chunk_size: POSITIVE,
      }),
      source('http', ['token', 'topics'], {
        token: { type: 'string' },
        topics: STRINGS,
        key_fields: STRING_MAP,
      }),
      source('http-pull', ['url', 'topic'], {
        url: { type: 'string', pattern: '^https?://' },
        topic: TOPIC,
        cursor_param: { type: 'string', minLength: 1 },
        records_path: { type: 'string' },
        next_cursor_path: { type: 'string' },
        initial_cursor: { type: 'string' },
        headers: STRING_MAP,
        poll_interval_ms: POSITIVE,
        key_field: { type: 'string', minLength: 1 },
      }),
      source('files', ['location', 'topic'], {
        location: { type: 'string', minLength: 1 },
        topic: TOPIC,
        format: { enum: ['csv', 'ndjson', 'parquet', 'auto'] },
        pattern: { type: 'string', minLength: 1 },
        key_field: { type: 'string', minLength: 1 },
        poll_interval_ms: POSITIVE,
        schema: { type: 'object' },
        csv: {
          type: 'object',
          additionalProperties: false,
          properties: {
            delimiter: { type: 'string', minLength: 1, maxLength: 1 },
            header: { type: 'boolean' },
            columns: STRINGS,
          },
        },
        ready_marker: { type: 'string', minLength: 1 },
        archive: { enum: ['keep', 'move'] },
      }),
      source('kafka', ['brokers', 'topics'], {
        brokers: { ...STRINGS, items: { type: 'string', pattern: '^[^:\\s]+:\\d{1,5}$' } },
        topics: STRINGS,
        group: { type: 'string', minLength: 1 },
        format: { enum: ['json', 'avro', 'json-sr', 'auto'] },
        registry_url: { type: 'string', pattern: '^https?://' },
        target_prefix: { type: 'string', pattern: '^[a-zA-Z0-9._-]{0,100}$' },
      }),
    ],
  },
} as const;
