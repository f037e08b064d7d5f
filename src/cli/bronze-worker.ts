import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { Session } from '../engine/index.js';
import { objectStoreFor } from '../lake/index.js';
import { parseKafkaUrl } from '../log/index.js';
import { openLake, prepareDataDir, TMP_DIR } from '../pipeline/index.js';
import { KafkaBronzeWorker } from '../pipeline/kafka-bronze-worker.js';
import { TOPICS } from '../retail/index.js';
import { QUARANTINE_TOPIC } from '../sources/index.js';

const positive = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`${name} must be a whole number above 0, got '${value}'.`);
  return n;
};

/**
 * `freshet bronze-worker`: one of several processes that share a Kafka topic's bronze through a
 * consumer group (KafkaBronzeWorker): each writes bronze for the partitions the group gives it,
 * into the lake they share, exactly once whatever the group does (commits are fenced by the
 * partitions' Delta txns). Runs until SIGINT or SIGTERM.
 */
export function bronzeWorkerCommand(defaultDataDir: string): Command {
  return new Command('bronze-worker')
    .description(
      "Write bronze from a Kafka log as one worker of a consumer group: start several (on one machine or many) with the same --group and lake, and they split the topics' partitions; when one dies, the others take its partitions over after the session timeout. Nothing is lost or written twice.",
    )
    .requiredOption('--log <url>', 'the Kafka log: kafka://host:port[,host:port…][?topicPrefix=…]')
    .option('--group <id>', 'the consumer group the workers share', 'freshet-bronze')
    .option(
      '--lake <location>',
      'the lake the workers share: a folder or s3://bucket/prefix (default: the lake of --data-dir)',
    )
    .option('--data-dir <dir>', "a platform's data dir whose lake to write", defaultDataDir)
    .option(
      '--topics <list>',
      'comma-separated topics to write (default: every retail topic and freshet.quarantine)',
    )
    .option('--interval <ms>', 'pause between rounds', positive('--interval'), 250)
    .option(
      '--max-batch <n>',
      'most records per partition per commit',
      positive('--max-batch'),
      50_000,
    )
    .option(
      '--session-timeout <ms>',
      'how long the group waits for a silent worker before giving its partitions to the others',
      positive('--session-timeout'),
      6000,
    )
    .option(
      '--json',
      'print one JSON status line per round (rows, fenced commits, partitions held)',
    )
    .action(async (o) => {
      parseKafkaUrl(o.log); // a bad URL fails here, naming what is wrong
      let lake: string;
      let tmp: string;
      if (o.lake) {
        lake = o.lake;
        tmp = join(tmpdir(), `freshet-bronze-worker-${process.pid}`);
      } else {
        const dataDir = await prepareDataDir(o.dataDir, { create: false });
        lake = (await openLake(dataDir)).location;
        tmp = join(dataDir, TMP_DIR);
      }
      await mkdir(tmp, { recursive: true });
      const topics: string[] = o.topics
        ? String(o.topics)
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean)
        : [...TOPICS.map((t) => t.topic), QUARANTINE_TOPIC];
      const session = await Session.open();
      const worker = await KafkaBronzeWorker.open({
        logUrl: o.log,
        groupId: o.group,
        topics,
        store: objectStoreFor(lake),
        conn: session.connection,
        tmpDir: tmp,
        maxBatch: o.maxBatch,
        sessionTimeoutMs: o.sessionTimeout,
        workerId: `freshet-bronze-${process.pid}`,
      });
      let stopping = false;
      const stop = () => (stopping = true);
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      if (!o.json)
        process.stdout.write(
          `bronze worker ${process.pid} in group ${o.group}: ${topics.length} topics into ${lake}\n`,
        );
      let shown = '';
      while (!stopping) {
        let error: string | null = null;
        try {
          await worker.writeOnce();
        } catch (err) {
          error = err instanceof Error ? err.message : String(err);
        }
        const stats = { pid: process.pid, ...worker.stats, error };
        if (o.json) process.stdout.write(`${JSON.stringify(stats)}\n`);
        else {
          const held = Object.entries(stats.assigned)
            .filter(([, ps]) => ps.length > 0)
            .map(([t, ps]) => `${t}[${ps.join(',')}]`)
            .join(' ');
          const line = `rows ${stats.rows}, fenced ${stats.fenced}, holds ${held || 'nothing yet'}${error ? `; error: ${error}` : ''}`;
          if (line !== shown) process.stdout.write(`${line}\n`);
          shown = line;
        }
        await new Promise((r) => setTimeout(r, o.interval));
      }
      await worker.close();
      session.close();
    });
}
