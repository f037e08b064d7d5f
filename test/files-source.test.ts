import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  appendFile,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  truncate,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Session } from '../src/engine/index.js';
import { EmbeddedLog, type Log, type LogRecord, type StoredRecord } from '../src/log/index.js';
import { Metrics } from '../src/observe/index.js';
import { EmbeddedRegistry } from '../src/registry/index.js';
import { FileDropSource, type FileDropSourceOptions } from '../src/sources/index.js';

/**
 * The file drop source (ERP exports) against real files in a temp folder, the real embedded log
 * and registry: each drop lands once with its types and ids, across restarts and crashes; bad
 * lines go to quarantine with file and line; hostile files fail alone.
 */

const TOPIC = 'erp.orders';
const Q = 'freshet.quarantine';

let dir: string;
let drop: string;
let log: EmbeddedLog;
let registry: EmbeddedRegistry;
let metrics: Metrics;
const sources: FileDropSource[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-files-'));
  drop = join(dir, 'drop');
  await mkdir(drop, { recursive: true });
  log = await EmbeddedLog.open(join(dir, 'log'), { fsync: 'never' });
  registry = await EmbeddedRegistry.open(join(dir, 'registry'));
  metrics = new Metrics();
});
afterEach(async () => {
  for (const s of sources.splice(0)) await s.stop();
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

const ORDERS_SCHEMA = {
  type: 'object',
  properties: {
    order_id: { type: 'integer' },
    amount: { type: 'number' },
    paid: { type: 'boolean' },
    note: { type: ['string', 'null'] },
    day: { type: 'string', format: 'date' },
  },
  required: ['order_id', 'amount', 'paid', 'day'],
};

function source(opts: Partial<FileDropSourceOptions> = {}): FileDropSource {
  const s = new FileDropSource({
    name: 'erp',
    location: drop,
    topic: TOPIC,
    checkpointPath: join(dir, 'sources', 'erp.json'),
    pollIntervalMs: 20,
    log,
    registry,
    metrics,
    ...opts,
  });
  sources.push(s);
  return s;
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Runs a source until `files` files are done, then stops it. */
async function runUntilDone(s: FileDropSource, files: number): Promise<void> {
  await s.start();
  await waitFor(() => s.status().filesDone >= files);
  await s.stop();
}

async function readAll(topic: string, from: Log = log): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  const info = (await from.topics()).find((t) => t.name === topic);
  for (let p = 0; p < (info?.partitions ?? 0); p++) {
    let offset = 0;
    for (;;) {
      const batch = await from.read(topic, p, offset, { maxRecords: 10_000 });
      if (batch.length === 0) break;
      out.push(...batch);
      offset = batch[batch.length - 1]!.offset + 1;
    }
  }
  return out;
}

const json = (r: StoredRecord) => JSON.parse(r.value.toString()) as Record<string, unknown>;
const ids = (rs: StoredRecord[]) => rs.map((r) => r.headers['freshet.event-id']!);

async function version(path: string): Promise<string> {
  const st = await stat(path);
  return `${Math.floor(st.mtimeMs)}-${st.size}`;
}

describe('FileDropSource', () => {
  it('lands a CSV once with declared types, start lines and deterministic ids (BOM, CRLF, quoted newlines)', async () => {
    const csv =
      '\ufefforder_id,amount,paid,note,day\r\n' +
      '1,10.5,true,plain,2024-03-01\r\n' +
      '2,7,FALSE,"two\r\nlines, and a comma",2024-03-02\r\n' +
      '\r\n' +
      '3,0.25,true,,2024-03-03\r\n';
    const path = join(drop, 'orders.csv');
    await writeFile(path, csv);
    await runUntilDone(source({ schema: ORDERS_SCHEMA, keyField: 'order_id' }), 1);
    const got = await readAll(TOPIC);
    expect(got.map(json)).toEqual([
      { order_id: 1, amount: 10.5, paid: true, note: 'plain', day: '2024-03-01' },
      { order_id: 2, amount: 7, paid: false, note: 'two\r\nlines, and a comma', day: '2024-03-02' },
      { order_id: 3, amount: 0.25, paid: true, note: null, day: '2024-03-03' },
    ]);
    const v = await version(path);
    expect(ids(got)).toEqual([2, 3, 6].map((line) => `file:erp:orders.csv:${v}:${line}`));
    expect(got.map((r) => r.headers['freshet.line'])).toEqual(['2', '3', '6']);
    expect(got.map((r) => r.key)).toEqual(['1', '2', '3']);
    expect(got.every((r) => r.headers['freshet.source'] === 'erp')).toBe(true);
    const schemaId = (await registry.latest(`${TOPIC}-value`))!.id;
    expect(got.every((r) => r.headers['freshet.schema-id'] === String(schemaId))).toBe(true);
    expect(await readAll(Q)).toEqual([]);
  });

  it('lands NDJSON with a schema inferred from the first file and registered', async () => {
    const lines = [
      { id: 1, qty: 3, price: 9.5, sku: 'A-1', at: '2024-03-01T10:00:00Z' },
      { id: 2, qty: 4, price: 10, sku: 'B-2', at: '2024-03-01T11:00:00Z' },
    ];
    await writeFile(join(drop, 'a.ndjson'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    await runUntilDone(source(), 1);
    const schema = JSON.parse((await registry.latest(`${TOPIC}-value`))!.schema);
    expect(schema.properties).toEqual({
      id: { type: 'integer' },
      qty: { type: 'integer' },
      price: { type: 'number' },
      sku: { type: 'string' },
      at: { type: 'string', format: 'date-time' },
    });
    expect((await readAll(TOPIC)).map(json)).toEqual(lines);
    // A later drop is held to the inferred schema: a wrong type is quarantined with its field.
    await writeFile(
      join(drop, 'b.ndjson'),
      '{"id":3,"qty":"many","price":1,"sku":"C","at":"2024-03-02T00:00:00Z"}\n{"id":4,"qty":1,"price":1,"sku":"D","at":"2024-03-02T00:00:00Z"}\n',
    );
    await runUntilDone(source(), 2);
    expect((await readAll(TOPIC)).map((r) => json(r).id)).toEqual([1, 2, 4]);
    const q = await readAll(Q);
    expect(q).toHaveLength(1);
    expect(q[0]!.headers).toMatchObject({
      'freshet.file': 'b.ndjson',
      'freshet.line': '1',
      'freshet.field': 'qty',
    });
  });

  it('infers CSV column types (integers, numbers, booleans, dates, timestamps, nullable) and honours csv options', async () => {
    await writeFile(
      join(drop, 'stock.csv'),
      'sku;qty;price;active;day;at;comment\n' +
        'A;1;2.5;true;2024-03-01;2024-03-01T10:00:00Z;\n' +
        'B;-3;4;false;2024-03-02;2024-03-02 11:30:00+05:30;late\n',
    );
    await runUntilDone(source({ csv: { delimiter: ';' } }), 1);
    const schema = JSON.parse((await registry.latest(`${TOPIC}-value`))!.schema);
    expect(schema.properties).toEqual({
      sku: { type: 'string' },
      qty: { type: 'integer' },
      price: { type: 'number' },
      active: { type: 'boolean' },
      day: { type: 'string', format: 'date' },
      at: { type: 'string', format: 'date-time' },
      comment: { type: ['string', 'null'] },
    });
    expect((await readAll(TOPIC)).map(json)).toEqual([
      {
        sku: 'A',
        qty: 1,
        price: 2.5,
        active: true,
        day: '2024-03-01',
        at: '2024-03-01T10:00:00Z',
        comment: null,
      },
      {
        sku: 'B',
        qty: -3,
        price: 4,
        active: false,
        day: '2024-03-02',
        at: '2024-03-02 11:30:00+05:30',
        comment: 'late',
      },
    ]);
  });

  it('reads a headerless CSV with declared column names', async () => {
    await writeFile(join(drop, 'plain.csv'), '1,3.5,true,,2024-01-01\n');
    await runUntilDone(
      source({
        schema: ORDERS_SCHEMA,
        csv: { header: false, columns: ['order_id', 'amount', 'paid', 'note', 'day'] },
      }),
      1,
    );
    expect((await readAll(TOPIC)).map((r) => [json(r), r.headers['freshet.line']])).toEqual([
      [{ order_id: 1, amount: 3.5, paid: true, note: null, day: '2024-01-01' }, '1'],
    ]);
  });

  it('lands a Parquet file (zstd, several row groups) written by DuckDB with its types, one event per row', async () => {
    const path = join(drop, 'stock.parquet');
    const session = await Session.open();
    try {
      await session.connection.run(
        `COPY (SELECT i::INTEGER AS store_id, (i * 1.5)::DOUBLE AS qty, 'sku-' || i AS sku,
                      DATE '2024-03-01' + i::INTEGER AS day, TIMESTAMP '2024-03-01 10:00:00' AS at,
                      (i::BIGINT * 1000000000) AS big, i % 2 = 0 AS even
               FROM range(1, 12001) t(i)) TO '${path}' (FORMAT PARQUET, ROW_GROUP_SIZE 5000, COMPRESSION ZSTD)`,
      );
    } finally {
      session.close();
    }
    await runUntilDone(source({ batchSize: 2500 }), 1);
    const got = await readAll(TOPIC);
    expect(got).toHaveLength(12_000);
    expect(json(got[0]!)).toEqual({
      store_id: 1,
      qty: 1.5,
      sku: 'sku-1',
      day: '2024-03-02',
      at: '2024-03-01T10:00:00.000Z',
      big: 1_000_000_000,
      even: false,
    });
    const v = await version(path);
    expect(got[11_999]!.headers['freshet.event-id']).toBe(`file:erp:stock.parquet:${v}:12000`);
    expect(new Set(ids(got)).size).toBe(12_000);
    const schema = JSON.parse((await registry.latest(`${TOPIC}-value`))!.schema);
    expect(schema.properties.day).toEqual({ type: 'string', format: 'date' });
    expect(schema.properties.store_id).toEqual({ type: 'integer' });
  });

  it('processes nothing twice across restarts, and takes only new drops', async () => {
    await writeFile(join(drop, '1.ndjson'), '{"n":1}\n{"n":2}\n');
    await runUntilDone(source(), 1);
    const second = source();
    await second.start();
    await new Promise((r) => setTimeout(r, 200)); // several polls over a done file
    expect(second.status().eventsAccepted).toBe(0);
    await writeFile(join(drop, '2.ndjson'), '{"n":3}\n');
    await waitFor(() => second.status().filesDone >= 2);
    await second.stop();
    const got = await readAll(TOPIC);
    expect(got.map((r) => json(r).n)).toEqual([1, 2, 3]);
    expect(new Set(ids(got)).size).toBe(3);
  });

  it('resumes a file after a crash between an append and the position save, with nothing lost or doubled', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ n: i + 1 }));
    await writeFile(join(drop, 'big.ndjson'), rows.join('\n') + '\n');
    // The process "dies" right after its 3rd append became durable: the append resolves in the
    // log, the source never hears of it (so never saves the position), and nothing after works.
    let appends = 0;
    let dead = false;
    const crashing: Log = Object.create(log) as Log;
    crashing.append = async (topic: string, records: LogRecord[]) => {
      if (dead) throw new Error('process is dead');
      const result = await log.append(topic, records);
      if (++appends === 3) {
        dead = true;
        throw new Error('killed after the append');
      }
      return result;
    };
    const first = source({ log: crashing, batchSize: 100 });
    await first.start();
    await waitFor(() => dead);
    await first.stop();
    const before = await readAll(TOPIC);
    expect(before).toHaveLength(300); // the 3rd batch is in the log, past the saved position
    const saved = JSON.parse(await readFile(join(dir, 'sources', 'erp.json'), 'utf8'));
    expect(saved.current.nextLine).toBe(201);

    // A new drop that sorts first must not make the source forget where it was in big.ndjson.
    await writeFile(join(drop, 'a-early.ndjson'), '{"n":0}\n');
    const progress: string[] = [];
    await runUntilDone(source({ batchSize: 100, onProgress: (m) => progress.push(m) }), 2);
    const got = await readAll(TOPIC);
    expect(got.map((r) => json(r).n).sort((a, b) => Number(a) - Number(b))).toEqual([
      0,
      ...rows.map((_, i) => i + 1),
    ]);
    expect(new Set(ids(got)).size).toBe(1001);
    expect(progress.join('\n')).toMatch(/100 records already in the log/);
    expect(progress.join('\n')).toMatch(/resuming big\.ndjson at line 201/);
  });

  it('recovers within one run when an append fails after landing (no restart)', async () => {
    const rows = Array.from({ length: 500 }, (_, i) => JSON.stringify({ n: i + 1 }));
    await writeFile(join(drop, 'f.ndjson'), rows.join('\n') + '\n');
    let appends = 0;
    const flaky: Log = Object.create(log) as Log;
    flaky.append = async (topic: string, records: LogRecord[]) => {
      const result = await log.append(topic, records);
      if (++appends === 2) throw new Error('acknowledgement lost');
      return result;
    };
    const s = source({ log: flaky, batchSize: 100, backoffInitialMs: 10 });
    await runUntilDone(s, 1);
    expect(s.status().lastError).toBe('acknowledgement lost');
    const got = await readAll(TOPIC);
    expect(got.map((r) => json(r).n)).toEqual(rows.map((_, i) => i + 1));
  });

  it('does not take a file that is still growing until its size and time stop changing', async () => {
    const path = join(drop, 'growing.ndjson');
    await writeFile(path, '{"n":0}\n');
    const s = source({ pollIntervalMs: 150 }); // a writer pausing longer than this would be taken early
    await s.start();
    for (let i = 1; i <= 30; i++) {
      await appendFile(path, `{"n":${i}}\n`);
      await new Promise((r) => setTimeout(r, 10));
      expect(s.status().filesDone).toBe(0);
      expect(s.status().eventsAccepted).toBe(0);
    }
    await waitFor(() => s.status().filesDone >= 1);
    await s.stop();
    expect((await readAll(TOPIC)).map((r) => json(r).n)).toEqual(
      Array.from({ length: 31 }, (_, i) => i),
    );
  });

  it('quarantines bad lines with file, line, field and reason while the good ones flow', async () => {
    const csv = [
      'order_id,amount,paid,note,day',
      '1,10,true,ok,2024-03-01', // 2 good
      'x,10,true,bad id,2024-03-01', // 3 wrong type
      '3,10,true,no day,', // 4 missing required field
      '4,10,true,too,many,fields', // 5 column count
      `5,10,true,${'y'.repeat(5000)},2024-03-01`, // 6 over maxRecordBytes
      '6,1e2,false,,2024-03-06', // 7 good
    ].join('\n');
    await writeFile(join(drop, 'orders.csv'), csv);
    const s = source({ schema: ORDERS_SCHEMA, maxRecordBytes: 2048 });
    await runUntilDone(s, 1);
    expect((await readAll(TOPIC)).map((r) => json(r).order_id)).toEqual([1, 6]);
    const q = await readAll(Q);
    expect(q.map((r) => [r.headers['freshet.line'], r.headers['freshet.field']])).toEqual([
      ['3', 'order_id'],
      ['4', 'day'],
      ['5', undefined],
      ['6', undefined],
    ]);
    expect(q.every((r) => r.headers['freshet.file'] === 'orders.csv')).toBe(true);
    expect(q.every((r) => r.headers['freshet.topic'] === TOPIC)).toBe(true);
    expect(q[0]!.headers['freshet.error']).toMatch(/^orders\.csv line 3: order_id: .*integer/);
    expect(q[1]!.headers['freshet.reason']).toMatch(/day: is required/);
    expect(q[2]!.headers['freshet.reason']).toBe('6 fields where the header has 5');
    expect(q[3]!.headers['freshet.reason']).toMatch(/over the limit of 2048/);
    expect(s.status()).toMatchObject({ eventsAccepted: 2, eventsRejected: 4, filesDone: 1 });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/freshet_events_rejected_total\{topic="erp.orders"\} 4/);
    expect(text).toMatch(/freshet_events_accepted_total\{topic="erp.orders"\} 2/);
  });

  it('survives hostile files with clear errors and goes on with the next ones', async () => {
    // Binary garbage.
    const garbage = randomBytes(100_000);
    garbage[10] = 0;
    await writeFile(join(drop, 'a-garbage.csv'), garbage);
    // A 50 MB single line, then a good one.
    await writeFile(
      join(drop, 'b-huge.ndjson'),
      `{"n":"${'z'.repeat(50 * 1024 * 1024)}"}\n{"n":"after"}\n`,
    );
    // Invalid UTF-8 on line 2.
    await writeFile(
      join(drop, 'c-utf8.ndjson'),
      Buffer.concat([
        Buffer.from('{"n":"ok"}\n{"n":"'),
        Buffer.from([0xff, 0xfe, 0xc3]),
        Buffer.from('"}\n{"n":"fine"}\n'),
      ]),
    );
    // An unterminated quote on line 3.
    await writeFile(join(drop, 'd-quote.csv'), 'n,m\nok,1\n"never closed,2\nlost,3\n');
    // A truncated Parquet file.
    const pq = join(drop, 'e-truncated.parquet');
    const session = await Session.open();
    try {
      await session.connection.run(
        `COPY (SELECT range AS n FROM range(1000)) TO '${pq}' (FORMAT PARQUET)`,
      );
    } finally {
      session.close();
    }
    await truncate(pq, (await stat(pq)).size - 100);
    await writeFile(join(drop, 'z-good.ndjson'), '{"n":"last"}\n');

    const errors: string[] = [];
    const s = source({ onError: (e) => errors.push((e as Error).message) });
    await runUntilDone(s, 6);
    expect((await readAll(TOPIC)).map((r) => [r.headers['freshet.file'], json(r).n])).toEqual([
      ['b-huge.ndjson', 'after'],
      ['c-utf8.ndjson', 'ok'],
      ['c-utf8.ndjson', 'fine'],
      ['d-quote.csv', 'ok'],
      ['z-good.ndjson', 'last'],
    ]);
    const q = await readAll(Q);
    const why = q.map(
      (r) =>
        `${r.headers['freshet.file']}:${r.headers['freshet.line']}: ${r.headers['freshet.reason']}`,
    );
    expect(why[0]).toMatch(/^a-garbage\.csv:1: binary content/);
    expect(why[1]).toMatch(/^b-huge\.ndjson:1: line of 52428809 bytes is over the limit/);
    expect(why[2]).toMatch(/^c-utf8\.ndjson:2: not valid UTF-8/);
    expect(why[3]).toMatch(/^d-quote\.csv:3: a quoted field opened on line 3 is never closed/);
    expect(why[4]).toMatch(/^e-truncated\.parquet:1: not a readable Parquet file/);
    expect(q).toHaveLength(5);
    expect(q[1]!.value.length).toBeLessThanOrEqual(4096); // not the 50 MB line
    expect(s.status().filesFailed).toBe(3);
    expect(errors.join('\n')).toMatch(/e-truncated\.parquet/);
  }, 120_000);

  it('takes a file again when it is rewritten with new content under the same name', async () => {
    const path = join(drop, 'daily.ndjson');
    await writeFile(path, '{"n":1}\n');
    await utimes(path, new Date('2024-03-01T00:00:00Z'), new Date('2024-03-01T00:00:00Z'));
    await runUntilDone(source(), 1);
    await writeFile(path, '{"n":2}\n');
    await utimes(path, new Date('2024-03-02T00:00:00Z'), new Date('2024-03-02T00:00:00Z'));
    const s = source();
    await s.start();
    await waitFor(() => s.status().eventsAccepted >= 1);
    await s.stop();
    const got = await readAll(TOPIC);
    expect(got.map((r) => json(r).n)).toEqual([1, 2]);
    expect(ids(got)).toEqual([
      `file:erp:daily.ndjson:${Date.parse('2024-03-01T00:00:00Z')}-8:1`,
      `file:erp:daily.ndjson:${Date.parse('2024-03-02T00:00:00Z')}-8:1`,
    ]);
  });

  it('moves done files under done/ with archive: move, and waits for a .done marker when asked', async () => {
    await writeFile(join(drop, 'x.csv'), 'a\n1\n');
    const s = source({ archive: 'move', readyMarker: '.done', pattern: '*.csv' });
    await s.start();
    await new Promise((r) => setTimeout(r, 150));
    expect(s.status().filesDone).toBe(0); // no marker yet
    await writeFile(join(drop, 'x.csv.done'), '');
    await waitFor(() => s.status().eventsAccepted >= 1);
    await waitFor(() => existsSync(join(drop, 'done', 'x.csv')));
    await new Promise((r) => setTimeout(r, 100));
    await s.stop();
    expect(existsSync(join(drop, 'x.csv'))).toBe(false);
    expect((await readAll(TOPIC)).map(json)).toEqual([{ a: 1 }]);
  });
});
