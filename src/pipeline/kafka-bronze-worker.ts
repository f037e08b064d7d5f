// Bronze for a Kafka topic, shared by several workers through a Kafka consumer group.
//
// The group only spreads the work: each worker writes bronze for the partitions the group
// assigned to it. Exactly-once does not depend on the group's timing. Every commit is fenced on
// the lake: the worker reads each partition's position from the Delta `txn` of that partition
// (appId freshet-bronze:<topic>:<partition>, version = last offset) in a snapshot, and commits the
// batch with that snapshot as its read version, so a commit by any other worker that recorded
// progress for the same partition in between makes this one fail (Delta's concurrent-transaction
// rule) instead of writing the same offsets twice. A worker that lost a partition, or raced for
// it, drops its batch and reads its positions again. After a commit, the worker commits the
// group's Kafka offsets up to what the lake holds — never ahead of the lake — so lag tools see
// progress; bronze itself always resumes from the lake.

import { randomUUID } from 'node:crypto';
import type { Consumer } from '@platformatic/kafka';
import { quoteIdent, writeDataFile, type Connection } from '../engine/index.js';
import { CommitConflictError, DeltaTable, type ObjectStore } from '../lake/index.js';
import { KafkaLog, parseKafkaReaderUrl, type StoredRecord } from '../log/index.js';
import { BRONZE_SCHEMA } from './bronze-writer.js';
import { bronzeAppId, bronzeTableName, lakePath } from './names.js';
import { maxTimestampStat } from './stats.js';
import { appendBronzeBatch, BRONZE_BATCH_DDL, bronzeRowsSql } from './bronze-batch.js';

export interface KafkaBronzeWorkerOptions {
  /** kafka://host:port[,…][?topicPrefix=…] */
  logUrl: string;
  /** The consumer group the workers share. */
  groupId: string;
  /** Topics (as Freshet names them, without the prefix) to write bronze for. */
  topics: string[];
  store: ObjectStore;
  conn: Connection;
  tmpDir: string;
  /** Records per partition per commit. Default 50 000. */
  maxBatch?: number;
  /** Group session timeout: how long a killed worker keeps its partitions. Default 6000 ms. */
  sessionTimeoutMs?: number;
  /** Names this worker in the group (client id). */
  workerId?: string;
}

export interface KafkaBronzeWorkerStats {
  /** Rows this worker committed to bronze. */
  rows: number;
  /** Commits lost to another worker's progress on the same partition (batch dropped, re-read). */
  fenced: number;
  /** The partitions this worker holds now, per topic. */
  assigned: Record<string, number[]>;
}

export class KafkaBronzeWorker {
  private readonly tables = new Map<string, DeltaTable>();
  private lastStamp = 0;
  readonly stats: KafkaBronzeWorkerStats = { rows: 0, fenced: 0, assigned: {} };

  private constructor(
    private readonly opts: KafkaBronzeWorkerOptions,
    private readonly log: KafkaLog,
    private readonly group: Consumer<Buffer, Buffer, Buffer, Buffer>,
    private readonly batchTable: string,
  ) {}

  static async open(opts: KafkaBronzeWorkerOptions): Promise<KafkaBronzeWorker> {
    const url = parseKafkaReaderUrl(opts.logUrl);
    const clientId = opts.workerId ?? `freshet-bronze-${randomUUID().slice(0, 8)}`;
    const log = await KafkaLog.open({ ...url, clientId });
    const kafka = await import('@platformatic/kafka');
    const group = new kafka.Consumer<Buffer, Buffer, Buffer, Buffer>({
      clientId,
      bootstrapBrokers: url.brokers,
      groupId: opts.groupId,
      autocreateTopics: false,
    });
    const batchTable = `_freshet.${quoteIdent(`kafka_bronze_batch_${randomUUID().replaceAll('-', '')}`)}`;
    const worker = new KafkaBronzeWorker(opts, log, group, batchTable);
    try {
      for (const topic of opts.topics) {
        const table = bronzeTableName(topic);
        const delta = await DeltaTable.open(opts.store, lakePath('bronze', table));
        if (!(await delta.exists())) {
          await delta
            .create({ schema: BRONZE_SCHEMA, name: table, description: `Events of topic ${topic}` })
            .catch(async (err: unknown) => {
              // Another worker created it first.
              if (!(await delta.exists())) throw err;
            });
        }
        worker.tables.set(topic, delta);
      }
      await opts.conn.run('CREATE SCHEMA IF NOT EXISTS _freshet');
      await opts.conn.run(`CREATE OR REPLACE TABLE ${batchTable} ${BRONZE_BATCH_DDL}`);
      group.topics.trackAll(...opts.topics.map((t) => log.kafkaTopic(t)));
      const session = opts.sessionTimeoutMs ?? 6000;
      await group.joinGroup({
        sessionTimeout: session,
        rebalanceTimeout: session,
        heartbeatInterval: Math.max(100, Math.floor(session / 6)),
      });
    } catch (err) {
      await worker.close();
      throw err;
    }
    return worker;
  }

