import type { Connection } from '../engine/index.js';
import { quoteLiteral } from '../engine/index.js';
import type { StoredRecord } from '../log/index.js';
import { unframe } from '../registry/index.js';

/**
 * What bronze keeps of a log record: the payload as text, without Confluent's wire-format frame
 * when it has one (Freshet frames events on Kafka; other producers do too), and the headers with
 * the frame's schema id when the record did not already name one.
 */
export function bronzePayload(r: Pick<StoredRecord, 'value' | 'headers'>): {
  payload: string;
  headers: string;
} {
  const { payload, schemaId } = unframe(r.value);
  const headers =
    schemaId === null || r.headers['freshet.schema-id'] !== undefined
      ? r.headers
      : { ...r.headers, 'freshet.schema-id': String(schemaId) };
  return { payload: payload.toString('utf8'), headers: JSON.stringify(headers) };
}

// A batch holds only what differs per record, as cheap appender values: numbers as DOUBLE
// (exact below 2^53) instead of a BigInt and a timestamp object per value, and no per-row topic
// or stamp. bronzeRowsSql adds those and the bronze schema's types when the Parquet file is written.
export const BRONZE_BATCH_DDL = `(event_id VARCHAR, event_key VARCHAR, payload VARCHAR,
  _headers VARCHAR, _partition INTEGER, _offset DOUBLE, _accepted_ms DOUBLE)`;

/**
 * Appends log records to a batch table (made with BRONZE_BATCH_DDL in schema `_freshet`) with
 * DuckDB's appender; returns the newest acceptance time among them (ms), or `since` if older.
 */
export async function appendBronzeBatch(
  conn: Connection,
  table: string,
  batches: StoredRecord[][],
  since = 0,
): Promise<number> {
  let maxAccepted = since;
  const appender = await conn.raw.createAppender(table, '_freshet');
  for (const records of batches) {
    for (const r of records) {
      appender.appendVarchar(
        r.headers['freshet.event-id'] ?? `${r.topic}:${r.partition}:${r.offset}`,
      );
      if (r.key === null) appender.appendNull();
      else appender.appendVarchar(r.key);
      const { payload, headers } = bronzePayload(r);
      appender.appendVarchar(payload);
      appender.appendVarchar(headers);
      appender.appendInteger(r.partition);
      appender.appendDouble(r.offset);
      appender.appendDouble(r.timestamp);
      appender.endRow();
      if (r.timestamp > maxAccepted) maxAccepted = r.timestamp;
    }
  }
  appender.closeSync();
  return maxAccepted;
}

/** The batch as bronze rows: the topic and the batch's `_ingested_at` stamp (µs) added. */
export function bronzeRowsSql(batchTable: string, topic: string, stampMicros: number): string {
  return `(SELECT event_id, event_key, payload, _headers,
      CAST(${quoteLiteral(topic)} AS VARCHAR) AS _topic, _partition,
      CAST(_offset AS BIGINT) AS _offset,
      make_timestamptz(CAST(_accepted_ms AS BIGINT) * 1000) AS _accepted_at,
      make_timestamptz(CAST(${stampMicros} AS BIGINT)) AS _ingested_at
    FROM ${batchTable})`;
}
