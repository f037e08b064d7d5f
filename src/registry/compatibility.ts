// Compatibility levels, as Confluent's registry applies them when a schema is registered:
//
//   BACKWARD   the new schema can read data written with the latest version
//   FORWARD    data written with the new schema can be read with the latest version
//   FULL       both
//   *_TRANSITIVE  the same against every live version, not only the latest
//   NONE       no check
//
// Avro follows the Avro spec's schema resolution; JSON Schema Confluent's structural diff.

import { avroIncompatibilities, describeAvroIncompatibility } from './avro-compatibility.js';
import { parseAvroSchema } from './avro-schema.js';
import { InvalidCompatibilityLevelError } from './errors.js';
import { describeJsonDifference, jsonSchemaIncompatibilities } from './json-compatibility.js';
import {
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
  type SchemaInput,
} from './schema-registry.js';

/** Parses a level as the REST API receives it (any case); InvalidCompatibilityLevelError. */
export function parseCompatibilityLevel(level: unknown): CompatibilityLevel {
  const upper = typeof level === 'string' ? level.toUpperCase() : '';
  if ((COMPATIBILITY_LEVELS as readonly string[]).includes(upper)) {
    return upper as CompatibilityLevel;
  }
  throw new InvalidCompatibilityLevelError(level);
}

export function isTransitive(level: CompatibilityLevel): boolean {
  return level.endsWith('_TRANSITIVE');
}

/**
 * Why `reader` cannot read data written with `writer`, in Confluent's words; [] when it can.
 * `labels` say which is the "new" and which the "old" schema in the messages.
 */
export function readIncompatibilities(
  reader: SchemaInput,
  writer: SchemaInput,
  labels: { reader: string; writer: string },
): string[] {
  if (reader.schemaType !== writer.schemaType) {
    return ['Incompatible because of different schema type'];
  }
  if (reader.schemaType === 'AVRO') {
    return avroIncompatibilities(
      parseAvroSchema(reader.schema),
      parseAvroSchema(writer.schema),
    ).map((i) => describeAvroIncompatibility(i, labels));
  }
  return jsonSchemaIncompatibilities(JSON.parse(reader.schema), JSON.parse(writer.schema)).map(
    (d) => describeJsonDifference(d, labels.reader, labels.writer),
  );
}

export interface PreviousSchema extends SchemaInput {
  version: number;
}

/**
 * Checks `candidate` against the previous versions (oldest first) under `level`: against the
 * latest only, or every one for a transitive level. Returns Confluent-style messages, [] when
 * compatible. Each failing version adds {oldSchemaVersion: n}, {oldSchema: '…'} and the level,
 * as Confluent's messages do.
 */
export function checkCompatibility(
  level: CompatibilityLevel,
  candidate: SchemaInput,
  previous: readonly PreviousSchema[],
): string[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const against = isTransitive(level) ? [...previous].reverse() : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  for (const old of against) {
    const messages: string[] = [];
    if (backward) {
      messages.push(...readIncompatibilities(candidate, old, { reader: 'new', writer: 'old' }));
    }
    if (forward) {
      messages.push(...readIncompatibilities(old, candidate, { reader: 'old', writer: 'new' }));
    }
    if (messages.length > 0) {
      return [
        ...new Set(messages),
        `{oldSchemaVersion: ${old.version}}`,
        `{oldSchema: '${old.schema}'}`,
        `{compatibility: '${level}'}`,
      ];
    }
  }
  return [];
}
