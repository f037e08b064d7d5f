// HTTP ingest over real loopback HTTP: a real EmbeddedLog and EmbeddedRegistry in a temp dir,
// the routes served by @hono/node-server on an ephemeral port, driven with fetch.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedLog, type StoredRecord } from '../src/log/index.js';
import { Metrics } from '../src/observe/index.js';
import { EmbeddedRegistry } from '../src/registry/index.js';
import { createIngest, type Ingest, type IngestOptions } from '../src/sources/http/index.js';

const TOPIC = 'logistics.shipments';
const OTHER = 'pos.transactions';
const TOKEN = 'logistics-secret-token-0123456789';
const SCHEMA = {
  type: 'object',
  required: ['shipment_id', 'qty'],
  properties: {
    shipment_id: { type: 'string' },
    store_id: { type: 'string' },
    qty: { type: 'integer', minimum: 1 },
  },
};

let dir: string;
let log: EmbeddedLog;
let registry: EmbeddedRegistry;
let metrics: Metrics;
let ingest: Ingest;
let server: Server;
let base: string;

async function startApp(extra: Partial<IngestOptions> = {}): Promise<void> {
  log = await EmbeddedLog.open(join(dir, 'log'));
  registry = await EmbeddedRegistry.open(join(dir, 'registry'));
  metrics = new Metrics();
  ingest = await createIngest({
    log,
    registry,
    metrics,
    dataDir: join(dir, 'ingest'),
    sources: [
      { name: 'logistics', token: TOKEN, topics: ['logistics.*'] },
      { name: 'pos', token: 'pos-secret-token-abcdefghijklmnop', topics: [OTHER] },
    ],
    ...extra,
  });
  const app = new Hono();
  app.route('/ingest', ingest.routes);
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(s as Server),
    ) as Server;
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
}

async function stopApp(): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
  await ingest.close();
  await log.close();
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-http-ingest-'));
  await startApp();
  await registry.register(`${TOPIC}-value`, { schemaType: 'JSON', schema: JSON.stringify(SCHEMA) });
});
afterEach(async () => {
  await stopApp();
  await rm(dir, { recursive: true, force: true });
});

const ship = (i: number) => ({ shipment_id: `SH${i}`, store_id: `S${i % 3}`, qty: i + 1 });

function post(
  body: RequestInit['body'],
  opts: { type?: string; key?: string; token?: string | null; path?: string } = {},
) {
  const headers: Record<string, string> = { 'Content-Type': opts.type ?? 'application/json' };
  if (opts.token !== null) headers.Authorization = `Bearer ${opts.token ?? TOKEN}`;
  if (opts.key) headers['Idempotency-Key'] = opts.key;
  const init = { method: 'POST', headers, body, duplex: 'half' } as RequestInit;
  return fetch(`${base}/${opts.path ?? `logistics/${TOPIC}`}`, init);
}

/** The fields the tests read from a response body. */
interface Reply {
  error: string;
  line?: number;
  accepted: number;
  idempotencyKey: string | null;
  problems: Array<Record<string, unknown>>;
}
const json = (res: Response) => res.json() as Promise<Reply>;

async function readAll(topic = TOPIC): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  const info = (await log.topics()).find((t) => t.name === topic);
  for (let p = 0; p < (info?.partitions ?? 0); p++) out.push(...(await log.read(topic, p, 0)));
  return out;
}

