// Turns the bytes of an external Kafka record into a JSON value, per the source's format:
// - 'json': UTF-8 JSON (Debezium's `{schema, payload}` form unwrapped to the payload);
// - 'avro': Confluent's wire format (magic byte 0, 4-byte schema id, Avro binary), the writer
//   schema fetched by id from the source's registry, converted as avro-json.ts describes;
// - 'json-sr': Confluent's JSON Schema wire format (magic byte 0, schema id, UTF-8 JSON);
// - 'auto': a value starting with magic byte 0 is framed and decoded by its schema's type,
//   anything else is plain JSON.
// A null value is a tombstone. What cannot be decoded is a BadRecordError (→ quarantine); a
// registry that does not answer is not the record's fault, so its retriable RegistryError is
// thrown as it is and the source pauses and retries the same records.

import type avro from 'avsc';
import { decodeWire, RegistryError, type SchemaRegistry } from '../../registry/index.js';
import { avroToJson, avroTypeFor, type DecimalFormat } from './avro-json.js';
import { unwrapSchemaPayload } from './debezium.js';

export type KafkaValueFormat = 'json' | 'avro' | 'json-sr' | 'auto';

/** The record cannot become an event; the message is the quarantine reason. */
export class BadRecordError extends Error {
  override name = 'BadRecordError';
}

export type DecodedValue =
  { kind: 'value'; value: unknown; sourceSchemaId: number | null } | { kind: 'tombstone' };

export interface RecordDecoderOptions {
  format: KafkaValueFormat;
  /** The registry the external producers used (Confluent-compatible); needed for framed values. */
  sourceRegistry?: SchemaRegistry;
  decimalFormat?: DecimalFormat;
}

type WriterSchema = { type: 'AVRO'; avro: avro.Type } | { type: 'JSON' };

export class RecordDecoder {
  private readonly schemas = new Map<number, Promise<WriterSchema>>();

  constructor(private readonly opts: RecordDecoderOptions) {}

  async value(bytes: Buffer | null): Promise<DecodedValue> {
    if (bytes === null) return { kind: 'tombstone' };
    return { kind: 'value', ...(await this.decode(bytes, 'value')) };
  }

  /** The key as Freshet's log keeps it: text (decoded framed keys as compact JSON). */
  async key(bytes: Buffer | null): Promise<string | null> {
    if (bytes === null) return null;
    if (this.opts.format !== 'json' && isFramed(bytes)) {
      const { value } = await this.decode(bytes, 'key');
      return typeof value === 'string' ? value : JSON.stringify(value);
    }
    const text = bytes.toString('utf8');
    // Debezium's JSON converter wraps keys too: `{"schema":…,"payload":{"id":1}}` → `{"id":1}`.
    if (text.startsWith('{"schema"')) {
      try {
        const v = unwrapSchemaPayload(JSON.parse(text));
        return typeof v === 'string' ? v : JSON.stringify(v);
      } catch {
        return text;
      }
    }
    return text;
  }

  private async decode(
    bytes: Buffer,
    part: 'key' | 'value',
  ): Promise<{ value: unknown; sourceSchemaId: number | null }> {
    const format = this.opts.format;
    if (format === 'json' || (format === 'auto' && !isFramed(bytes))) {
      return { value: unwrapSchemaPayload(parseJson(bytes, part)), sourceSchemaId: null };
    }
    let framed;
    try {
      framed = decodeWire(bytes);
    } catch (err) {
      throw new BadRecordError(
        `the ${part} is not in Confluent's wire format: ${(err as Error).message}`,
      );
    }
    const schema = await this.writerSchema(framed.schemaId, part);
    if (schema.type === 'JSON') {
      if (format === 'avro') {
        throw new BadRecordError(
          `the ${part} names schema id ${framed.schemaId}, a JSON Schema, but the source reads Avro`,
        );
      }
      return { value: parseJson(framed.payload, part), sourceSchemaId: framed.schemaId };
    }
    if (format === 'json-sr') {
      throw new BadRecordError(
        `the ${part} names schema id ${framed.schemaId}, an Avro schema, but the source reads JSON Schema`,
      );
    }
    try {
      return { value: avroToJson(schema.avro, framed.payload), sourceSchemaId: framed.schemaId };
    } catch (err) {
      throw new BadRecordError(
        `the Avro ${part} does not decode with its writer schema id ${framed.schemaId}: ${(err as Error).message}`,
      );
    }
  }

  private writerSchema(id: number, part: string): Promise<WriterSchema> {
    let found = this.schemas.get(id);
    if (!found) {
      found = this.load(id, part);
      this.schemas.set(id, found);
      // Only schemas that loaded are remembered; a failed look-up is asked again next time.
      found.catch(() => this.schemas.delete(id));
    }
    return found;
  }

  private async load(id: number, part: string): Promise<WriterSchema> {
    const registry = this.opts.sourceRegistry;
    if (!registry) {
      throw new BadRecordError(
        `the ${part} is framed with schema id ${id} but the source has no schema registry configured`,
      );
    }
    let schema;
    try {
      schema = await registry.getById(id);
    } catch (err) {
      if (err instanceof RegistryError && err.retriable) throw err; // registry down: pause
      throw new BadRecordError(`schema id ${id} could not be fetched: ${(err as Error).message}`);
    }
    if (!schema) {
      throw new BadRecordError(
        `unknown schema id ${id}: the ${part} names a schema the source registry does not have`,
      );
    }
    if (schema.schemaType === 'JSON') return { type: 'JSON' };
    if (schema.schemaType !== 'AVRO') {
      // A registry may hold other kinds (PROTOBUF); their framing and payload are not read here.
      throw new BadRecordError(
        `schema id ${id} is a ${String(schema.schemaType)} schema; this source reads Avro and JSON Schema`,
      );
    }
    try {
      return {
        type: 'AVRO',
        avro: avroTypeFor(schema.schema, this.opts.decimalFormat ?? 'string'),
      };
    } catch (err) {
      throw new BadRecordError(
        `schema id ${id} is not a usable Avro schema: ${(err as Error).message}`,
      );
    }
  }
}

/** Confluent-framed: magic byte 0 and room for a schema id (JSON and text never start with 0). */
export function isFramed(bytes: Buffer): boolean {
  return bytes.length >= 5 && bytes[0] === 0;
}

function parseJson(bytes: Buffer, part: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new BadRecordError(`the ${part} is not JSON: ${(err as Error).message}`);
  }
}
