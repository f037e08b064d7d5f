// The push endpoints: POST /ingest/<source>/<topic> with a JSON array (or {"records": [...]})
// or NDJSON. The order of checks is the order of cost: token and scope, content type, admission,
// the body (size checked while it streams), the idempotency key, parsing, validation of every
// event, and only then one append. A batch is all-or-nothing: one bad event refuses the whole
// batch with 422 naming it, and nothing is appended, so the fixed batch can be resent as is.
// The 2xx is sent only after the append resolved, i.e. after the log made the events durable.

import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { InvalidRecordError, type AppendResult, type LogRecord } from '../../log/index.js';
import { encodeWire, subjectForTopic } from '../../registry/index.js';
import { Authenticator, inScope } from './auth.js';
import { Admission } from './backpressure.js';
import { readBody } from './body.js';
import { HEADER, IDEMPOTENCY_KEY, ingestEventIdPrefix } from './event-ids.js';
import { IdempotencyStore } from './idempotency-store.js';
import { resolveIngestOptions, type IngestOptions, type ResolvedIngestOptions } from './options.js';
import { parseJsonBatch, parseNdjson, type ParsedEvent } from './parse.js';
import { buildReceipt } from './receipt.js';
import type { SourceStatus } from '../source.js';

/** What a refused request's outcome is counted as in freshet_http_ingest_requests_total. */
type Outcome =
  | 'accepted'
  | 'replayed'
  | 'unauthorized'
  | 'forbidden'
  | 'unsupported_type'
  | 'bad_request'
  | 'too_large'
  | 'throttled'
  | 'malformed'
  | 'invalid'
  | 'conflict'
  | 'unknown_topic'
  | 'unavailable';

/** One bad event in a 422: where it is and what is wrong with it. */
export interface EventProblem {
  index: number;
  line?: number;
  field: string;
  reason: string;
}

const MAX_PROBLEMS = 100;

export interface Ingest {
  /** Mount at /ingest: `app.route('/ingest', ingest.routes)`. */
  routes: Hono;
  /**
   * Each push source as a source status: events accepted, requests refused (eventsRejected) and
   * the last refusal; `freshet sources` lists them beside the other sources.
   */
  status(): SourceStatus[];
  /** Writes each source's final idempotency marker; call after the server stopped. */
  close(): Promise<void>;
}

function mediaType(header: string | undefined): 'json' | 'ndjson' | null {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
  return null;
}

/** "/lines/0/qty: must be >= 1" → field and reason. */
function splitProblem(text: string): { field: string; reason: string } {
  const at = text.indexOf(': ');
  return at > 0 && (text.startsWith('/') || text.startsWith('(root)'))
    ? { field: text.slice(0, at), reason: text.slice(at + 2) }
    : { field: '(root)', reason: text };
}

function keyOf(value: unknown, field: string | undefined): string | null {
  if (!field || value === null || typeof value !== 'object') return null;
  const v = (value as Record<string, unknown>)[field];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
}

/**
 * Opens each source's idempotency store (scanning the log tail for batches a crash left
 * unrecorded) and returns the routes.
 *
 * @example
 * const ingest = await createIngest({ log, registry, metrics, dataDir, sources: [
 *   { name: 'logistics', token: process.env.LOGISTICS_TOKEN!, topics: ['logistics.shipments'] },
 * ] });
 * app.route('/ingest', ingest.routes);
 */