describe('HTTP ingest: accepting batches', () => {
  it('accepts a JSON array and {records}: durable in the log with source, event id and schema id', async () => {
    const res = await post(JSON.stringify([ship(1), ship(2)]), { key: 'batch-1' });
    expect(res.status).toBe(200);
    const receipt = await json(res);
    expect(receipt).toEqual({
      source: 'logistics',
      topic: TOPIC,
      idempotencyKey: 'batch-1',
      accepted: 2,
      partitions: [{ partition: 0, firstOffset: 0, lastOffset: 1, count: 2 }],
    });
    const wrapped = await post(JSON.stringify({ records: [ship(3)] }), { key: 'batch-2' });
    expect(wrapped.status).toBe(200);

    const records = await readAll();
    expect(records.map((r) => JSON.parse(r.value.toString()))).toEqual([ship(1), ship(2), ship(3)]);
    const schemaId = (await registry.latest(`${TOPIC}-value`))!.id;
    for (const r of records) {
      expect(r.headers['freshet.source']).toBe('logistics');
      expect(r.headers['freshet.schema-id']).toBe(String(schemaId));
      expect(r.headers['freshet.event-id']).toMatch(/^logistics-[0-9a-f]{32}-\d+$/);
    }
    // Deterministic: the same source, topic, key and index give the same id; ids differ inside.
    expect(records[0]!.headers['freshet.event-id']).not.toBe(
      records[1]!.headers['freshet.event-id'],
    );
    expect(records[0]!.headers['freshet.event-id']).toMatch(/-0$/);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(
      /freshet_http_ingest_requests_total\{source="logistics",outcome="accepted"\} 2/,
    );
    expect(text).toMatch(/freshet_events_accepted_total\{topic="logistics.shipments"\} 3/);
  });

  it('accepts NDJSON, one event per line, blank lines and a final newline ignored', async () => {
    const body = `${JSON.stringify(ship(1))}\n\n${JSON.stringify(ship(2))}\r\n${JSON.stringify(ship(3))}\n`;
    const res = await post(body, { type: 'application/x-ndjson', key: 'nd-1' });
    expect(res.status).toBe(200);
    expect((await json(res)).accepted).toBe(3);
    const values = (await readAll()).map((r) => JSON.parse(r.value.toString()));
    expect(values).toEqual([ship(1), ship(2), ship(3)]);
  });

  it('routes by keyFields so one entity stays on one partition', async () => {
    await stopApp();
    await rm(dir, { recursive: true, force: true });
    dir = await mkdtemp(join(tmpdir(), 'freshet-http-ingest-'));
    await startApp({ partitions: 4, keyFields: { [TOPIC]: 'store_id' } });
    await registry.register(`${TOPIC}-value`, {
      schemaType: 'JSON',
      schema: JSON.stringify(SCHEMA),
    });
    const res = await post(JSON.stringify(Array.from({ length: 12 }, (_, i) => ship(i))), {
      key: 'k',
    });
    expect(res.status).toBe(200);
    const records = await readAll();
    expect(records).toHaveLength(12);
    const partitionOf = new Map<string, number>();
    for (const r of records) {
      expect(r.key).toBe(JSON.parse(r.value.toString()).store_id);
      expect(partitionOf.get(r.key!) ?? r.partition).toBe(r.partition);
      partitionOf.set(r.key!, r.partition);
    }
  });
});

describe('HTTP ingest: tokens and scope', () => {
  it('401 without a token, with a wrong token, or another source’s token; 403 outside the scope', async () => {
    const body = JSON.stringify([ship(1)]);
    const none = await post(body, { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await json(none)).error).toMatch(/Authorization: Bearer/);
    expect((await post(body, { token: 'wrong-token-wrong-token-wrong' })).status).toBe(401);
    expect((await post(body, { token: 'pos-secret-token-abcdefghijklmnop' })).status).toBe(401);
    expect((await post(body, { path: `nobody/${TOPIC}` })).status).toBe(401);
    const outside = await post(body, { path: `logistics/${OTHER}` });
    expect(outside.status).toBe(403);
    const err = (await json(outside)).error as string;
    expect(err).toMatch(/may not write topic "pos.transactions"/);
    expect(err).not.toContain(TOKEN);
    expect(await readAll()).toHaveLength(0);
  });
});

