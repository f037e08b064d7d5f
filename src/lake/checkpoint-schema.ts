/**
 * The column layout of a classic (V1) Parquet checkpoint, as PROTOCOL.md's "Checkpoint Schema"
 * defines it: one nullable struct column per action kind, exactly one non-null per row.
 * Written with DuckDB types (parquet-codec.ts turns them into Parquet's nested types).
 *
 * Deletion vectors, row tracking and clustering columns are left out on purpose: Freshet refuses
 * to write tables that use those features, so their values would always be null.
 */

const STRING_MAP = 'MAP(VARCHAR, VARCHAR)';

export const CHECKPOINT_COLUMNS: Readonly<Record<string, string>> = {
  protocol:
    'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
  metaData:
    `STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, ` +
    `format STRUCT(provider VARCHAR, options ${STRING_MAP}), schemaString VARCHAR, ` +
    `partitionColumns VARCHAR[], configuration ${STRING_MAP}, createdTime BIGINT)`,
  txn: 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)',
  add:
    `STRUCT(path VARCHAR, partitionValues ${STRING_MAP}, size BIGINT, modificationTime BIGINT, ` +
    `dataChange BOOLEAN, stats VARCHAR, tags ${STRING_MAP})`,
  // Tombstones only serve VACUUM, so they carry no stats or tags (PROTOCOL.md).
  remove:
    `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, ` +
    `partitionValues ${STRING_MAP}, size BIGINT)`,
  domainMetadata: 'STRUCT(domain VARCHAR, configuration VARCHAR, removed BOOLEAN)',
};

/** Action columns a reader looks for in any checkpoint (others, like cdc, are ignored). */
export const CHECKPOINT_ACTION_COLUMNS = [
  'protocol',
  'metaData',
  'txn',
  'add',
  'remove',
  'domainMetadata',
  'checkpointMetadata',
  'sidecar',
] as const;
