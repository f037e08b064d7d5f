// One external record → one record for Freshet's log: its deterministic id (from the source
// position, so a replay carries the same id), the decoded key and value, the source's headers
// (prefixed), its timestamp; a tombstone stays a tombstone; what cannot be decoded or fails
// validation goes to quarantine with the reason and the source position.

import type { LogRecord } from '../../log/index.js';
import { subjectForTopic, type SchemaRegistry } from '../../registry/index.js';
import { QUARANTINE_TOPIC } from '../simulator-source.js';
import type { RawRecord } from './partition-fetch.js';
import { BadRecordError, type RecordDecoder } from './record-decoder.js';
import type { SchemaSync } from './schema-sync.js';

/** `kafka:<cluster>:<topic>:<partition>:<offset>`: the same record always has the same id. */
export function kafkaEventId(
  cluster: string,
  topic: string,
  partition: number,
  offset: number,
): string {
  return `kafka:${cluster}:${topic}:${partition}:${offset}`;
}

export interface Converted {
  topic: string;
  record: LogRecord;
  rejected: boolean;
}

export interface EventRecordContext {
  sourceName: string;
  cluster: string;
  decoder: RecordDecoder;
  registry?: SchemaRegistry;
  headerPrefix: string;
  /** Registers the events' JSON Schema in `registry` from the source schema, when asked. */
  schemaSync?: SchemaSync;
}

export async function toLogRecord(
  ctx: EventRecordContext,
  sourceTopic: string,
  target: string,
  partition: number,
  raw: RawRecord,
): Promise<Converted> {
  const position = `${sourceTopic}:${partition}:${raw.offset}`;
  const headers: Record<string, string> = {};
  for (const [k, v] of raw.headers) {
    if (k && k.length > 0)
      headers[ctx.headerPrefix + k.toString('utf8')] = v ? v.toString('utf8') : '';
  }
  Object.assign(headers, {
    'freshet.source': ctx.sourceName,
    'freshet.event-id': kafkaEventId(ctx.cluster, sourceTopic, partition, raw.offset),
    'freshet.source-position': position,
  });
  // Kafka's "no timestamp" is -1; the log then stamps the append time.
  const timestamp = raw.timestamp >= 0 ? { timestamp: raw.timestamp } : {};
  const quarantine = (err: unknown, key: string | null): Converted => ({
    topic: QUARANTINE_TOPIC,
    rejected: true,
    record: {
      key,
      // The bytes exactly as they came, so the record can be examined and replayed.
      value: raw.value ?? Buffer.alloc(0),
      headers: {
        ...headers,
        'freshet.topic': target,
        'freshet.error': err instanceof Error ? err.message : String(err),
      },
      ...timestamp,
    },
  });

  let key: string | null;
  let decoded;
  try {
    key = await ctx.decoder.key(raw.key);
  } catch (err) {
    if (err instanceof BadRecordError) return quarantine(err, raw.key?.toString('base64') ?? null);
    throw err;
  }
  try {
    decoded = await ctx.decoder.value(raw.value);
  } catch (err) {
    if (err instanceof BadRecordError) return quarantine(err, key);
    throw err;
  }
  if (decoded.kind === 'tombstone') {
    return {
      topic: target,
      rejected: false,
      record: {
        key,
        value: Buffer.alloc(0),
        headers: { ...headers, 'freshet.tombstone': 'true' },
        ...timestamp,
      },
    };
  }
  if (decoded.sourceSchemaId !== null) headers['kafka.schema-id'] = String(decoded.sourceSchemaId);
  if (ctx.schemaSync && decoded.sourceSchemaId !== null) {
    await ctx.schemaSync.ensure(target, decoded.sourceSchemaId);
  }
  if (ctx.registry) {
    // A registry that does not answer throws here: the caller pauses, the record is not at fault.
    const verdict = await ctx.registry.validate(subjectForTopic(target), decoded.value);
    if (verdict.ok) headers['freshet.schema-id'] = String(verdict.schemaId);
    // schemaId null: the subject has no schema, so there is nothing to validate against.
    else if (verdict.schemaId !== null)
      return quarantine(new Error(verdict.errors.join('; ')), key);
  }
  return {
    topic: target,
    rejected: false,
    record: { key, value: Buffer.from(JSON.stringify(decoded.value)), headers, ...timestamp },
  };
}