describe('HTTP ingest: refusing bad input', () => {
  it('422 names every bad record (index, line, field) and appends nothing of the batch', async () => {
    const good = JSON.stringify(ship(1));
    const nd = [
      good,
      JSON.stringify({ shipment_id: 'X', qty: 0 }),
      good,
      JSON.stringify({ qty: 2 }),
    ].join('\n');
    const res = await post(nd, { type: 'application/x-ndjson', key: 'bad-1' });
    expect(res.status).toBe(422);
    const body = await json(res);
    expect(body.error).toMatch(/nothing of this batch was appended/);
    expect(body.problems).toEqual([
      { index: 1, line: 2, field: '/qty', reason: 'must be >= 1' },
      { index: 3, line: 4, field: '/shipment_id', reason: 'is required' },
    ]);
    const arr = await post(JSON.stringify([ship(1), { shipment_id: 7, qty: 1 }]));
    expect(arr.status).toBe(422);
    expect((await json(arr)).problems).toEqual([
      { index: 1, field: '/shipment_id', reason: 'must be string' },
    ]);
    expect(await readAll()).toHaveLength(0);
    // The fixed batch, resent under the same key, is accepted whole.
    const fixed = [good, JSON.stringify(ship(2)), good, JSON.stringify(ship(4))].join('\n');
    const ok = await post(fixed, { type: 'application/x-ndjson', key: 'bad-1' });
    expect(ok.status).toBe(200);
    expect(await readAll()).toHaveLength(4);
  });

  it('400 for malformed JSON and for a malformed NDJSON line, naming the line', async () => {
    const res = await post('[{"shipment_id": "A", "qty": 1},');
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatch(/not valid JSON/);
    const obj = await post('{"shipment_id": "A"}');
    expect(obj.status).toBe(400);
    expect((await json(obj)).error).toMatch(/array of events/);
    const nd = await post(`${JSON.stringify(ship(1))}\n{"shipment_id": "B", qty: 2}\n`, {
      type: 'application/x-ndjson',
    });
    expect(nd.status).toBe(400);
    const body = await json(nd);
    expect(body.line).toBe(2);
    expect(body.error).toMatch(/^line 2 is not valid JSON/);
    expect(await readAll()).toHaveLength(0);
  });

  it('415 for other content types, 404 for a topic without a schema', async () => {
    const res = await post('a,b\n1,2', { type: 'text/csv' });
    expect(res.status).toBe(415);
    expect((await json(res)).error).toMatch(/application\/x-ndjson/);
    const unknown = await post(JSON.stringify([ship(1)]), { path: 'logistics/logistics.unknown' });
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).error).toMatch(/subject logistics.unknown-value/);
  });

  it('413 for a body past the limit, sent streaming without a length, refused before it ends', async () => {
    await stopApp();
    await startApp({ maxBodyBytes: 64 * 1024 });
    const line = `${JSON.stringify(ship(1))}\n`;
    const chunk = new TextEncoder().encode(line.repeat(Math.ceil((16 * 1024) / line.length)));
    let sent = 0;
    // An endless body: only a limit checked while streaming can answer it.
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const res = await post(endless, { type: 'application/x-ndjson', key: 'big' });
    expect(res.status).toBe(413);
    expect((await json(res)).error).toMatch(/larger than 65536 bytes/);
    expect(sent).toBeLessThan(64 * 1024 * 64);
    // A declared Content-Length past the limit is refused without reading the body.
    const declared = await post(new Uint8Array(70 * 1024).fill(0x20), {
      type: 'application/x-ndjson',
    });
    expect(declared.status).toBe(413);
    expect(await readAll()).toHaveLength(0);
  });

  it('429 with Retry-After when the in-flight limit is reached; the held request still succeeds', async () => {
    await stopApp();
    await startApp({ maxInFlight: 1, retryAfterSeconds: 3 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const enc = new TextEncoder();
    const slow = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(enc.encode(`${JSON.stringify(ship(1))}\n`));
        await held;
        controller.enqueue(enc.encode(`${JSON.stringify(ship(2))}\n`));
        controller.close();
      },
    });
    const first = post(slow, { type: 'application/x-ndjson', key: 'slow' });
    // Wait until the first request is inside (the server has read its first chunk).
    await new Promise((r) => setTimeout(r, 200));
    const second = await post(JSON.stringify([ship(3)]), { key: 'fast' });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('3');
    expect((await json(second)).error).toMatch(/at capacity/);
    release();
    const res = await first;
    expect(res.status).toBe(200);
    expect((await json(res)).accepted).toBe(2);
    // Capacity is back once the first finished.
    expect((await post(JSON.stringify([ship(3)]), { key: 'fast' })).status).toBe(200);
  });
});

describe('HTTP ingest: idempotency', () => {
  it('a retry with the same key gets the same response and appends nothing, also after a restart', async () => {
    const body = JSON.stringify([ship(1), ship(2), ship(3)]);
    const first = await post(body, { key: 'retry-me' });
    expect(first.status).toBe(200);
    const receipt = await json(first);
    const again = await post(body, { key: 'retry-me' });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(again)).toEqual(receipt);
    expect(await readAll()).toHaveLength(3);

    await stopApp();
    await startApp();
    const afterRestart = await post(body, { key: 'retry-me' });
    expect(afterRestart.status).toBe(200);
    expect(await json(afterRestart)).toEqual(receipt);
    expect(await readAll()).toHaveLength(3);
    // The same key with another body is a client mistake, not a retry.
    const other = await post(JSON.stringify([ship(9)]), { key: 'retry-me' });
    expect(other.status).toBe(422);
    expect((await json(other)).error).toMatch(/different body/);
    // Without a key every request is new (and says so).
    const unkeyed = await post(body);
    expect((await json(unkeyed)).idempotencyKey).toBeNull();
    expect(await readAll()).toHaveLength(6);
  });

  it('a batch durable in the log whose key line was lost (crash between the two) is found in the log', async () => {
    const body = JSON.stringify([ship(1), ship(2)]);
    const receipt = await json(await post(body, { key: 'lost-line' }));
    await stopApp();
    // The key file gone entirely: the worst case of a lost line.
    await unlink(join(dir, 'ingest', 'logistics.keys.jsonl'));
    await startApp();
    const retry = await post(body, { key: 'lost-line' });
    expect(retry.status).toBe(200);
    expect(await json(retry)).toEqual(receipt);
    expect(await readAll()).toHaveLength(2);
  });

  it('a batch of which only part landed (crash mid-append) is completed by its retry, each event once', async () => {
    const events = [ship(1), ship(2), ship(3)];
    const body = JSON.stringify(events);
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 32);
    await stopApp();
    // What a crash mid-append leaves: events 0 and 2 of the batch in the log, event 1 not.
    log = await EmbeddedLog.open(join(dir, 'log'));
    await log.createTopic(TOPIC);
    await log.append(
      TOPIC,
      [0, 2].map((i) => ({
        key: null,
        value: Buffer.from(JSON.stringify(events[i])),
        headers: {
          'freshet.source': 'logistics',
          'freshet.ingest-key': 'torn',
          'freshet.ingest-index': String(i),
          'freshet.ingest-count': '3',
          'freshet.ingest-hash': hash,
        },
      })),
    );
    await log.close();
    await startApp();
    const res = await post(body, { key: 'torn' });
    expect(res.status).toBe(200);
    expect((await json(res)).accepted).toBe(3);
    const records = await readAll();
    expect(records.map((r) => r.headers['freshet.ingest-index']).sort()).toEqual(['0', '1', '2']);
    expect(JSON.parse(records[2]!.value.toString())).toEqual(events[1]);
  });

  it('two concurrent requests with one key: one appends, the other is told to retry (409)', async () => {
    const body = JSON.stringify([ship(1)]);
    const results = await Promise.all([post(body, { key: 'race' }), post(body, { key: 'race' })]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    expect(statuses).toContain(200);
    expect(await readAll()).toHaveLength(1);
  });
});

