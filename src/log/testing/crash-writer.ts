// Child process for the crash test (embedded-log.crash.test.ts): appends as fast as it can
// from several concurrent producers and prints one line per acknowledged record,
// "<partition> <offset> <seq>", the moment its append resolves. The test kills it with
// SIGKILL mid-run and checks that every printed record is in the log. stdout to a pipe is
// written synchronously on Linux, so a printed line was acknowledged before any kill.

import { EmbeddedLog } from '../embedded-log.js';

const [dir, topic] = process.argv.slice(2);
if (!dir || !topic) {
  process.stderr.write('usage: crash-writer <dir> <topic>\n');
  process.exit(2);
}

const log = await EmbeddedLog.open(dir, { segmentBytes: 32 * 1024 });
await log.createTopic(topic, { partitions: 3 });
process.stdout.write('ready\n');

let seq = 0;

async function produce(): Promise<never> {
  for (;;) {
    const records = Array.from({ length: 1 + (seq % 4) }, () => {
      const n = seq++;
      return {
        key: n % 5 === 0 ? null : `k${n % 13}`,
        value: Buffer.from(`value-${n}-`.padEnd(20 + (n % 50), 'x')),
        headers: { seq: String(n) },
      };
    });
    const results = await log.append(topic!, records);
    process.stdout.write(
      results.map((r, i) => `${r.partition} ${r.offset} ${records[i]!.headers.seq}\n`).join(''),
    );
  }
}

await Promise.all(Array.from({ length: 8 }, produce));
