// Deterministic event ids: the same source, topic, idempotency key and position always give the
// same id, so a batch appended twice (a retry after a crash between the append and the key
// being remembered) is recognised downstream as the same events.

import { createHash } from 'node:crypto';

/** `<source>-<32 hex of sha256(source, topic, key)>-<index>`; the key may be any text. */
export function ingestEventId(source: string, topic: string, key: string, index: number): string {
  return `${ingestEventIdPrefix(source, topic, key)}${index}`;
}

/** Everything of the id but the index: hashed once per batch, not once per event. */
export function ingestEventIdPrefix(source: string, topic: string, key: string): string {
  const digest = createHash('sha256')
    .update(`${source}\u0000${topic}\u0000${key}`, 'utf8')
    .digest('hex')
    .slice(0, 32);
  return `${source}-${digest}-`;
}

/** Idempotency keys: 1 to 255 visible ASCII characters (they travel in headers and file lines). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The record headers HTTP ingest adds, besides freshet.source / event-id / schema-id. */
export const HEADER = {
  key: 'freshet.ingest-key',
  index: 'freshet.ingest-index',
  count: 'freshet.ingest-count',
  hash: 'freshet.ingest-hash',
} as const;