describe('HTTP ingest: hostile input', () => {
  it('a huge NDJSON line is 413 naming the line; nothing appended', async () => {
    const huge = JSON.stringify({ shipment_id: 'x'.repeat(2 * 1024 * 1024), qty: 1 });
    const res = await post(`${JSON.stringify(ship(1))}\n${huge}\n`, {
      type: 'application/x-ndjson',
    });
    expect(res.status).toBe(413);
    const body = await json(res);
    expect(body.line).toBe(2);
    expect(body.error).toMatch(/^line 2 is \d+ bytes; one event may be at most 1048576 bytes/);
    expect(await readAll()).toHaveLength(0);
  });

  it('deeply nested JSON is refused (no stack overflow) and the server keeps serving', async () => {
    const deep = `[${'{"a":'.repeat(100) + '1' + '}'.repeat(100)}]`;
    const res = await post(deep);
    expect(res.status).toBe(422);
    expect((await json(res)).problems[0]).toMatchObject({
      index: 0,
      reason: expect.stringMatching(/nests deeper than 64/),
    });
    const deeper = '['.repeat(200_000) + ']'.repeat(200_000);
    const res2 = await post(deeper);
    expect([400, 422]).toContain(res2.status);
    const nd = await post(`${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, {
      type: 'application/x-ndjson',
    });
    expect([400, 422]).toContain(nd.status);
    expect((await post(JSON.stringify([ship(1)]))).status).toBe(200);
  });

  it('"__proto__" keys are refused naming the field, and nothing is polluted', async () => {
    const res = await post('[{"shipment_id":"A","qty":1,"__proto__":{"polluted":true}}]');
    expect(res.status).toBe(422);
    expect((await json(res)).problems).toEqual([
      { index: 0, field: '/__proto__', reason: expect.stringMatching(/prototype pollution/) },
    ]);
    const nd = await post('{"shipment_id":"A","qty":1,"nested":{"__proto__":{"x":1}}}\n', {
      type: 'application/x-ndjson',
    });
    expect(nd.status).toBe(422);
    expect((await json(nd)).problems[0]).toMatchObject({ line: 1, field: '/nested/__proto__' });
    // Spelled with an escape, it is still found.
    const escaped = await post('{"shipment_id":"A","qty":1,"\\u005f_proto__":{"x":1}}\n', {
      type: 'application/x-ndjson',
    });
    expect(escaped.status).toBe(422);
    expect((await json(escaped)).problems[0]).toMatchObject({ line: 1, field: '/__proto__' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await readAll()).toHaveLength(0);
  });

  it('invalid UTF-8 is 400 naming the line', async () => {
    const good = Buffer.from(`${JSON.stringify(ship(1))}\n`);
    const bad = Buffer.concat([
      Buffer.from('{"shipment_id":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('","qty":1}\n'),
    ]);
    const res = await post(Buffer.concat([good, bad]), { type: 'application/x-ndjson' });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ line: 2, error: 'line 2 is not valid UTF-8' });
    const array = await post(Buffer.concat([Buffer.from('['), bad, Buffer.from(']')]));
    expect(array.status).toBe(400);
    expect(await readAll()).toHaveLength(0);
  });
});
