// HTTP sources: push endpoints (JSON / NDJSON batches) and a pull connector for cursor-paged APIs.
export { createIngest, type Ingest, type EventProblem } from './ingest-routes.js';
export type { IngestOptions, HttpSourceConfig } from './options.js';
export type { IngestReceipt } from './receipt.js';
export { ingestEventId } from './event-ids.js';
