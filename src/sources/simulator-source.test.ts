import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedLog, type Log } from '../log/index.js';
import { Metrics } from '../observe/index.js';
import { EmbeddedRegistry, type SchemaRegistry } from '../registry/index.js';
import { istMidnight, parseEventTs } from '../retail/index.js';
import { NO_FAULTS } from './feed-faults.js';
import { SimulatorSource, type SimulatorSourceOptions } from './simulator-source.js';

let dir: string;
let log: EmbeddedLog;
let registry: EmbeddedRegistry;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-simsource-'));
  log = await EmbeddedLog.open(join(dir, 'log'), { fsync: 'never' });
  registry = await EmbeddedRegistry.open(join(dir, 'registry'));
});
afterEach(async () => {
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

const checkpointPath = () => join(dir, 'sources', 'simulator.json');

type SourceOverrides = { log?: Log; registry?: SchemaRegistry } & Partial<SimulatorSourceOptions>;

/** A source on this test's stream (20 stores, 100 SKUs, as fast as it goes). */
function newSource(over: SourceOverrides = {}): SimulatorSource {
  return new SimulatorSource({
    log,
    registry,
    metrics: new Metrics(),
    checkpointPath: checkpointPath(),
    seed: 9,
    stores: 20,
    skus: 100,
    rate: 1_000_000,
    partitions: 2,
    tickMs: 1,
    ...over,
  });
}

/** Runs a source on this test's stream until it has sent `maxEvents`, then stops it. */
async function runSource(
  maxEvents: number | undefined,
  over: SourceOverrides = {},
): Promise<SimulatorSource> {
  const source = newSource({ ...over, ...(maxEvents === undefined ? {} : { maxEvents }) });
  await source.start();
  while (source.status().state === 'running') await new Promise((r) => setTimeout(r, 10));
  await source.stop();
  return source;
}

async function runUntil(maxEvents: number): Promise<void> {
  expect((await runSource(maxEvents)).status().lastError).toBeNull();
}

/** Every record's event time and store in the log (operational topics and master data). */
async function eventsInLog(): Promise<{ seq: number; ms: number; store: unknown }[]> {
  const out: { seq: number; ms: number; store: unknown }[] = [];
  for (const t of await log.topics()) {
    for (let p = 0; p < t.partitions; p++) {
      let offset = 0;
      for (;;) {
        const batch = await log.read(t.name, p, offset, { maxRecords: 5000 });
        if (batch.length === 0) break;
        for (const r of batch) {
          const v = JSON.parse(r.value.toString()) as Record<string, unknown>;
          const ms = parseEventTs(String(v.event_ts)) ?? NaN;
          out.push({ seq: Number(r.headers['freshet.seq']), ms, store: v.store_id });
        }
        offset = batch[batch.length - 1]!.offset + 1;
      }
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** Every sequence number in the log, however many times it appears. */
async function seqsInLog(): Promise<number[]> {
  const seqs: number[] = [];
  for (const t of await log.topics()) {
    for (let p = 0; p < t.partitions; p++) {
      let offset = 0;
      for (;;) {
        const batch = await log.read(t.name, p, offset, { maxRecords: 5000 });
        if (batch.length === 0) break;
        for (const r of batch) seqs.push(Number(r.headers['freshet.seq']));
        offset = batch[batch.length - 1]!.offset + 1;
      }
    }
  }
  return seqs.sort((a, b) => a - b);
}

describe('SimulatorSource', () => {
  it('continues the stream where it stopped, each event in the log once', async () => {
    await runUntil(3000);
    await runUntil(6000);
    expect(await seqsInLog()).toEqual(Array.from({ length: 6000 }, (_, i) => i));
  });

  it('sends nothing twice when its saved position is lost or damaged', async () => {
    await runUntil(3000);
    await rm(checkpointPath());
    await runUntil(4000);
    await writeFile(checkpointPath(), '{"nextSeq": 12'); // torn by a machine crash
    await runUntil(5000);
    expect(await seqsInLog()).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('sends nothing twice when it stops again while still skipping what a crash left in the log', async () => {
    await runUntil(3000);
    const beforeCrash = await readFile(checkpointPath(), 'utf8');
    await runUntil(6000);
    // A crash after 3,000..5,999 were appended but before their position was saved.
    await writeFile(checkpointPath(), beforeCrash);
    // The next run stops (or is killed) while 4,000..5,999 are still to be skipped: the position
    // it saves must still let the run after it find them.
    await runUntil(4000);
    await runUntil(7000);
    expect(await seqsInLog()).toEqual(Array.from({ length: 7000 }, (_, i) => i));
  });

  it('refuses to continue a stream with other simulator settings', async () => {
    await runUntil(100);
    const other = newSource({ seed: 10 });
    await expect(other.start()).rejects.toThrow(
      /--seed 9 --stores 20 --skus 100; run with those values/,
    );
  });

  it('retries an append that failed after some partitions took their records, without doubling them', async () => {
    // The log fails like a full disk: the first append of each of three ticks writes half the
    // records (as partitions that still had room would) and then throws.
    let failures = 3;
    const flaky: Log = {
      createTopic: (t, o) => log.createTopic(t, o),
      topics: () => log.topics(),
      read: (t, p, o, r) => log.read(t, p, o, r),
      startOffset: (t, p) => log.startOffset(t, p),
      endOffset: (t, p) => log.endOffset(t, p),
      close: async () => undefined,
      append: async (t, records) => {
        if (t === 'pos.transactions' && failures > 0 && records.length > 1) {
          failures--;
          await log.append(t, records.slice(0, Math.floor(records.length / 2)));
          throw new Error('ENOSPC: no space left on device, write');
        }
        return log.append(t, records);
      },
    };
    const source = await runSource(3000, { log: flaky });
    expect(failures).toBe(0);
    expect(source.status().lastError).toMatch(/ENOSPC/);
    const seqs = await seqsInLog();
    expect(seqs).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(source.status().eventsAccepted).toBe(
      seqs.length - (await log.endOffset('freshet.quarantine', 0)),
    );
  });

  it('pauses while validation cannot run (a registry that is down) and loses no event', async () => {
    // Validation throws for a stretch of calls now and then, as a registry that does not answer.
    let calls = 0;
    const validate: SchemaRegistry['validate'] = async (subject, value) => {
      calls++;
      if (calls % 700 < 40) throw new Error('schema registry at http://registry did not answer');
      return registry.validate(subject, value);
    };
    const down = new Proxy(registry, {
      get: (target, prop, receiver) => {
        if (prop === 'validate') return validate;
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const source = await runSource(5000, { registry: down });
    expect(source.status().lastError).toMatch(/did not answer/);
    expect(source.status().eventsRejected).toBe(0);
    expect(await seqsInLog()).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(await log.endOffset('freshet.quarantine', 0)).toBe(0);
  });
});

describe('SimulatorSource replay and silent stores', () => {
  const TEN = istMidnight('2026-03-10') + 10 * 3_600_000; // 10:00 IST on a plain Tuesday
  const MASTER = 20 + 100;

  it('replays a window of the calendar and finishes at its end', async () => {
    const source = await runSource(undefined, {
      replay: { start: TEN, end: TEN + 1_800_000, speed: 'max' },
    });
    expect(source.status().state).toBe('finished');
    const events = await eventsInLog();
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events.slice(0, MASTER).every((e) => e.ms === TEN)).toBe(true);
    const ops = events.slice(MASTER);
    expect(ops.length).toBeGreaterThan(100);
    expect(ops.every((e) => e.ms >= TEN && e.ms < TEN + 1_800_000)).toBe(true);
    // The last event is the last one before the end: the simulated half hour is all there.
    expect(ops[ops.length - 1]!.ms).toBeGreaterThan(TEN + 1_700_000);
  });

  it('paces a replay by its speed: an hour a second sends about one hour per second', async () => {
    const source = newSource({
      tickMs: 5,
      replay: { start: TEN, end: TEN + 86_400_000, speed: 3600 },
    });
    const started = performance.now();
    await source.start();
    await new Promise((r) => setTimeout(r, 1500));
    await source.stop();
    const wall = (performance.now() - started) / 1000;
    const last = Math.max(...(await eventsInLog()).map((e) => e.ms));
    expect(last).toBeGreaterThan(TEN + 0.5 * 3_600_000);
    expect(last).toBeLessThanOrEqual(TEN + wall * 3_600_000);
    // The replay's start is part of the stream's identity.
    await expect(runSource(undefined, { replay: undefined })).rejects.toThrow(
      /holds a replay from 2026-03-10T10:00:00.000\+05:30, not a live stream/,
    );
  });

  it('cuts the silent stores off after silentAfter events, and only them', async () => {
    const source = await runSource(6000, {
      faults: {
        ...NO_FAULTS,
        silentStores: 2,
        silentAfter: 1000,
      },
    });
    const silent = source.silentStores;
    expect(silent).toHaveLength(2);
    const events = await eventsInLog();
    const before = events.filter((e) => e.seq >= MASTER && e.seq < MASTER + 1000);
    const after = events.filter((e) => e.seq >= MASTER + 1000);
    expect(before.some((e) => silent.includes(e.store as string))).toBe(true);
    expect(after.some((e) => silent.includes(e.store as string))).toBe(false);
    // Every other store goes on; the stream has gaps exactly where the silent stores were.
    expect(new Set(after.map((e) => e.store)).size).toBeGreaterThanOrEqual(20 - 2);
    expect(events.length).toBeLessThan(6000);
  });
});
