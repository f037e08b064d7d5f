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
