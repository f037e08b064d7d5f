// HTTP sources: push endpoints (JSON / NDJSON batches) and a pull connector for cursor-paged APIs.
export { createIngest, type Ingest, type EventProblem } from './ingest-routes.js';
export type { IngestOptions, HttpSourceConfig } from './options.js';
export type { IngestReceipt } from './receipt.js';
export { ingestEventId } from './event-ids.js';
export { HttpPullSource, PullHttpError, pullEventId } from './pull-source.js';
export type { HttpPullSourceOptions } from './pull-source.js';
export { getPath } from './json-path.js';
