/**
 * The lake: Delta Lake tables (a JSON commit log plus Parquet data files) in an object store.
 * Everything else in Freshet reads and writes tables through this interface.
 */

export {
  CommitConflictError,
  CorruptLogError,
  InvalidArgumentError,
  LakeError,
  SchemaMismatchError,
  TableNotFoundError,
  UnsupportedFeatureError,
  VersionNotFoundError,
} from './errors.js';

export { joinKey, type ObjectInfo, type ObjectStore } from './object-store.js';
export { LocalObjectStore } from './local-object-store.js';
export { MemoryObjectStore } from './memory-object-store.js';

export {
  parseSchema,
  schemasEqual,
  serializeSchema,
  structField,
  validateSchema,
  type ArrayType,
  type DeltaType,
  type MapType,
  type StructField,
  type StructType,
} from './schema.js';

export {
  actionKind,
  removeAction,
  type Action,
  type ActionKind,
  type AddCdcFile,
  type AddFile,
  type CommitInfo,
  type DeletionVectorDescriptor,
  type DomainMetadataAction,
  type FileStats,
  type MetadataAction,
  type ProtocolAction,
  type RemoveFile,
  type TxnAction,
} from './actions.js';

export type { Snapshot } from './snapshot.js';
export { ENGINE_INFO, type CommitOptions } from './commit-builder.js';
export {
  DeltaTable,
  type CreateTableOptions,
  type DeltaTableOptions,
  type StageOptions,
  type WriteOptions,
} from './delta-table.js';
export { findTables } from './find-tables.js';
export { checkReadable, checkWritable } from './table-features.js';
export type { BackoffOptions } from './backoff.js';

// writes and maintenance
export { matchesPartitionFilter, partitionFilterSql, type PartitionFilter } from './delta-table.js';
export { vacuum, type VacuumOptions, type VacuumResult, type VacuumedFile } from './vacuum.js';
export { tableHistory, type HistoryEntry, type HistoryOptions } from './history.js';
export { checkTable, type TableCheckReport } from './table-check.js';
export { deletedFileRetentionMs } from './table-properties.js';

// read features
export {
  decodeDeletionVector,
  encodeDeletionVector,
  encodeDeletionVectorFile,
  inlineDescriptorData,
  loadDeletionVectors,
  readDeletionVector,
  uuidDescriptorPath,
} from './deletion-vectors.js';
export {
  columnId,
  columnMappingModeOf,
  hasRenamedFields,
  logicalPartitionValues,
  physicalName,
  physicalSchema,
  type ColumnMappingMode,
} from './column-mapping.js';
export {
  isSupportedWidening,
  typeChanges,
  widenedColumns,
  type TypeChange,
} from './type-widening.js';
export { TimestampOutOfRangeError } from './time-travel.js';
export { decodeLogPath } from './data-file-paths.js';

// s3 and iceberg
export { S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store.js';
export { objectStoreFor, parseS3Url, type ObjectStoreUrlOptions } from './object-store-url.js';
export { writeIcebergMetadata, type IcebergMetadataResult } from './iceberg/iceberg-metadata.js';
