// The pull connector against a small real HTTP server that pages a feed with a cursor: every
// record lands exactly once, a restart resumes from the saved cursor, server errors are retried,
// and a crash between the append and the cursor save sends nothing twice.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedLog, type StoredRecord } from '../src/log/index.js';
import { Metrics } from '../src/observe/index.js';
import { EmbeddedRegistry } from '../src/registry/index.js';
import { HttpPullSource, type HttpPullSourceOptions } from '../src/sources/http/index.js';
import { QUARANTINE_TOPIC } from '../src/sources/index.js';

const TOPIC = 'logistics.deliveries';
const PAGE = 10;

/** The feed: records by position; a cursor is "p<offset>". */
let feed: Array<Record<string, unknown>>;
let requests: string[];
/** Status codes to answer with before serving normally (a flaky upstream). */
let failNext: number[];
let server: Server;
let url: string;
let dir: string;
let log: EmbeddedLog;
let registry: EmbeddedRegistry;

const delivery = (i: number) => ({ delivery_id: `D${i}`, store_id: `S${i % 4}`, qty: i + 1 });

beforeEach(async () => {
  feed = Array.from({ length: 25 }, (_, i) => delivery(i));
  requests = [];
  failNext = [];
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    requests.push(u.searchParams.get('after') ?? '(none)');
    if (req.headers.authorization !== 'Bearer upstream-secret') {
      res.writeHead(401).end('{"error":"token"}');
      return;
    }
    const fail = failNext.shift();
    if (fail) {
      res.writeHead(fail, { 'Content-Type': 'application/json' }).end('{"error":"upstream down"}');
      return;
    }
    const from = Number((u.searchParams.get('after') ?? 'p0').slice(1));
    const items = feed.slice(from, from + PAGE);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ data: { items }, meta: { next: `p${from + items.length}` } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/deliveries`;
  dir = await mkdtemp(join(tmpdir(), 'freshet-http-pull-'));
  log = await EmbeddedLog.open(join(dir, 'log'));
  registry = await EmbeddedRegistry.open(join(dir, 'registry'));
  await registry.register(`${TOPIC}-value`, {
    schemaType: 'JSON',
    schema: JSON.stringify({
      type: 'object',
      required: ['delivery_id', 'qty'],
      properties: { delivery_id: { type: 'string' }, qty: { type: 'integer', minimum: 1 } },
    }),
  });
});

afterEach(async () => {
  await log.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

function source(extra: Partial<HttpPullSourceOptions> = {}): HttpPullSource {
  return new HttpPullSource({
    name: 'logistics-pull',
    log,
    registry,
    metrics: new Metrics(),
    url,
    topic: TOPIC,
    checkpointPath: join(dir, 'sources', 'logistics-pull.json'),
    cursorParam: 'after',
    recordsPath: 'data.items',
    nextCursorPath: 'meta.next',
    headers: { Authorization: 'Bearer upstream-secret' },
    pollIntervalMs: 20,
    backoffInitialMs: 10,
    backoffMaxMs: 50,
    ...extra,
  });
}

async function readAll(topic = TOPIC): Promise<StoredRecord[]> {
  const info = (await log.topics()).find((t) => t.name === topic);
  const out: StoredRecord[] = [];
  for (let p = 0; p < (info?.partitions ?? 0); p++) out.push(...(await log.read(topic, p, 0)));
  return out;
}

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ids = (records: StoredRecord[]) =>
  records.map((r) => (JSON.parse(r.value.toString()) as { delivery_id: string }).delivery_id);

describe('HttpPullSource', () => {
  it('reads every page once, with deterministic ids, and picks up records added at the tail', async () => {
    const src = source();
    await src.start();
    await until(async () => (await readAll()).length === 25);
    // Caught up: polling the tail page again appends nothing more.
    await new Promise((r) => setTimeout(r, 150));
    expect(ids(await readAll())).toEqual(feed.map((d) => d.delivery_id));
    feed.push(delivery(25), delivery(26));
    await until(async () => (await readAll()).length === 27);
    await new Promise((r) => setTimeout(r, 150));
    await src.stop();
    const records = await readAll();
    expect(ids(records)).toEqual(feed.map((d) => d.delivery_id));
    expect(new Set(records.map((r) => r.headers['freshet.event-id'])).size).toBe(27);
    expect(records[0]!.headers['freshet.source']).toBe('logistics-pull');
    expect(records[0]!.headers['freshet.schema-id']).toBeDefined();
    expect(src.status()).toMatchObject({ state: 'stopped', eventsAccepted: 27, lastError: null });
    expect(requests.slice(0, 3)).toEqual(['(none)', 'p10', 'p20']);
  });

  it('a restart resumes from the saved cursor', async () => {
    const first = source();
    await first.start();
    await until(async () => (await readAll()).length === 25);
    await first.stop();
    const saved = JSON.parse(await readFile(join(dir, 'sources', 'logistics-pull.json'), 'utf8'));
    expect(saved.cursor).toBe('p25');
    requests = [];
    feed.push(delivery(25));
    const second = source();
    await second.start();
    await until(async () => (await readAll()).length === 26);
    await second.stop();
    expect(requests[0]).toBe('p25');
    expect(ids(await readAll())).toEqual(feed.map((d) => d.delivery_id));
    expect(second.status().position).toBe(26);
  });

  it('server errors are retried with backoff, reported as lastError, and lose nothing', async () => {
    failNext = [500, 503, 502];
    const errors: unknown[] = [];
    const src = source({ onError: (e) => errors.push(e) });
    await src.start();
    await until(() => errors.length >= 1);
    expect(src.status().lastError).toMatch(/answered 50\d/);
    await until(async () => (await readAll()).length === 25);
    await src.stop();
    expect(errors).toHaveLength(3);
    expect(ids(await readAll())).toEqual(feed.map((d) => d.delivery_id));
    expect(src.status().lastError).toBeNull();
  });

  it('a crash after the append but before the cursor save sends nothing twice', async () => {
    const src = source();
    await src.start();
    await until(async () => (await readAll()).length === 25);
    await src.stop();
    // What a crash leaves: the events of pages p10 and p20 in the log, the cursor still at p10.
    const path = join(dir, 'sources', 'logistics-pull.json');
    const cp = JSON.parse(await readFile(path, 'utf8'));
    await writeFile(
      path,
      JSON.stringify({ ...cp, cursor: 'p10', consumed: 0, total: 10, logEnds: { [TOPIC]: [10] } }),
    );
    requests = [];
    const again = source();
    await again.start();
    await until(() => requests.includes('p25'));
    await new Promise((r) => setTimeout(r, 100));
    await again.stop();
    expect(requests[0]).toBe('p10');
    expect(ids(await readAll())).toEqual(feed.map((d) => d.delivery_id));
  });

  it('records that fail the schema go to quarantine with the reason, the rest to the topic', async () => {
    feed[3] = { delivery_id: 'D3', qty: 0 };
    const src = source();
    await src.start();
    await until(async () => (await readAll()).length === 24);
    await src.stop();
    const quarantined = await readAll(QUARANTINE_TOPIC);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]!.headers['freshet.error']).toBe('/qty: must be >= 1');
    expect(quarantined[0]!.headers['freshet.topic']).toBe(TOPIC);
    expect(src.status()).toMatchObject({ eventsAccepted: 24, eventsRejected: 1 });
  });
});
