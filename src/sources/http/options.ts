// What the HTTP ingest endpoints are given: the log and registry they write through, the sources
// allowed to push (each with its token and topics), and the limits that protect the process.

import type { Log } from '../../log/index.js';
import type { Metrics } from '../../observe/index.js';
import type { SchemaRegistry } from '../../registry/index.js';

const MIB = 1024 * 1024;

/** One system allowed to push, e.g. the logistics API. */
export interface HttpSourceConfig {
  /** In the URL (`/ingest/<name>/<topic>`) and in each event's `freshet.source` header. */
  name: string;
  /** The bearer token this source sends. Secret: never logged, compared in constant time. */
  token: string;
  /**
   * Topics the token may write: exact names, or a prefix ending in `*` (`logistics.*`).
   * Anything else is refused with 403.
   */
  topics: string[];
}

export interface IngestOptions {
  log: Log;
  registry: SchemaRegistry;
  metrics: Metrics;
  sources: HttpSourceConfig[];
  /** Where accepted idempotency keys are kept (one small file per source). */
  dataDir: string;
  /** Partitions of a topic the first push creates (an existing topic keeps its own). Default 1. */
  partitions?: number;
  /** Per topic, the event field whose value becomes the log key (so one entity stays ordered). */
  keyFields?: Record<string, string>;
  /** Largest request body, counted while it streams in. Default 16 MiB. */
  maxBodyBytes?: number;
  /** Largest single event (one NDJSON line or one array element). Default 1 MiB, as the log. */
  maxEventBytes?: number;
  /** Most events in one request. Default 50,000. */
  maxEvents?: number;
  /** Deepest nesting of objects and arrays in an event. Default 64. */
  maxDepth?: number;
  /** Requests being read, validated or appended at once; more get 429. Default 64. */
  maxInFlight?: number;
  /** Body bytes held in memory by requests in flight; more get 429. Default 256 MiB. */
  maxPendingBytes?: number;
  /** Seconds a 429 or 503 tells the client to wait. Default 1. */
  retryAfterSeconds?: number;
  /** Refuse a request without an Idempotency-Key (428) instead of accepting it unprotected. */
  requireIdempotencyKey?: boolean;
  /** How long an accepted key is remembered. Default 7 days. */
  idempotencyTtlMs?: number;
  /** Frame values in Confluent's wire format, as the simulator source's option of that name. */
  wireFormat?: boolean;
}

export type ResolvedIngestOptions = Required<Omit<IngestOptions, 'keyFields'>> &
  Pick<IngestOptions, 'keyFields'>;

const SOURCE_NAME = /^[a-zA-Z0-9._-]{1,100}$/;

/** Defaults filled in; a configuration mistake is one sentence naming the source and the key. */
export function resolveIngestOptions(o: IngestOptions): ResolvedIngestOptions {
  const names = new Set<string>();
  for (const s of o.sources) {
    if (!SOURCE_NAME.test(s.name)) {
      throw new Error(
        `http source name ${JSON.stringify(s.name)} is not valid: use 1 to 100 characters from a-z A-Z 0-9 . _ -`,
      );
    }
    if (names.has(s.name)) throw new Error(`http source ${s.name} is declared twice`);
    names.add(s.name);
    if (typeof s.token !== 'string' || s.token.length < 16) {
      throw new Error(
        `http source ${s.name}: its token must be at least 16 characters (give it from the environment or a file)`,
      );
    }
    if (!Array.isArray(s.topics) || s.topics.length === 0) {
      throw new Error(`http source ${s.name}: topics must list at least one topic it may write`);
    }
  }
  return {
    ...o,
    partitions: o.partitions ?? 1,
    maxBodyBytes: o.maxBodyBytes ?? 16 * MIB,
    maxEventBytes: o.maxEventBytes ?? MIB,
    maxEvents: o.maxEvents ?? 50_000,
    maxDepth: o.maxDepth ?? 64,
    maxInFlight: o.maxInFlight ?? 64,
    maxPendingBytes: o.maxPendingBytes ?? 256 * MIB,
    retryAfterSeconds: o.retryAfterSeconds ?? 1,
    requireIdempotencyKey: o.requireIdempotencyKey ?? false,
    idempotencyTtlMs: o.idempotencyTtlMs ?? 7 * 24 * 3600_000,
    wireFormat: o.wireFormat ?? false,
  };
}
