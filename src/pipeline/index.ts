export { Platform } from './platform.js';
export type { PlatformStatus, TableStatus, PlatformEvent } from './platform.js';
export { prepareDataDir, openLake, DataDirError, MARKER_FILE } from './data-dir.js';
export type { Lake } from './data-dir.js';
export { BRONZE_SCHEMA, BronzeWriter } from './bronze-writer.js';
export { ModelLoop } from './model-loop.js';
export { LAKE_DIR, LOG_DIR, REGISTRY_DIR, bronzeTableName, lakePath } from './names.js';
export { verifyInventory, VERIFIED_COLUMNS } from './verify.js';
export type { VerifyReport, Mismatch } from './verify.js';
