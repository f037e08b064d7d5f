// Reads records of several partitions of the external cluster with Fetch requests, one per
// leader, read_committed (records of open or aborted transactions are never returned, as Kafka's
// own consumer does). The raw bytes are kept: a null value (a tombstone) stays null, keys and
// headers stay Buffers for the decoder.

import type { Consumer, RecordsBatch } from '@platformatic/kafka';

const READ_COMMITTED = 1;
const IS_TRANSACTIONAL = 1 << 4;
const IS_CONTROL = 1 << 5;

export type GroupConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;

export interface RawRecord {
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: [Buffer | null, Buffer | null][];
  timestamp: number;
}

export interface TopicLayout {
  id: string;
  /** Leader broker of each partition. */
  leaders: number[];
}

export interface FetchWant {
  topic: string;
  partition: number;
  offset: number;
}

export interface PartitionRecords extends FetchWant {
  records: RawRecord[];
  /**
   * Where the next read starts: past the last record returned, and also past transaction markers
   * and aborted records, which are skipped without producing a record.
   */
  next: number;
  /** One past the last committed record (read_committed end), for lag. */
  end: number;
}

export interface FetchOptions {
  maxRecordsPerPartition: number;
  maxBytesPerPartition: number;
  maxWaitMs: number;
}

export async function fetchPartitions(
  consumer: GroupConsumer,
  layout: Map<string, TopicLayout>,
  wants: FetchWant[],
  opts: FetchOptions,
): Promise<PartitionRecords[]> {
  const byLeader = new Map<number, FetchWant[]>();
  for (const w of wants) {
    const leader = layout.get(w.topic)?.leaders[w.partition];
    if (leader === undefined || leader < 0)
      throw new Error(`no leader for ${w.topic}/${w.partition}`);
    const list = byLeader.get(leader) ?? [];
    list.push(w);
    byLeader.set(leader, list);
  }
  const parts = await Promise.all(
    [...byLeader].map(([node, list]) => fetchFromLeader(consumer, layout, node, list, opts)),
  );
  return parts.flat();
}

async function fetchFromLeader(
  consumer: GroupConsumer,
  layout: Map<string, TopicLayout>,
  node: number,
  wants: FetchWant[],
  opts: FetchOptions,
): Promise<PartitionRecords[]> {
  const byTopic = new Map<string, FetchWant[]>();
  for (const w of wants) byTopic.set(w.topic, [...(byTopic.get(w.topic) ?? []), w]);
  const idToTopic = new Map<string, string>();
  const topics = [...byTopic].map(([topic, list]) => {
    const id = layout.get(topic)!.id;
    idToTopic.set(id, topic);
    return {
      topicId: id,
      partitions: list.map((w) => ({
        partition: w.partition,
        currentLeaderEpoch: -1,
        fetchOffset: BigInt(w.offset),
        lastFetchedEpoch: -1,
        partitionMaxBytes: opts.maxBytesPerPartition,
      })),
    };
  });
  const response = await consumer.fetch({
    node,
    maxWaitTime: opts.maxWaitMs,
    minBytes: 1,
    maxBytes: opts.maxBytesPerPartition * wants.length,
    isolationLevel: READ_COMMITTED,
    topics,
  });
  const out: PartitionRecords[] = [];
  for (const t of response.responses) {
    const topic = idToTopic.get(t.topicId);
    if (topic === undefined) continue;
    for (const p of t.partitions) {
      const want = byTopic.get(topic)!.find((w) => w.partition === p.partitionIndex);
      if (!want) continue;
      const lso = Number(p.lastStableOffset);
      out.push({
        ...want,
        end: lso,
        ...collect(p.records ?? [], want.offset, lso, p.abortedTransactions ?? [], opts),
      });
    }
  }
  return out;
}

function collect(
  batches: RecordsBatch[],
  from: number,
  lso: number,
  abortedList: { producerId: bigint; firstOffset: bigint }[],
  opts: FetchOptions,
): { records: RawRecord[]; next: number } {
  // Aborted transactions in range, per producer, by first offset (as Kafka's consumer does).
  const aborted = new Map<bigint, bigint[]>();
  for (const a of abortedList)
    aborted.set(a.producerId, [...(aborted.get(a.producerId) ?? []), a.firstOffset]);
  for (const list of aborted.values()) list.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const records: RawRecord[] = [];
  let next = from;
  for (const batch of batches) {
    const batchEnd = Number(batch.firstOffset) + batch.lastOffsetDelta + 1;
    if (Number(batch.firstOffset) >= lso) break;
    if (skipBatch(batch, aborted)) {
      // Nothing to hand over, but the position moves past it (else a topic ending in a
      // transaction marker would never show zero lag).
      if (batchEnd <= lso) next = Math.max(next, batchEnd);
      continue;
    }
    for (const r of batch.records) {
      const offset = Number(batch.firstOffset) + r.offsetDelta;
      if (offset < from) continue;
      if (offset >= lso || records.length >= opts.maxRecordsPerPartition) return { records, next };
      records.push({
        offset,
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: Number(batch.firstTimestamp + r.timestampDelta),
      });
      next = offset + 1;
    }
    if (batchEnd <= lso) next = Math.max(next, batchEnd);
  }
  return { records, next };
}

function skipBatch(batch: RecordsBatch, aborted: Map<bigint, bigint[]>): boolean {
  const list = aborted.get(batch.producerId);
  const inAborted = list !== undefined && list.length > 0 && batch.firstOffset >= list[0]!;
  if (batch.attributes & IS_CONTROL) {
    // The marker that ends an aborted transaction: the producer's next one may be committed.
    if (inAborted) list.shift();
    return true;
  }
  return (batch.attributes & IS_TRANSACTIONAL) !== 0 && inAborted;
}