export async function createIngest(options: IngestOptions): Promise<Ingest> {
  const opts = resolveIngestOptions(options);
  const { log, registry, metrics } = opts;
  const auth = new Authenticator(opts.sources);
  const admission = new Admission(opts.maxInFlight, opts.maxPendingBytes);
  const existing = (await log.topics()).map((t) => t.name);
  const stores = new Map<string, IdempotencyStore>();
  for (const s of opts.sources) {
    stores.set(
      s.name,
      await IdempotencyStore.open({
        dataDir: opts.dataDir,
        source: s.name,
        log,
        topics: existing.filter((t) => inScope(s.topics, t)),
        ttlMs: opts.idempotencyTtlMs,
      }),
    );
  }
  const created = new Set(existing);
  const app = new Hono();

  // Per configured source: what `status()` reports. Never the token, only what was refused and why.
  const tallies = new Map(
    opts.sources.map((s) => [
      s.name,
      { accepted: 0, refused: 0, lastError: null as string | null },
    ]),
  );
  const count = (source: string, outcome: Outcome) =>
    metrics.httpIngestRequests.inc({ source, outcome });

  const refuse = (
    c: Context,
    source: string,
    status: ContentfulStatusCode,
    outcome: Outcome,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => {
    count(source, outcome);
    const tally = tallies.get(source);
    if (tally) {
      tally.refused++;
      const why = typeof body.error === 'string' ? `: ${body.error}` : '';
      tally.lastError = `${status} ${outcome}${why}`;
    }
    return c.json({ ...body, reason: outcome }, status, headers);
  };

  app.post('/:source/:topic', async (c) => {
    const sourceName = c.req.param('source');
    const topic = c.req.param('topic');
    const verdict = auth.check(sourceName, topic, c.req.header('authorization'));
    if (!verdict.ok) {
      // An unauthenticated caller's source name is not used as a label (unbounded cardinality).
      const label = verdict.status === 403 ? sourceName : '(unauthenticated)';
      return refuse(
        c,
        label,
        verdict.status,
        verdict.status === 401 ? 'unauthorized' : 'forbidden',
        { error: verdict.reason },
        verdict.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {},
      );
    }
    const source = verdict.source.name;
    const type = mediaType(c.req.header('content-type'));
    if (!type) {
      return refuse(c, source, 415, 'unsupported_type', {
        error: `Content-Type ${JSON.stringify(c.req.header('content-type') ?? '')} is not accepted; send application/json (an array of events, or {"records": [...]}) or application/x-ndjson (one event per line)`,
      });
    }
    const key = c.req.header('idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      return refuse(c, source, 400, 'bad_request', {
        error: 'the Idempotency-Key header must be 1 to 255 visible ASCII characters',
      });
    }
    if (key === undefined && opts.requireIdempotencyKey) {
      return refuse(c, source, 428, 'bad_request', {
        error: 'send an Idempotency-Key header (a unique id per batch, the same on every retry)',
      });
    }
    const declared = Number(c.req.header('content-length') ?? NaN);
    if (declared > opts.maxBodyBytes) return tooLarge(c, source, declared);

    const ticket = admission.enter();
    if (!ticket) return throttled(c, source, `${opts.maxInFlight} requests are in flight`);
    let claimed: { store: IdempotencyStore; topic: string; key: string } | null = null;
    try {
      const body = await readBody(c.req.raw.body, opts.maxBodyBytes, ticket.reserve);
      if (!body.ok) {
        if (body.reason === 'too_large') return tooLarge(c, source, body.bytesRead);
        if (body.reason === 'throttled') {
          return throttled(c, source, `${opts.maxPendingBytes} bytes of bodies are held`);
        }
        return refuse(c, source, 400, 'malformed', { error: 'the request body was cut off' });
      }
      const store = stores.get(source)!;
      let landed = new Map<number, AppendResult>();
      if (key !== undefined) {
        // Claimed before anything else, so two requests with one key never both append.
        if (!store.claim(topic, key)) {
          return refuse(
            c,
            source,
            409,
            'conflict',
            { error: `a request with Idempotency-Key ${key} is in progress; retry after it` },
            { 'Retry-After': String(opts.retryAfterSeconds) },
          );
        }
        claimed = { store, topic, key };
        const known = store.lookup(topic, key);
        if (known.state === 'done' || known.state === 'partial') {
          if (known.hash !== body.hash) {
            return refuse(c, source, 422, 'conflict', {
              error: `Idempotency-Key ${key} was already used for a different body; use a new key for a new batch`,
            });
          }
          if (known.state === 'done') {
            count(source, 'replayed');
            return c.json(known.receipt, 200, { 'Idempotent-Replayed': 'true' });
          }
          landed = new Map(known.landed);
        }
      }
      const limits = {
        maxEventBytes: opts.maxEventBytes,
        maxEvents: opts.maxEvents,
        maxDepth: opts.maxDepth,
      };
      const parsed =
        type === 'json' ? parseJsonBatch(body.bytes, limits) : parseNdjson(body.bytes, limits);
      if (!parsed.ok) {
        const { status, reason, message, ...where } = parsed.problem;
        if (status === 422) {
          return invalid(c, source, topic, [
            {
              index: where.index ?? 0,
              ...(where.line !== undefined ? { line: where.line } : {}),
              field: where.field ?? '(root)',
              reason: message,
            },
          ]);
        }
        const headers: Record<string, string> = status === 413 ? { Connection: 'close' } : {};
        return refuse(c, source, status, reason, { error: message, ...where }, headers);
      }
      if (parsed.events.length === 0) {
        return refuse(c, source, 400, 'malformed', { error: 'the batch holds no events' });
      }
      const subject = subjectForTopic(topic);
      if (!(await registry.latest(subject))) {
        return refuse(c, source, 404, 'unknown_topic', {
          error: `topic ${topic} has no schema: register one under subject ${subject} (POST /registry/subjects/${subject}/versions) before pushing to it`,
        });
      }
      const built = await toRecords(opts, source, topic, key, body.hash, parsed.events);
      if (!built.ok) return invalid(c, source, topic, built.problems);

      if (!created.has(topic)) {
        await log.createTopic(topic, { partitions: opts.partitions });
        created.add(topic);
      }
      if (key === undefined) {
        const results = await appendOrNull(c, source, () => log.append(topic, built.records));
        if (results instanceof Response) return results;
        accepted(source, topic, results.length);
        return c.json(buildReceipt(source, topic, null, results), 200);
      }
      // A batch of which part landed before a failure: append only the events still missing.
      const missing = built.records.map((r, i) => ({ r, i })).filter(({ i }) => !landed.has(i));
      const started = performance.now();
      let results: AppendResult[];
      try {
        results = await log.append(
          topic,
          missing.map(({ r }) => r),
        );
      } catch (err) {
        claimed = null;
        await store.fail(topic, key).catch(() => undefined);
        return appendFailed(c, source, err);
      }
      metrics.logAppendSeconds.observe((performance.now() - started) / 1000);
      missing.forEach(({ i }, n) => landed.set(i, results[n]!));
      const receipt = buildReceipt(source, topic, key, landed.values());
      claimed = null;
      await store.accept(topic, key, body.hash, receipt);
      accepted(source, topic, missing.length);
      return c.json(receipt, 200);
    } finally {
      // A claimed key whose request ended before appending (refused, or an exception) is free.
      if (claimed) claimed.store.release(claimed.topic, claimed.key);
      ticket.release();
    }
  });

  app.all('/:source/:topic', (c) =>
    c.json({ error: 'use POST to push events to /ingest/<source>/<topic>' }, 405, {
      Allow: 'POST',
    }),
  );

  const accepted = (source: string, topic: string, n: number) => {
    count(source, 'accepted');
    const tally = tallies.get(source);
    if (tally) tally.accepted += n;
    metrics.eventsAccepted.inc({ topic }, n);
  };

  const tooLarge = (c: Context, source: string, bytes: number) =>
    refuse(
      c,
      source,
      413,
      'too_large',
      {
        error: `the body is larger than ${opts.maxBodyBytes} bytes (${bytes} read); split the batch`,
      },
      { Connection: 'close' },
    );

  const throttled = (c: Context, source: string, why: string) =>
    refuse(
      c,
      source,
      429,
      'throttled',
      { error: `ingest is at capacity (${why}); retry after ${opts.retryAfterSeconds} s` },
      { 'Retry-After': String(opts.retryAfterSeconds) },
    );

  const invalid = (c: Context, source: string, topic: string, problems: EventProblem[]) =>
    refuse(c, source, 422, 'invalid', {
      error: `${problems.length === MAX_PROBLEMS ? 'at least ' : ''}${problems.length} event(s) do not match the schema of ${subjectForTopic(topic)}; nothing of this batch was appended: fix them and send the whole batch again`,
      problems,
    });

  const appendFailed = (c: Context, source: string, err: unknown) => {
    if (err instanceof InvalidRecordError) {
      return refuse(c, source, 413, 'too_large', { error: err.message });
    }
    metrics.errors.inc({ stage: 'source' });
    return refuse(
      c,
      source,
      503,
      'unavailable',
      {
        error: `the log could not make the batch durable (${err instanceof Error ? err.message : String(err)}); retry with the same Idempotency-Key`,
      },
      { 'Retry-After': String(opts.retryAfterSeconds) },
    );
  };

  const appendOrNull = async (
    c: Context,
    source: string,
    append: () => Promise<AppendResult[]>,
  ): Promise<AppendResult[] | Response> => {
    const started = performance.now();
    try {
      const results = await append();
      metrics.logAppendSeconds.observe((performance.now() - started) / 1000);
      return results;
    } catch (err) {
      return appendFailed(c, source, err);
    }
  };

  return {
    routes: app,
    status: () =>
      [...tallies].map(([name, t]) => ({
        name,
        state: 'running' as const,
        eventsAccepted: t.accepted,
        eventsRejected: t.refused,
        position: t.accepted,
        lastError: t.lastError,
      })),
    close: async () => {
      await Promise.all([...stores.values()].map((s) => s.close()));
    },
  };
}

