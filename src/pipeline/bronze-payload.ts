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
