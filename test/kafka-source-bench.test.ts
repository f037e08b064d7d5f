// Throughput of KafkaTopicSource from a real broker into an EmbeddedLog, opt-in:
//   FRESHET_BENCH=1 npx vitest run test/kafka-source-bench
// Prints records/s for JSON (Debezium-shaped envelopes) and for Confluent Avro.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Producer, ProduceAcks } from '@platformatic/kafka';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { EmbeddedLog } from '../src/log/index.js';
import { EmbeddedRegistry, encodeWire } from '../src/registry/index.js';
import { KafkaTopicSource } from '../src/sources/kafka/index.js';

const PORT = Number(process.env.FRESHET_TEST_KAFKA_PORT ?? 9092);
const BROKER = `127.0.0.1:${PORT}`;
const N = Number(process.env.FRESHET_BENCH_RECORDS ?? 200_000);

const up = await new Promise<boolean>((resolve) => {
  const s = net.connect({ host: '127.0.0.1', port: PORT });
  s.once('connect', () => (s.destroy(), resolve(true)));
  s.once('error', () => resolve(false));
});

describe.skipIf(!process.env.FRESHET_BENCH || !up)('KafkaTopicSource throughput', () => {
  it.each(['json', 'avro'] as const)(
    '%s: records/s from the broker into an EmbeddedLog',
    async (format) => {
      const dir = await mkdtemp(join(tmpdir(), 'freshet-kafka-bench-'));
      const topic = `fks-bench-${format}-${Date.now().toString(36)}`;
      const admin = new Admin({ clientId: 'bench', bootstrapBrokers: [BROKER] });
      const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
        clientId: 'bench',
        bootstrapBrokers: [BROKER],
        acks: ProduceAcks.ALL,
        idempotent: true,
        producerId: -1n,
        producerEpoch: -1,
      });
      const registry = await EmbeddedRegistry.open(join(dir, 'registry'));
      const schema = {
        type: 'record',
        name: 'Row',
        fields: [
          { name: 'id', type: 'long' },
          { name: 'store_id', type: 'string' },
          { name: 'qty', type: 'int' },
          { name: 'op', type: 'string' },
        ],
      };
      const type = avro.Type.forSchema(schema as avro.Schema);
      const { id } = await registry.register('row-value', {
        schemaType: 'AVRO',
        schema: JSON.stringify(schema),
      });
      await admin.createTopics({ topics: [topic], partitions: 4 });
      await new Promise((r) => setTimeout(r, 1000));
      for (let from = 0; from < N; from += 5000) {
        const messages = [];
        for (let i = from; i < Math.min(N, from + 5000); i++) {
          const row = { id: i, store_id: `S-${i % 800}`, qty: i % 17, op: 'c' };
          const value =
            format === 'avro'
              ? encodeWire(id, type.toBuffer(row))
              : Buffer.from(
                  JSON.stringify({ before: null, after: row, op: 'c', ts_ms: 1, source: {} }),
                );
          messages.push({ topic, partition: i % 4, key: Buffer.from(`k${i}`), value });
        }
        await producer.send({ messages });
      }
      const log = await EmbeddedLog.open(join(dir, 'log'));
      const source = new KafkaTopicSource({
        brokers: [BROKER],
        topics: [topic],
        groupId: `${topic}-g`,
        format,
        sourceRegistry: registry,
        log,
        checkpointPath: join(dir, 'cp.json'),
        pollWaitMs: 50,
      });
      const t0 = performance.now();
      await source.start();
      while (source.status().eventsAccepted < N) await new Promise((r) => setTimeout(r, 20));
      const seconds = (performance.now() - t0) / 1000;
      await source.stop();
      console.log(
        `${format}: ${N} records in ${seconds.toFixed(2)} s = ${Math.round(N / seconds)} records/s`,
      );
      expect(source.status().eventsAccepted).toBe(N);
      await log.close();
      await producer.close();
      await admin.close();
      await rm(dir, { recursive: true, force: true });
    },
    300_000,
  );
});
