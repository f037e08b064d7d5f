// The bronze thread's body (see bronze-thread.ts): its own DuckDB, its own view of the lake, one
// BronzeTable per topic. On the embedded log it receives raw frames, decodes and checks them, and
// commits; on Kafka it reads the topics with its own client (a BronzeWriter per topic).
import { parentPort, workerData } from 'node:worker_threads';
import { Session } from '../engine/index.js';
import { objectStoreFor } from '../lake/index.js';
import { decodeFrames, KafkaLog, type FrameBatch } from '../log/index.js';
import { Metrics } from '../observe/index.js';
import { BronzeTable } from './bronze-table.js';
import { BronzeWriter } from './bronze-writer.js';
import type {
  BronzeThreadReply,
  BronzeThreadRequest,
  BronzeThreadSetup,
  TableReady,
} from './bronze-thread.js';

const port = parentPort!;
const setup = workerData as BronzeThreadSetup;
const post = (m: BronzeThreadReply) => port.postMessage(m);

const session = await Session.open({ threads: setup.duckdbThreads });
const conn = await session.connect();
const tables = new Map<string, BronzeTable>();
const pullers = new Map<string, BronzeWriter>();
let kafka: KafkaLog | null = null;
let openTopic: (topic: string, partitions: number) => Promise<TableReady>;
try {
  const store = objectStoreFor(setup.lake, { s3: { cacheDir: setup.s3CacheDir } });
  if (setup.kafka) kafka = await KafkaLog.open({ ...setup.kafka, onError: () => undefined });
  openTopic = async (topic, partitions) => {
    const opts = { conn, store, topic, partitions, tmpDir: setup.tmpDir };
    if (kafka) {
      // Metrics are counted on the platform's thread, from the commits this thread reports.
      const metrics = new Metrics();
      const maxBatch = setup.maxBatch ?? 50_000;
      const w = await BronzeWriter.open({ ...opts, log: kafka, metrics, maxBatch });
      pullers.set(topic, w);
      return { state: w.state, positions: [...w.nextOffsets] };
    }
    const t = await BronzeTable.open(opts);
    tables.set(topic, t);
    return { state: t.state, positions: [...t.positions] };
  };
  const states: TableReady[] = [];
  for (const { topic, partitions } of setup.topics) states.push(await openTopic(topic, partitions));
  post({ type: 'ready', tables: states });
} catch (err) {
  post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  await kafka?.close().catch(() => undefined);
  process.exit(1);
}

port.on('message', (req: BronzeThreadRequest) => {
  if (req.type === 'close') {
    void (async () => {
      await kafka?.close().catch(() => undefined);
      conn.close();
      session.close();
      port.close();
    })();
    return;
  }
  if (req.type === 'pull') void pull(req.id, req.topic);
  else if (req.type === 'add') void add(req.id, req.topic, req.partitions);
  else void commit(req.id, req.topic, req.batches);
});

async function pull(id: number, topic: string): Promise<void> {
  try {
    const writer = pullers.get(topic);
    if (!writer) throw new Error(`the bronze thread reads no log for topic ${topic}`);
    post({ type: 'committed', id, commit: await writer.writeBatch() });
  } catch (err) {
    post({ type: 'error', id, message: err instanceof Error ? err.message : String(err) });
  }
}

// One request at a time per table: the main side awaits each commit before sending the next.
async function commit(id: number, topic: string, batches: FrameBatch[]): Promise<void> {
  try {
    const table = tables.get(topic);
    if (!table) throw new Error(`the bronze thread has no table for topic ${topic}`);
    const records = batches.map((b, p) => decodeFrames(b, topic, p));
    post({ type: 'committed', id, commit: await table.commit(records, { contiguous: true }) });
  } catch (err) {
    post({ type: 'error', id, message: err instanceof Error ? err.message : String(err) });
  }
}

/** A topic that appeared after the thread started (a source created it): opens its table. */
async function add(id: number, topic: string, partitions: number): Promise<void> {
  try {
    post({ type: 'added', id, table: await openTopic(topic, partitions) });
  } catch (err) {
    post({ type: 'error', id, message: err instanceof Error ? err.message : String(err) });
  }
}
