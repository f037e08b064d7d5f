export type { Source, SourceStatus } from './source.js';
export { SimulatorSource, SimulatorMismatchError, QUARANTINE_TOPIC } from './simulator-source.js';
export type { SimulatorSourceOptions } from './simulator-source.js';
export { applyFaults, DEFAULT_SILENT_AFTER, hasFaults, NO_FAULTS } from './feed-faults.js';
export type { FeedFaults } from './feed-faults.js';
export {
  PostgresCdcSource,
  PG_QUARANTINE_TOPIC,
  CaptureSetupError,
  UNAVAILABLE_VALUE,
  ValueConversionError,
} from './postgres/index.js';
export type { PostgresCdcSourceOptions, PostgresCdcStatus } from './postgres/index.js';
export {
  createIngest,
  HttpPullSource,
  PullHttpError,
  ingestEventId,
  pullEventId,
} from './http/index.js';
export type {
  EventProblem,
  HttpPullSourceOptions,
  HttpSourceConfig,
  Ingest,
  IngestOptions,
  IngestReceipt,
} from './http/index.js';
export { FileDropSource, fileEventId } from './files/index.js';
export type { FileDropSourceOptions, FileDropStatus, CsvOptions } from './files/index.js';
export { MysqlCdcSource, MYSQL_QUARANTINE_TOPIC, MysqlSetupError } from './mysql/index.js';
export type {
  MysqlCdcSourceOptions,
  MysqlCdcStatus,
  MysqlConnectionOptions,
  MysqlChangeEvent,
} from './mysql/index.js';
export {
  BadRecordError,
  KafkaTopicSource,
  kafkaEventId,
  RecordDecoder,
  avroToJson,
  avroTypeFor,
} from './kafka/index.js';
export type {
  DecimalFormat,
  KafkaTopicSourceOptions,
  KafkaTopicSourceStatus,
  KafkaValueFormat,
} from './kafka/index.js';