  /** The partitions of `topic` the group gave this worker now. */
  assignedPartitions(topic: string): number[] {
    const name = this.log.kafkaTopic(topic);
    const a = (this.group.assignments ?? []).find((x) => x.topic === name);
    return a ? [...a.partitions].sort((x, y) => x - y) : [];
  }

  /** One round over the assigned partitions of every topic. Returns the rows committed. */
  async writeOnce(): Promise<number> {
    let rows = 0;
    const assigned: Record<string, number[]> = {};
    for (const topic of this.opts.topics) {
      const partitions = this.assignedPartitions(topic);
      assigned[topic] = partitions;
      if (partitions.length > 0) rows += await this.writeTopic(topic, partitions);
    }
    this.stats.assigned = assigned;
    return rows;
  }

  private async writeTopic(topic: string, partitions: number[]): Promise<number> {
    const delta = this.tables.get(topic)!;
    const snapshot = await delta.snapshot();
    const batches: StoredRecord[][] = [];
    for (const p of partitions) {
      const last = snapshot.txnVersion(bronzeAppId(topic, p));
      batches.push(
        await this.log.read(topic, p, last === undefined ? 0 : last + 1, {
          maxRecords: this.opts.maxBatch ?? 50_000,
        }),
      );
    }
    const total = batches.reduce((n, b) => n + b.length, 0);
    if (total === 0) return 0;
    // Stamps keep increasing per table across workers as far as this snapshot shows.
    const seen = (maxTimestampStat(snapshot.files, '_ingested_at') ?? 0) * 1000;
    this.lastStamp = Math.max(Date.now() * 1000, this.lastStamp + 1, seen + 1000);
    await appendBronzeBatch(
      this.opts.conn,
      this.batchTable.slice('_freshet.'.length).replaceAll('"', ''),
      batches,
    );
    const progress = batches.flatMap((records, i) =>
      records.length === 0
        ? []
        : [{ partition: partitions[i]!, last: records[records.length - 1]!.offset }],
    );
    const txns = progress.map((x) => ({ appId: bronzeAppId(topic, x.partition), version: x.last }));
    try {
      const add = await writeDataFile(
        this.opts.conn,
        bronzeRowsSql(this.batchTable, topic, this.lastStamp),
        delta,
        this.opts.tmpDir,
      );
      await delta.commit(add ? [{ add }] : [], {
        operation: 'WRITE',
        operationParameters: { mode: 'Append', partitionBy: '[]' },
        // Fenced: a commit by another worker with progress for one of these partitions since
        // this snapshot makes this commit fail instead of duplicating its offsets.
        readVersion: snapshot.version,
        isBlindAppend: true,
        txns,
        commitInfo: { 'freshet.rows': total, 'freshet.worker': this.group.clientId },
      });
    } catch (err) {
      if (err instanceof CommitConflictError) {
        this.stats.fenced++;
        return 0;
      }
      throw err;
    } finally {
      await this.opts.conn.run(`DELETE FROM ${this.batchTable}`);
    }
    this.stats.rows += total;
    // The group's offsets follow the lake, never lead it.
    await this.group
      .commit({
        offsets: progress.map((x) => ({
          topic: this.log.kafkaTopic(topic),
          partition: x.partition,
          offset: BigInt(x.last + 1),
          leaderEpoch: -1,
        })),
      })
      .catch(() => undefined); // informational only; a rebalance may refuse it
    return total;
  }

  async close(): Promise<void> {
    await this.group.close().catch(() => undefined);
    await this.log.close();
    await this.opts.conn.run(`DROP TABLE IF EXISTS ${this.batchTable}`).catch(() => undefined);
  }
}
