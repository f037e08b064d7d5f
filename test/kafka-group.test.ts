import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Session } from '../src/engine/index.js';
import { DeltaTable, objectStoreFor } from '../src/lake/index.js';
import { KafkaLog } from '../src/log/kafka-log.js';

/**
 * Two Freshet bronze workers in one Kafka consumer group (`freshet bronze-worker`,
 * each its own process, one lake folder between them) split a topic's partitions; one is killed
 * with SIGKILL mid-stream, the other takes its partitions over after the group's session
 * timeout, and bronze ends with every event exactly once. Real broker from
 * `scripts/services start`; skips loudly outside CI when none answers, fails in CI.
 */
const PORT = Number(process.env.FRESHET_TEST_KAFKA_PORT ?? 9092);
const BROKER = `127.0.0.1:${PORT}`;
const FRESHET = fileURLToPath(new URL('../bin/freshet.js', import.meta.url));

function brokerUp(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: PORT });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

const up = await brokerUp();
if (!up && !process.env.CI) {
  console.warn(
    `\n*** SKIPPING the Kafka consumer-group test: no Kafka broker at ${BROKER} (scripts/services start) ***\n`,
  );
}

interface Status {
  pid: number;
  rows: number;
  fenced: number;
  assigned: Record<string, number[]>;
}

class Worker {
  last: Status | null = null;
  output = '';
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => {
      this.output += d.toString();
      const lines = this.output.split('\n');
      this.output = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('{')) this.last = JSON.parse(l) as Status;
    });
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[worker] ${d.toString()}`));
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
  }
  assigned(topic: string): number[] {
    return this.last?.assigned[topic] ?? [];
  }
}

async function until<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  ms = 60_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

describe.skipIf(!up && !process.env.CI)('bronze workers in one Kafka consumer group', () => {
  it('split the partitions, and the survivor takes over a killed one with nothing lost or duplicated', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'freshet-kafka-group-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const run = Date.now().toString(36);
    const url = `kafka://${BROKER}?topicPrefix=freshet-group-${run}.`;
    const topic = 'pos.transactions';
    const producer = await KafkaLog.open({
      brokers: [BROKER],
      topicPrefix: `freshet-group-${run}.`,
    });
    cleanup.push(() => producer.close());
    await producer.createTopic(topic, { partitions: 4 });

    let sent = 0;
    const send = async (n: number) => {
      const records = Array.from({ length: n }, (_, i) => {
        const id = sent + i;
        return {
          key: `store-${id % 53}`,
          value: Buffer.from(JSON.stringify({ id })),
          headers: { 'freshet.event-id': `ev-${id}` },
        };
      });
      await producer.append(topic, records);
      sent += n;
    };
    await send(2000);

    const start = () => {
      const w = new Worker(
        spawn(
          process.execPath,
          [
            FRESHET,
            'bronze-worker',
            '--log',
            url,
            '--group',
            `freshet-bronze-${run}`,
            '--lake',
            join(dir, 'lake'),
            '--topics',
            topic,
            '--interval',
            '200',
            '--json',
          ],
          {
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        ),
      );
      cleanup.push(async () => {
        if (w.child.exitCode === null) w.child.kill('SIGKILL');
        await w.exited;
      });
      return w;
    };
    const a = start();
    const b = start();

    // Both hold partitions, none twice, all four covered: the load is split.
    await until('the group to split the partitions', () => {
      const pa = a.assigned(topic);
      const pb = b.assigned(topic);
      return pa.length > 0 && pb.length > 0 && [...pa, ...pb].sort().join() === '0,1,2,3'
        ? true
        : undefined;
    });
    const beforeKill = { a: a.assigned(topic), b: b.assigned(topic) };
    expect(beforeKill.a.filter((p) => beforeKill.b.includes(p))).toEqual([]);

    // Keep producing while A is killed in the middle of work.
    await send(3000);
    // Both write bronze for their own partitions.
    await until('A and B to write rows', () =>
      (a.last?.rows ?? 0) > 0 && (b.last?.rows ?? 0) > 0 ? true : undefined,
    );
    a.child.kill('SIGKILL');
    await a.exited;
    await send(3000);

    // B takes every partition over once the group notices A is gone.
    await until('B to take over all partitions', () =>
      b.assigned(topic).join() === '0,1,2,3' ? true : undefined,
    );
    await send(2000);

    const session = await Session.open();
    cleanup.push(async () => session.close());
    const table = await DeltaTable.open(
      objectStoreFor(join(dir, 'lake')),
      'bronze/pos_transactions',
    );
    const count = async () => {
      const snap = await table.snapshot();
      if (snap.files.length === 0) return { rows: 0, ids: 0, lo: null, hi: null };
      const files = snap.files.map(
        (f) => `'${join(dir, 'lake', 'bronze', 'pos_transactions', f.path)}'`,
      );
      const [row] = await session.connection.rows(
        `select count(*)::int as rows, count(distinct event_id)::int as ids,
                min(split_part(event_id, '-', 2)::int) as lo, max(split_part(event_id, '-', 2)::int) as hi
         from read_parquet([${files.join(',')}])`,
      );
      return row as { rows: number; ids: number; lo: number | null; hi: number | null };
    };
    await until(
      'bronze to hold every event',
      async () => ((await count()).rows >= sent ? true : undefined),
      60_000,
    );
    // Let B run a few more rounds: nothing more may arrive.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await count()).toEqual({ rows: sent, ids: sent, lo: 0, hi: sent - 1 });
    expect(sent).toBe(10_000);

    // Each partition is in bronze up to its last offset, recorded in its Delta txn.
    const snap = await table.snapshot();
    for (let p = 0; p < 4; p++) {
      expect(snap.txnVersion(`freshet-bronze:${topic}:${p}`)).toBe(
        (await producer.endOffset(topic, p)) - 1,
      );
    }
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  });
});
