// The log part: the interface every stage codes against, the embedded implementation, and
// Kafka's partitioner (shared with the Kafka implementation so keys land identically).
export type {
  AppendResult,
  FrameBatch,
  Log,
  LogRecord,
  ReadOptions,
  StoredRecord,
  TopicInfo,
} from './log.js';
export { decodeFrames } from './record-codec.js';
export { EmbeddedLog } from './embedded-log.js';
export type { EmbeddedLogOptions } from './embedded-log-options.js';
export type { FsyncPolicy, PartitionRecovery } from './partition-log.js';
export { kafkaPartition, murmur2 } from './kafka-partitioner.js';
export { KafkaLog, parseKafkaReaderUrl, parseKafkaUrl } from './kafka-log.js';
export type { KafkaLogOptions } from './kafka-log.js';
export {
  InvalidRecordError,
  InvalidTopicError,
  LogClosedError,
  LogCorruptionError,
  LogError,
  LogLockedError,
  LogStorageError,
  OffsetOutOfRangeError,
  RecordTooLargeError,
  UnknownPartitionError,
  UnknownTopicError,
} from './errors.js';
