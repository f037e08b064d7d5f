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
