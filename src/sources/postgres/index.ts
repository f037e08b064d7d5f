// PostgreSQL change data capture (pgoutput logical replication, Debezium envelope).
export { PostgresCdcSource, PG_QUARANTINE_TOPIC } from './postgres-cdc-source.js';
export type { PostgresCdcSourceOptions, PostgresCdcStatus } from './postgres-cdc-source.js';
export { CaptureSetupError } from './catalog.js';
export { CheckpointError } from './checkpoint.js';
export { UNAVAILABLE_VALUE } from './table-model.js';
export { ValueConversionError } from './values.js';
export { formatLsn, parseLsn } from './lsn.js';
export { topicFor, transactionTopicFor, type ChangeEvent } from './envelope.js';
