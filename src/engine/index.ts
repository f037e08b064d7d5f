export { Session, Connection, quoteIdent, quoteLiteral, errorMessage } from './session.js';
export type { Row, QueryResult, SessionOptions } from './session.js';
export type { JsonValue } from './values.js';
export { EngineError, QueryError } from './errors.js';
export { deltaToDuckType, duckToDeltaType, schemaFromColumns } from './delta-types.js';
export {
  qualified,
  snapshotSelect,
  defineLakeView,
  loadLakeTable,
  describe,
  deltaSchemaOf,
  computeStats,
  writeDataFile,
} from './lake-tables.js';
export { attachLake } from './lake-catalog.js';

// writes and maintenance
export { filesMatchingKeys, filesMatchingPredicate, type SkippingResult } from './data-skipping.js';
export {
  deleteWhere,
  mergeInto,
  type DeleteResult,
  type DmlOptions,
  type DmlResult,
  type MergeOptions,
  type MergeResult,
  type WhenMatched,
  type WhenNotMatched,
} from './lake-dml.js';
export {
  compactTable,
  planCompaction,
  type CompactOptions,
  type CompactResult,
} from './lake-compact.js';

// read features
export { prepareSnapshotSelect, type DeletedRows } from './lake-tables.js';
