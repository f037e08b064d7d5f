#!/usr/bin/env node
// A Freshet bronze worker in a Kafka consumer group, for test/kafka-group.test.ts: writes bronze
// (Delta, in a lake folder shared with the other workers) for the partitions the group gives it,
// and prints one JSON status line per round. Runs the compiled code in dist/.
//   node test/peers/kafka-bronze-worker.mjs <kafka-url> <group> <lake-dir> <tmp-dir> <topic>…
import { Session } from '../../dist/engine/index.js';
import { objectStoreFor } from '../../dist/lake/index.js';
import { KafkaBronzeWorker } from '../../dist/pipeline/kafka-bronze-worker.js';

const [logUrl, groupId, lakeDir, tmpDir, ...topics] = process.argv.slice(2);
const session = await Session.open();
const worker = await KafkaBronzeWorker.open({
  logUrl,
  groupId,
  topics,
  store: objectStoreFor(lakeDir),
  conn: session.connection,
  tmpDir,
  sessionTimeoutMs: 6000,
  workerId: `worker-${process.pid}`,
});
let stopping = false;
process.on('SIGTERM', () => (stopping = true));
while (!stopping) {
  try {
    await worker.writeOnce();
  } catch (err) {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  }
  console.log(JSON.stringify({ pid: process.pid, ...worker.stats }));
  await new Promise((r) => setTimeout(r, 200));
}
await worker.close();
session.close();
