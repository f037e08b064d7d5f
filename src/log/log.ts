// The log every other part of Freshet codes against. Two implementations stand behind it:
// the embedded durable log (default, no server) and Kafka. Anything written here must mean
// the same thing in both, which is why partitioning follows Kafka's default partitioner.

/** A record as a producer hands it to the log. */
export interface LogRecord {
  /** Decides the partition (murmur2, as Kafka does); null spreads records round-robin. */
  key: string | null;
  value: Buffer;
  headers?: Record<string, string>;
  /** Event time in epoch milliseconds; defaults to the time of the append. */
  timestamp?: number;
}

/** A record as it sits in the log, with its position. */
export interface StoredRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

/**
 * Records of one partition as the embedded log stores them on disk: whole frames, back to back,
 * not yet parsed or checked (decodeFrames does both). Offsets run from `firstOffset` to
 * `firstOffset + records - 1`.
 */
export interface FrameBatch {
  frames: Buffer[];
  records: number;
  firstOffset: number;
}

export interface AppendResult {
  partition: number;
  offset: number;
}

export interface TopicInfo {
  name: string;
  partitions: number;
}

export interface ReadOptions {
  /** At most this many records (default 1000). */
  maxRecords?: number;
  /**
   * Stop once this many bytes of key + value have been returned (default 4 MiB). At least one
   * record is always returned when one is available, however large, so a consumer never stalls.
   */
  maxBytes?: number;
}

/**
 * Topics of partitions of records addressed by offset.
 *
 * Contract:
 * - `append` resolves only once its records are durable (see the implementation's fsync
 *   policy); nothing acknowledged is ever lost. Results come back in input order.
 * - Offsets in a partition are contiguous from `startOffset` to `endOffset - 1`.
 * - `read` returns only acknowledged records, so a consumer never sees a record that a crash
 *   could still take back; it returns [] at `endOffset`.
 */
export interface Log {
  /** Idempotent; an existing topic keeps its partition count. Default 1 partition. */
  createTopic(topic: string, opts?: { partitions?: number }): Promise<void>;
  topics(): Promise<TopicInfo[]>;
  /**
   * Keyed records go to partition `kafkaPartition(key, n)`, as Kafka's default partitioner
   * does, so a key lands on the same partition here and in Kafka; null keys round-robin.
   */
  append(topic: string, records: LogRecord[]): Promise<AppendResult[]>;
  read(
    topic: string,
    partition: number,
    fromOffset: number,
    opts?: ReadOptions,
  ): Promise<StoredRecord[]>;
  /** The oldest offset still held (older ones were deleted by retention). */
  startOffset(topic: string, partition: number): Promise<number>;
  /** The next offset to be written: one past the last acknowledged record. */
  endOffset(topic: string, partition: number): Promise<number>;
  close(): Promise<void>;
}
