// The bronze thread's body (see bronze-thread.ts): its own DuckDB, its own view of the lake, one
// BronzeTable per topic. It receives raw log frames, decodes and checks them, and commits.
import { parentPort, workerData } from 'node:worker_threads';
import { Session } from '../engine/index.js';
import { objectStoreFor } from '../lake/index.js';
import { decodeFrames, type FrameBatch } from '../log/index.js';
import { BronzeTable } from './bronze-table.js';
import type { BronzeThreadReply, BronzeThreadRequest, BronzeThreadSetup } from './bronze-thread.js';

const port = parentPort!;
const setup = workerData as BronzeThreadSetup;
const post = (m: BronzeThreadReply) => port.postMessage(m);

const session = await Session.open({ threads: setup.duckdbThreads });
const conn = await session.connect();
const tables = new Map<string, BronzeTable>();
try {
  const store = objectStoreFor(setup.lake, { s3: { cacheDir: setup.s3CacheDir } });
  for (const { topic, partitions } of setup.topics) {
    tables.set(
      topic,
      await BronzeTable.open({ conn, store, topic, partitions, tmpDir: setup.tmpDir }),
    );
  }
  post({
    type: 'ready',
    tables: [...tables.values()].map((t) => ({ state: t.state, positions: [...t.positions] })),
  });
} catch (err) {
  post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

port.on('message', (req: BronzeThreadRequest) => {
  if (req.type === 'close') {
    conn.close();
    session.close();
    port.close();
    return;
  }
  void commit(req.id, req.topic, req.batches);
});

// One request at a time per table: the main side awaits each commit before sending the next.
async function commit(id: number, topic: string, batches: FrameBatch[]): Promise<void> {
  try {
    const table = tables.get(topic);
    if (!table) throw new Error(`the bronze thread has no table for topic ${topic}`);
    const records = batches.map((b, p) => decodeFrames(b, topic, p));
    post({ type: 'committed', id, commit: await table.commit(records) });
  } catch (err) {
    post({ type: 'error', id, message: err instanceof Error ? err.message : String(err) });
  }
}
