// What a KafkaTopicSource is configured with (freshet.yaml maps onto these fields).

import type { Log } from '../../log/index.js';
import type { Metrics } from '../../observe/index.js';
import type { CompatibilityLevel, SchemaRegistry } from '../../registry/index.js';
import type { DecimalFormat } from './avro-json.js';
import type { KafkaValueFormat } from './record-decoder.js';

export interface KafkaTopicSourceOptions {
  /** The source's name (status, `freshet.source` header). Default "kafka". */
  name?: string;
  /** Bootstrap brokers of the external cluster, `host:port`. */
  brokers: string[];
  /** Topics to read. Give this or `topicPattern`. */
  topics?: string[];
  /** Reads every topic whose whole name matches (internal `__` topics never). */
  topicPattern?: RegExp | string;
  /** Consumer group on the external cluster: splits partitions between sources, shows lag. */
  groupId: string;
  /** Client id sent to the brokers. Default `freshet-<name>`. */
  clientId?: string;
  /** Names the cluster in event ids (`kafka:<cluster>:<topic>:<partition>:<offset>`). Default: the cluster id the brokers report. */
  cluster?: string;
  /** How values (and framed keys) are encoded. Default 'auto'. */
  format?: KafkaValueFormat;
  /** The registry the external producers used (Confluent-compatible), for framed values. */
  sourceRegistry?: SchemaRegistry;
  /** Decimals in Avro values: 'string' (default, exact), 'base64' (Confluent's default) or 'numeric'. */
  decimalFormat?: DecimalFormat;
  /** Source topic → Freshet topic; a map (missing names keep theirs) or a function. Default: the same name. */
  targetTopics?: Record<string, string> | ((sourceTopic: string) => string);
  /** Partitions of a Freshet topic this source creates. Default: the source topic's count. */
  targetPartitions?: number;
  /** Freshet's log, where the events go. */
  log: Log;
  /** Freshet's registry: events are validated against `<target>-value` when it has a schema. */
  registry?: SchemaRegistry;
  /**
   * Registers each source schema (Avro converted to the JSON Schema of the events, JSON Schema as
   * it is) under `<target>-value` in `registry`, so Freshet validates what follows. Default false.
   */
  registerSchemas?: boolean;
  /**
   * Compatibility level set on a target subject with no level of its own before the first
   * registered schema (default NONE: the source cluster has already accepted the change); null
   * keeps the registry's level.
   */
  schemaCompatibility?: CompatibilityLevel | null;
  /** Where the source keeps its positions (a small JSON file, replaced atomically). */
  checkpointPath: string;
  /** Where to start a partition with neither a checkpoint nor a group offset. Default 'earliest'. */
  startFrom?: 'earliest' | 'latest';
  /** Records per partition per batch. Default 5000. */
  maxRecordsPerPartition?: number;
  /** Bytes per partition per fetch. Default 1 MiB. */
  maxBytesPerPartition?: number;
  /** How long a fetch waits at the broker for new records. Default 500 ms. */
  pollWaitMs?: number;
  /** Pause after a failure (registry down, log or cluster unreachable) before retrying. Default 1000 ms. */
  retryDelayMs?: number;
  /** Group session timeout: how long a dead source keeps its partitions. Default 10 000 ms. */
  sessionTimeoutMs?: number;
  /** Prefix of the source record's headers in Freshet's log. Default "kafka.header.". */
  headerPrefix?: string;
  /** How often a `topicPattern` is matched again for new topics. Default 30 000 ms. */
  topicRefreshMs?: number;
  metrics?: Metrics;
  onError?: (err: unknown) => void;
  onProgress?: (message: string) => void;
  /**
   * Called after a batch is durable in the log and before its positions are saved (tests use it to
   * crash in between; nothing else needs it).
   */
  beforeCheckpoint?: () => void | Promise<void>;
}
