// Avro schemas, parsed with avsc: checking a schema when it is registered, and validating
// values against it with the path of each problem.

import avro from 'avsc';

export type AvroType = avro.Type;

/** Why a schema cannot be used; the registry turns it into InvalidSchemaError. */
export class AvroSchemaProblem extends Error {}

/**
 * Parses an Avro schema. Logical types are kept as their underlying type (as Confluent's
 * compatibility checks treat them); unions are wrapped only where a JSON value would be
 * ambiguous.
 */
export function parseAvroSchema(text: string): AvroType {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    throw new AvroSchemaProblem(`not valid JSON (${(err as Error).message})`);
  }
  if (
    !(typeof schema === 'string' && schema.length > 0) &&
    !Array.isArray(schema) &&
    !(typeof schema === 'object' && schema !== null && 'type' in schema)
  ) {
    throw new AvroSchemaProblem(
      'an Avro schema must be a type name, a union array, or an object with a "type"',
    );
  }
  try {
    return avro.Type.forSchema(schema as avro.Schema, { wrapUnions: 'auto' });
  } catch (err) {
    throw new AvroSchemaProblem((err as Error).message);
  }
}

/** Returns why `text` cannot be an Avro schema, or null if it is one. */
export function avroSchemaProblem(text: string): string | null {
  try {
    parseAvroSchema(text);
    return null;
  } catch (err) {
    if (err instanceof AvroSchemaProblem) return err.message;
    throw err;
  }
}

const MAX_ERRORS = 20;

function describeType(type: AvroType): string {
  if (type.typeName.startsWith('union')) {
    return (type as avro.types.UnwrappedUnionType).types.map(describeType).join(' | ');
  }
  return type.name ?? type.typeName;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Buffer.isBuffer(value)) return `${value.length} bytes`;
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The problems of `value` against `type` as "<JSON pointer>: <reason>" lines; [] when valid. */
export function validateAvro(type: AvroType, value: unknown): string[] {
  const lines: string[] = [];
  type.isValid(value, {
    errorHook(path: string[], val: unknown, t: AvroType) {
      const at = path.length === 0 ? '(root)' : '/' + path.join('/');
      const what =
        val === undefined && path.length > 0
          ? 'is required'
          : `must be ${describeType(t)}, got ${describeValue(val)}`;
      lines.push(`${at}: ${what}`);
    },
  });
  if (lines.length > MAX_ERRORS) {
    return [...lines.slice(0, MAX_ERRORS), `... and ${lines.length - MAX_ERRORS} more`];
  }
  return lines;
}
