// A Kafka source process killed with SIGKILL mid-stream (at a moment nobody chose: between
// appends, inside one, between an append and its checkpoint), restarted on the same log and
// checkpoint: every record of the external topic ends in Freshet's log exactly once, by id.
// Runs the built source (npm run build) in a child process against the broker of
// `scripts/services start`; skips loudly outside CI when none answers, fails in CI.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedLog, type StoredRecord } from '../src/log/index.js';
import { KafkaTopicSource } from '../src/sources/kafka/index.js';

const PORT = Number(process.env.FRESHET_TEST_KAFKA_PORT ?? 9092);
const BROKER = `127.0.0.1:${PORT}`;
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

const up = await new Promise<boolean>((resolve) => {
  const s = net.connect({ host: '127.0.0.1', port: PORT });
  s.setTimeout(1000);
  s.once('connect', () => (s.destroy(), resolve(true)));
  s.once('timeout', () => (s.destroy(), resolve(false)));
  s.once('error', () => resolve(false));
});
if (!up && !process.env.CI) {
  console.warn(
    `\n*** SKIPPING the Kafka source crash test: no Kafka broker at ${BROKER} (scripts/services start) ***\n`,
  );
}

const N = 30_000;
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

/** The source as its own process: prints its accepted count as it goes. */
function child(logDir: string, topic: string, checkpointPath: string): ChildProcess {
  const code = `
    const { EmbeddedLog } = await import(${JSON.stringify(join(DIST, 'log/index.js'))});
    const { KafkaTopicSource } = await import(${JSON.stringify(join(DIST, 'sources/kafka/index.js'))});
    const log = await EmbeddedLog.open(${JSON.stringify(logDir)});
    const s = new KafkaTopicSource({
      brokers: [${JSON.stringify(BROKER)}], topics: [${JSON.stringify(topic)}], groupId: ${JSON.stringify(`${topic}-g`)},
      cluster: 'crash', format: 'json', log, checkpointPath: ${JSON.stringify(checkpointPath)},
      maxRecordsPerPartition: 300, pollWaitMs: 50, sessionTimeoutMs: 6000,
    });
    await s.start();
    setInterval(() => console.log(s.status().eventsAccepted), 20);
  `;
  return spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

async function readAll(log: EmbeddedLog, topic: string): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for (let p = 0; p < 3; p++) {
    for (let at = 0; ;) {
      const b = await log.read(topic, p, at, { maxRecords: 10_000 });
      if (b.length === 0) break;
      out.push(...b);
      at = b[b.length - 1]!.offset + 1;
    }
  }
  return out;
}

describe.skipIf(!up && !process.env.CI)('KafkaTopicSource killed with SIGKILL', () => {
  it('restarts on the same log and checkpoint and ends with every record exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'freshet-kafka-crash-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const topic = `fks-crash-${Date.now().toString(36)}`;
    const admin = new Admin({ clientId: 'fks-crash', bootstrapBrokers: [BROKER] });
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      clientId: 'fks-crash',
      bootstrapBrokers: [BROKER],
      acks: ProduceAcks.ALL,
      idempotent: true,
      producerId: -1n,
      producerEpoch: -1,
    });
    cleanup.push(async () => {
      await producer.close();
      await admin.close();
    });
    await admin.createTopics({ topics: [topic], partitions: 3 });
    await new Promise((r) => setTimeout(r, 1000));
    for (let from = 0; from < N; from += 5000) {
      await producer.send({
        messages: Array.from({ length: 5000 }, (_, i) => ({
          topic,
          partition: (from + i) % 3,
          key: Buffer.from(`k${from + i}`),
          value: Buffer.from(JSON.stringify({ n: from + i })),
        })),
      });
    }
    const logDir = join(dir, 'log');
    const checkpointPath = join(dir, 'cp.json');
    const proc = child(logDir, topic, checkpointPath);
    const exited = new Promise((r) => proc.once('exit', r));
    // Killed once it has appended a few thousand records, without warning.
    const killAt = 3000 + Math.floor(Math.random() * 10_000);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the child never got going')), 60_000);
      proc.stdout!.on('data', (d: Buffer) => {
        const last = Number(d.toString().trim().split('\n').pop());
        if (last >= killAt) {
          clearTimeout(timer);
          proc.kill('SIGKILL');
          resolve();
        }
      });
    });
    await exited;

    const log = await EmbeddedLog.open(logDir);
    cleanup.push(() => log.close());
    const before = (await readAll(log, topic)).length;
    expect(before).toBeGreaterThanOrEqual(killAt);
    expect(before).toBeLessThan(N);
    const s = new KafkaTopicSource({
      brokers: [BROKER],
      topics: [topic],
      groupId: `${topic}-g`,
      cluster: 'crash',
      format: 'json',
      log,
      checkpointPath,
      sessionTimeoutMs: 6000,
    });
    await s.start();
    const deadline = Date.now() + 90_000;
    while (s.status().eventsAccepted < N - before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    await s.stop();
    const got = await readAll(log, topic);
    const ids = new Set(got.map((r) => r.headers['freshet.event-id']));
    expect(ids.size).toBe(N);
    expect(got).toHaveLength(N);
    console.log(
      `killed after ${before} records in the log; restart skipped ${s.status().skippedDuplicates} already there, appended ${s.status().eventsAccepted}`,
    );
  });
});
