// Confluent's wire format, what its serializers put in a Kafka message value or key:
//
//   byte 0      magic byte, always 0
//   bytes 1-4   the schema's global id, big-endian
//   bytes 5-    the payload: Avro binary (no container header) for Avro, UTF-8 JSON for JSON Schema
//
// WireSerde encodes and decodes values through any SchemaRegistry (embedded or external).

import type avro from 'avsc';
import { parseAvroSchema, validateAvro } from './avro-schema.js';
import { SchemaNotFoundError, SubjectNotFoundError } from './errors.js';
import { compileJsonSchema, validateJson } from './json-schema.js';
import type { ValidateFunction } from 'ajv';
import type { RegisteredSchema, SchemaRegistry, SchemaType } from './schema-registry.js';

export const MAGIC_BYTE = 0;
export const HEADER_SIZE = 5;

/** A message that is not in Confluent's wire format, or a value its schema refuses. */
export class WireFormatError extends Error {
  override name = 'WireFormatError';
}

/** Frames a payload: magic byte 0, the schema id (big-endian), the payload. */
export function encodeWire(schemaId: number, payload: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff) {
    throw new WireFormatError(`schema id ${schemaId} does not fit in 4 unsigned bytes`);
  }
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  out.writeUInt8(MAGIC_BYTE, 0);
  out.writeUInt32BE(schemaId, 1);
  out.set(payload, HEADER_SIZE);
  return out;
}

/** Splits a framed message into its schema id and payload; WireFormatError when it is not one. */
export function decodeWire(message: Uint8Array): { schemaId: number; payload: Buffer } {
  const buf = Buffer.isBuffer(message) ? message : Buffer.from(message);
  if (buf.length < HEADER_SIZE) {
    throw new WireFormatError(
      `message of ${buf.length} bytes is too short for Confluent's wire format ` +
        '(magic byte 0 and a 4-byte schema id come first)',
    );
  }
  const magic = buf.readUInt8(0);
  if (magic !== MAGIC_BYTE) {
    throw new WireFormatError(
      `unknown magic byte ${magic} (0x${magic.toString(16).padStart(2, '0')}); ` +
        "Confluent's wire format starts with 0 — this message was not written by a " +
        'schema-registry serializer',
    );
  }
  return { schemaId: buf.readUInt32BE(1), payload: buf.subarray(HEADER_SIZE) };
}

type Codec =
  | { schemaType: 'AVRO'; schema: RegisteredSchema; avro: avro.Type }
  | { schemaType: 'JSON'; schema: RegisteredSchema; validate: ValidateFunction };

export interface Decoded {
  schemaId: number;
  schemaType: SchemaType;
  value: unknown;
}

/**
 * Serializes values with the schemas of a registry, as Confluent's serializers do.
 *
 * @example
 * const serde = new WireSerde(registry);
 * const bytes = await serde.serialize('pos.transactions-value', event); // latest schema
 * const { schemaId, value } = await serde.deserialize(bytes);
 */
export class WireSerde {
  private readonly codecs = new Map<number, Promise<Codec>>();

  constructor(private readonly registry: SchemaRegistry) {}

  /** Encodes `value` with the subject's latest schema. */
  async serialize(subject: string, value: unknown): Promise<Buffer> {
    const latest = await this.registry.latest(subject);
    if (!latest) throw new SubjectNotFoundError(subject);
    return this.serializeWithId(latest.id, value);
  }

  /** Encodes `value` with schema `id`; WireFormatError when the schema refuses it. */
  async serializeWithId(id: number, value: unknown): Promise<Buffer> {
    const codec = await this.codec(id);
    if (codec.schemaType === 'AVRO') {
      const errors = validateAvro(codec.avro, value);
      if (errors.length > 0) throw invalid(id, errors);
      return encodeWire(id, codec.avro.toBuffer(value));
    }
    const errors = validateJson(codec.validate, value);
    if (errors.length > 0) throw invalid(id, errors);
    return encodeWire(id, Buffer.from(JSON.stringify(value), 'utf8'));
  }

  /**
   * Decodes a framed message with the schema it names. With `readerSchema` (Avro), the value is
   * resolved into that schema, as a consumer on a newer or older schema reads it.
   */
  async deserialize(message: Uint8Array, opts: { readerSchema?: string } = {}): Promise<Decoded> {
    const { schemaId, payload } = decodeWire(message);
    const codec = await this.codec(schemaId);
    if (codec.schemaType === 'AVRO') {
      let value: unknown;
      try {
        if (opts.readerSchema !== undefined) {
          const reader = parseAvroSchema(opts.readerSchema);
          value = reader.fromBuffer(payload, reader.createResolver(codec.avro));
        } else {
          value = codec.avro.fromBuffer(payload);
        }
      } catch (err) {
        throw new WireFormatError(
          `the Avro payload does not decode with schema id ${schemaId}: ${(err as Error).message}`,
        );
      }
      return { schemaId, schemaType: 'AVRO', value };
    }
    let value: unknown;
    try {
      value = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      throw new WireFormatError(
        `the JSON payload of schema id ${schemaId} is not JSON: ${(err as Error).message}`,
      );
    }
    return { schemaId, schemaType: 'JSON', value };
  }

  private codec(id: number): Promise<Codec> {
    let codec = this.codecs.get(id);
    if (!codec) {
      codec = this.load(id);
      this.codecs.set(id, codec);
      // A failed look-up (unknown id, registry down) is not remembered.
      codec.catch(() => this.codecs.delete(id));
    }
    return codec;
  }

  private async load(id: number): Promise<Codec> {
    const schema = await this.registry.getById(id);
    if (!schema) {
      throw new SchemaNotFoundError(
        `Schema ${id} not found: the message names schema id ${id}, which the registry does not have`,
      );
    }
    if (schema.schemaType === 'AVRO') {
      return { schemaType: 'AVRO', schema, avro: parseAvroSchema(schema.schema) };
    }
    return { schemaType: 'JSON', schema, validate: compileJsonSchema(schema.schema) };
  }
}

function invalid(id: number, errors: string[]): WireFormatError {
  return new WireFormatError(`value does not match schema id ${id}: ${errors.join('; ')}`);
}

/**
 * The payload of a log record that may or may not be framed: a message that starts with the
 * magic byte and has room for a schema id is Confluent-framed (JSON or text never starts with a
 * zero byte); anything else is returned as it is, with no schema id.
 */
export function unframe(message: Buffer): { payload: Buffer; schemaId: number | null } {
  if (message.length < HEADER_SIZE || message[0] !== MAGIC_BYTE)
    return { payload: message, schemaId: null };
  return { payload: message.subarray(HEADER_SIZE), schemaId: message.readUInt32BE(1) };
}
