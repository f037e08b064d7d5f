// Bronze on its own thread, from the compiled build (a worker thread runs dist's JavaScript).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as Engine from '../src/engine/index.js';
import type * as Lake from '../src/lake/index.js';
import type * as LogModule from '../src/log/index.js';
import type * as Observe from '../src/observe/index.js';
import type * as Pipeline from '../src/pipeline/index.js';

// The worker thread runs dist's JavaScript, so the test drives dist too (typed from the source).
const dist = (part: string): Promise<unknown> =>
  import(new URL(`../dist/${part}/index.js`, import.meta.url).href);
const { attachLake, Session } = (await dist('engine')) as typeof Engine;
const { LocalObjectStore } = (await dist('lake')) as typeof Lake;
const { EmbeddedLog } = (await dist('log')) as typeof LogModule;
const { Metrics } = (await dist('observe')) as typeof Observe;
const { BronzeThread, ThreadedBronzeWriter, bronzeThreadAvailable } = (await dist(
  'pipeline',
)) as typeof Pipeline;
type EmbeddedLog = LogModule.EmbeddedLog;
type BronzeThread = Pipeline.BronzeThread;
type ThreadedBronzeWriter = Pipeline.ThreadedBronzeWriter;

const TOPIC = 'pos.transactions';
let dir: string;
let log: EmbeddedLog;
let thread: BronzeThread;

const records = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    key: `S${(from + i) % 97}`,
    value: Buffer.from(JSON.stringify({ event_id: `e-${from + i}`, n: from + i })),
    headers: { 'freshet.event-id': `e-${from + i}` },
  }));

async function openWriter(): Promise<ThreadedBronzeWriter> {
  thread = new BronzeThread({
    lake: join(dir, 'lake'),
    tmpDir: join(dir, 'tmp'),
    topics: [{ topic: TOPIC, partitions: 4 }],
    duckdbThreads: 1,
  });
  const [writer] = await ThreadedBronzeWriter.openAll({
    thread,
    log,
    store: new LocalObjectStore(join(dir, 'lake')),
    topics: [{ topic: TOPIC, partitions: 4 }],
    metrics: new Metrics(),
    maxBatch: 700,
  });
  return writer!;
}

async function bronzeCounts(): Promise<{ n: number; ids: number }> {
  const session = await Session.open({ threads: 1 });
  try {
    await attachLake(session.connection, new LocalObjectStore(join(dir, 'lake')));
    const [row] = await session.connection.rows(
      'SELECT count(*)::INTEGER AS n, count(DISTINCT event_id)::INTEGER AS ids FROM bronze.pos_transactions',
    );
    return row as { n: number; ids: number };
  } finally {
    session.close();
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-bronze-thread-'));
  log = await EmbeddedLog.open(join(dir, 'log'));
  await log.createTopic(TOPIC, { partitions: 4 });
});
afterEach(async () => {
  await thread?.close();
  await log.close();
  await rm(dir, { recursive: true, force: true });
});

describe('bronze on its own thread', () => {
  it('is available from the build', () => {
    expect(bronzeThreadAvailable()).toBe(true);
  });

  it('commits every record once, with the positions in the Delta txns', async () => {
    await log.append(TOPIC, records(0, 5000));
    const writer = await openWriter();
    let written = 0;
    while (!(await writer.caughtUp())) written += await writer.writeOnce();
    expect(written).toBe(5000);
    expect(writer.state.rows).toBe(5000);
    const snapshot = await writer.delta.snapshot();
    expect(snapshot.version).toBe(writer.state.version);
    for (let p = 0; p < 4; p++) {
      expect(snapshot.txnVersion(`freshet-bronze:${TOPIC}:${p}`)).toBe(
        (await log.endOffset(TOPIC, p)) - 1,
      );
    }
    expect(await bronzeCounts()).toEqual({ n: 5000, ids: 5000 });

    // A new thread and writer (as after a restart) resume from the lake.
    await thread.close();
    await log.append(TOPIC, records(5000, 300));
    const again = await openWriter();
    expect(again.state.rows).toBe(5000);
    while (!(await again.caughtUp())) await again.writeOnce();
    expect(await bronzeCounts()).toEqual({ n: 5300, ids: 5300 });
  });

  it('survives the thread dying in the middle of commits: nothing lost, nothing twice', async () => {
    const writer = await openWriter();
    let kills = 0;
    for (let round = 0; round < 6; round++) {
      await log.append(TOPIC, records(round * 2000, 2000));
      // Kill the worker while a commit is in flight, at a different moment each round.
      const write = writer.writeOnce();
      await new Promise((r) => setTimeout(r, round * 7));
      const worker = (thread as unknown as { worker: { terminate(): Promise<number> } | null })
        .worker;
      if (worker) {
        await worker.terminate();
        kills++;
      }
      await write.catch((err: Error) => expect(err.message).toMatch(/bronze thread/));
    }
    expect(kills).toBeGreaterThan(3);
    expect(thread.restarts).toBeGreaterThan(3);
    while (!(await writer.caughtUp())) await writer.writeOnce();
    expect(await bronzeCounts()).toEqual({ n: 12_000, ids: 12_000 });
    expect(writer.state.rows).toBe(12_000);
  });

  it('reports a thread that cannot start, naming the cause', async () => {
    thread = new BronzeThread({
      lake: 'ftp://nowhere/lake',
      tmpDir: join(dir, 'tmp'),
      topics: [{ topic: TOPIC, partitions: 4 }],
    });
    await expect(thread.ensure()).rejects.toThrow(/could not start: Unsupported lake location/);
  });
});
