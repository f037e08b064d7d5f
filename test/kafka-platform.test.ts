import { execFile } from 'node:child_process';
import net from 'node:net';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaLog } from '../src/log/kafka-log.js';
import {
  FRESHET_BIN,
  PlatformProcess,
  getJson,
  tempDataDir,
  waitFor,
} from './helpers/platform-process.js';
import { BRONZE_EVENT_IDS, RETAIL_BRONZE_TABLES } from './helpers/bronze.js';

/**
 * `freshet up --log kafka://…` against a real Apache Kafka broker (KRaft, started by
 * `scripts/services start`): the simulator appends to Kafka, bronze reads it back, and hard
 * kills in the middle of work lose and duplicate nothing. Outside CI the test skips loudly
 * when no broker answers; in CI it fails.
 */
const PORT = Number(process.env.FRESHET_TEST_KAFKA_PORT ?? 9092);
const BROKER = `127.0.0.1:${PORT}`;
const run = promisify(execFile);

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
    `\n*** SKIPPING the Kafka platform test: no Kafka broker at ${BROKER} (scripts/services start) ***\n`,
  );
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(dirname(d), { recursive: true, force: true });
});

interface Health {
  events_accepted: number;
}

async function sqlJson<T>(dataDir: string, query: string): Promise<T[]> {
  const { stdout } = await run(
    process.execPath,
    [FRESHET_BIN, 'sql', query, '--data-dir', dataDir, '--format', 'json'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as T[];
}

async function platformSql<T>(url: string, query: string): Promise<T[]> {
  const res = await fetch(`${url}/api/sql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sql: query }),
  });
  return ((await res.json()) as { rows: T[] }).rows;
}

/** Records a reader gets from a topic partition (transaction markers take offsets, not records). */
async function countRecords(log: KafkaLog, topic: string, partition: number): Promise<number> {
  let n = 0;
  let next = 0;
  for (;;) {
    const batch = await log.read(topic, partition, next, { maxRecords: 5000 });
    if (batch.length === 0) return n;
    n += batch.length;
    next = batch[batch.length - 1]!.offset + 1;
  }
}

describe.skipIf(!up && !process.env.CI)('freshet up with its log on Kafka', () => {
  it.each([
    ['an idempotent producer', ''],
    ['a transaction per append', '&transactionalId=freshet-e2e'],
  ])(
    'lands every event in bronze exactly once across kill -9 and restarts, with %s',
    async (_, extra) => {
      const dataDir = await tempDataDir();
      dirs.push(dataDir);
      const prefix = `freshet-e2e-${Date.now().toString(36)}.`;
      const total = 12_000;
      const transactional = extra !== '';
      const args = [
        '--log',
        `kafka://${BROKER}?topicPrefix=${prefix}${transactional ? `${extra}-${prefix}` : ''}`,
        '--partitions',
        '3',
        '--stores',
        '30',
        '--skus',
        '200',
        '--rate',
        '2000',
        '--seed',
        '9',
        '--max-events',
        String(total),
        '--publish-interval',
        '700',
      ];
      let acceptedSoFar = 0;
      for (const killAfter of [3_000, 7_000]) {
        const p = await PlatformProcess.start(dataDir, args);
        await waitFor(`~${killAfter} events accepted`, async () => {
          const h = await getJson<Health>(`${p.url}/api/health`);
          return acceptedSoFar + h.events_accepted >= killAfter ? h : undefined;
        });
        acceptedSoFar += (await getJson<Health>(`${p.url}/api/health`)).events_accepted;
        await p.kill9();
      }
      const p = await PlatformProcess.start(dataDir, args);
      await waitFor(
        'the stream to complete',
        async () => {
          const [row] = await platformSql<{ n: number }>(
            p.url,
            `select count(*) as n from (${BRONZE_EVENT_IDS})`,
          );
          return row && row.n >= total ? row : undefined;
        },
        120_000,
      );
      expect(await p.interrupt()).toBe(0);

      // Every event id once in bronze, and nothing but the simulator's.
      const [row] = await sqlJson<{ rows: number; ids: number; lo: number; hi: number }>(
        dataDir,
        `with ids as (${BRONZE_EVENT_IDS})
       select count(*) as rows, count(distinct event_id) as ids,
              min(split_part(event_id, '-', 3)::int) as lo, max(split_part(event_id, '-', 3)::int) as hi
       from ids`,
      );
      expect(row).toEqual({ rows: total, ids: total, lo: 0, hi: total - 1 });

      // The oracle from the events in Kafka agrees with every gold mart in the lake.
      const logUrl = `kafka://${BROKER}?topicPrefix=${prefix}`;
      const verify = await run(process.execPath, [
        FRESHET_BIN,
        'verify',
        '--data-dir',
        dataDir,
        '--log',
        logUrl,
        '--json',
      ]).then(
        (r) => ({ code: 0, out: r.stdout }),
        (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
      );
      const report = JSON.parse(verify.out) as { mismatches: unknown[]; eventsNotInLake: number };
      expect(report.mismatches).toEqual([]);
      expect(report.eventsNotInLake).toBe(0);
      expect(verify.code).toBe(0);
      // Without --log, verify says where the events are instead of reading nothing.
      const bare = await run(process.execPath, [FRESHET_BIN, 'verify', '--data-dir', dataDir]).then(
        () => '',
        (e: { stderr: string }) => e.stderr,
      );
      expect(bare).toMatch(/ran on Kafka; pass the same --log kafka:/);

      // The events are in Kafka under the prefix, as many as bronze holds, on 3 partitions each.
      const log = await KafkaLog.open({ brokers: [BROKER] });
      try {
        const topics = (await log.topics()).filter((t) => t.name.startsWith(prefix));
        expect(topics.map((t) => t.name).sort()).toEqual(
          [...RETAIL_BRONZE_TABLES.map((t) => t.replace('_', '.')), 'freshet.quarantine']
            .map((t) => prefix + t)
            .sort(),
        );
        let inKafka = 0;
        for (const t of topics) {
          if (t.name.endsWith('freshet.quarantine')) continue;
          expect(t.partitions).toBe(3);
          for (let part = 0; part < t.partitions; part++) {
            const records = await countRecords(log, t.name, part);
            inKafka += records;
            const end = await log.endOffset(t.name, part);
            // Without transactions, offsets are the records; with them, markers take offsets too.
            if (transactional) expect(end).toBeGreaterThan(records);
            else expect(end).toBe(records);
          }
        }
        expect(inKafka).toBe(total);

        // On Kafka every accepted event is in Confluent's wire format: magic byte 0, then the id
        // the registry gave its schema; bronze holds the JSON without the frame.
        const posTopic = topics.find((t) => t.name === `${prefix}pos.transactions`)!;
        const [first] = await log.read(posTopic.name, 0, 0, { maxRecords: 1 });
        expect(first!.value[0]).toBe(0);
        const schemaId = first!.value.readUInt32BE(1);
        expect(String(schemaId)).toBe(first!.headers['freshet.schema-id']);
        expect(JSON.parse(first!.value.subarray(5).toString('utf8')).event_id).toBe(
          first!.headers['freshet.event-id'],
        );
        const [payload] = await sqlJson<{ c: string }>(
          dataDir,
          'SELECT substr(payload, 1, 1) AS c FROM bronze.pos_transactions LIMIT 1',
        );
        expect(payload).toEqual({ c: '{' });
      } finally {
        await log.close();
      }
    },
  );
});