/** Validates every event (all of them, so the sender sees every problem at once) and frames it. */
async function toRecords(
  opts: ResolvedIngestOptions,
  source: string,
  topic: string,
  key: string | undefined,
  hash: string,
  events: ParsedEvent[],
): Promise<{ ok: true; records: LogRecord[] } | { ok: false; problems: EventProblem[] }> {
  const subject = subjectForTopic(topic);
  const problems: EventProblem[] = [];
  const records: LogRecord[] = [];
  // Without a key the batch cannot be recognised on a retry; its ids are still unique.
  const idKey = key ?? `unkeyed-${randomUUID()}`;
  const keyField = opts.keyFields?.[topic];
  const idPrefix = ingestEventIdPrefix(source, topic, idKey);
  const count = String(events.length);
  for (const ev of events) {
    const verdict = await opts.registry.validate(subject, ev.value);
    if (!verdict.ok) {
      for (const text of verdict.errors) {
        if (problems.length >= MAX_PROBLEMS) break;
        problems.push({
          index: ev.index,
          ...(ev.line !== undefined ? { line: ev.line } : {}),
          ...splitProblem(text),
        });
      }
      if (problems.length >= MAX_PROBLEMS) break;
      continue;
    }
    if (problems.length > 0) continue;
    const headers: Record<string, string> = {
      'freshet.source': source,
      'freshet.event-id': `${idPrefix}${ev.index}`,
      'freshet.schema-id': String(verdict.schemaId),
    };
    if (key !== undefined) {
      headers[HEADER.key] = key;
      headers[HEADER.index] = String(ev.index);
      headers[HEADER.count] = count;
      headers[HEADER.hash] = hash;
    }
    const value = Buffer.from(ev.json);
    records.push({
      key: keyOf(ev.value, keyField),
      value: opts.wireFormat ? encodeWire(verdict.schemaId, value) : value,
      headers,
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, records };
}
