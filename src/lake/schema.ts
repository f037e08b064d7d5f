import { InvalidArgumentError } from './errors.js';

/**
 * Delta table schemas, exactly as the protocol serialises them in `metaData.schemaString`
 * (Spark's JSON schema). Primitive types are strings: 'string', 'long', 'integer', 'short',
 * 'byte', 'double', 'float', 'boolean', 'timestamp', 'timestamp_ntz', 'date', 'binary',
 * 'decimal(p,s)'.
 */
export type DeltaType = string | StructType | ArrayType | MapType;

export interface StructField {
  name: string;
  type: DeltaType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export interface StructType {
  type: 'struct';
  fields: StructField[];
}

export interface ArrayType {
  type: 'array';
  elementType: DeltaType;
  containsNull: boolean;
}

export interface MapType {
  type: 'map';
  keyType: DeltaType;
  valueType: DeltaType;
  valueContainsNull: boolean;
}

const PRIMITIVES = new Set([
  'string',
  'long',
  'integer',
  'short',
  'byte',
  'double',
  'float',
  'boolean',
  'timestamp',
  'timestamp_ntz',
  'date',
  'binary',
]);
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

/** A nullable field with empty metadata: `structField('id', 'long')`. */
export function structField(
  name: string,
  type: DeltaType,
  opts: { nullable?: boolean; metadata?: Record<string, unknown> } = {},
): StructField {
  return { name, type, nullable: opts.nullable ?? true, metadata: opts.metadata ?? {} };
}

export function isPrimitiveType(type: DeltaType): type is string {
  return typeof type === 'string';
}

/**
 * Parses a schemaString (or its parsed JSON). Lenient about primitive names, because tables written
 * by newer engines may carry types we have not met ('variant', 'void'); strict about structure.
 * Throws InvalidArgumentError describing the first problem.
 */
export function parseSchema(input: unknown): StructType {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new InvalidArgumentError(`Schema is not valid JSON: ${(err as Error).message}`);
    }
  }
  const type = parseType(value, 'schema');
  if (typeof type === 'string' || type.type !== 'struct') {
    throw new InvalidArgumentError('A table schema must be a struct type.');
  }
  return type;
}

function parseType(value: unknown, where: string): DeltaType {
  if (typeof value === 'string') return value;
  if (!isObject(value))
    throw new InvalidArgumentError(`${where}: expected a type, got ${json(value)}`);
  switch (value.type) {
    case 'struct': {
      if (!Array.isArray(value.fields))
        throw new InvalidArgumentError(`${where}: struct without fields`);
      return {
        type: 'struct',
        fields: value.fields.map((f: unknown, i: number) => parseField(f, `${where}.fields[${i}]`)),
      };
    }
    case 'array':
      return {
        type: 'array',
        elementType: parseType(value.elementType, `${where}.elementType`),
        containsNull: value.containsNull !== false,
      };
    case 'map':
      return {
        type: 'map',
        keyType: parseType(value.keyType, `${where}.keyType`),
        valueType: parseType(value.valueType, `${where}.valueType`),
        valueContainsNull: value.valueContainsNull !== false,
      };
    default:
      throw new InvalidArgumentError(`${where}: unknown complex type ${json(value.type)}`);
  }
}

function parseField(value: unknown, where: string): StructField {
  if (!isObject(value) || typeof value.name !== 'string') {
    throw new InvalidArgumentError(`${where}: a field needs a string name`);
  }
  return {
    name: value.name,
    type: parseType(value.type, `${where} (${value.name})`),
    nullable: value.nullable !== false,
    metadata: isObject(value.metadata) ? value.metadata : {},
  };
}

/** The schemaString for a metaData action (field order as Spark writes it). */
export function serializeSchema(schema: StructType): string {
  return JSON.stringify(canonicalType(schema, false));
}

/** Same schema, ignoring the order of metadata keys. */
export function schemasEqual(a: StructType, b: StructType): boolean {
  return JSON.stringify(canonicalType(a, true)) === JSON.stringify(canonicalType(b, true));
}

function canonicalType(type: DeltaType, sortMetadata: boolean): unknown {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'struct':
      return {
        type: 'struct',
        fields: type.fields.map((f) => ({
          name: f.name,
          type: canonicalType(f.type, sortMetadata),
          nullable: f.nullable,
          metadata: sortMetadata ? sortKeys(f.metadata) : f.metadata,
        })),
      };
    case 'array':
      return {
        type: 'array',
        elementType: canonicalType(type.elementType, sortMetadata),
        containsNull: type.containsNull,
      };
    case 'map':
      return {
        type: 'map',
        keyType: canonicalType(type.keyType, sortMetadata),
        valueType: canonicalType(type.valueType, sortMetadata),
        valueContainsNull: type.valueContainsNull,
      };
  }
}

/**
 * Strict checks for a schema Freshet is about to write: known primitive types, names unique
 * regardless of case (the protocol requires it), partition columns present and primitive.
 */
export function validateSchema(schema: StructType, partitionColumns: string[] = []): void {
  validateStruct(schema, '');
  const byName = new Map(schema.fields.map((f) => [f.name, f]));
  const seen = new Set<string>();
  for (const col of partitionColumns) {
    const field = byName.get(col);
    if (!field) {
      throw new InvalidArgumentError(
        `Partition column '${col}' is not a top-level column of the schema (columns: ${[...byName.keys()].join(', ')}).`,
      );
    }
    if (!isPrimitiveType(field.type)) {
      throw new InvalidArgumentError(`Partition column '${col}' must have a primitive type.`);
    }
    if (seen.has(col)) throw new InvalidArgumentError(`Partition column '${col}' is listed twice.`);
    seen.add(col);
  }
}

function validateStruct(struct: StructType, path: string): void {
  const names = new Set<string>();
  for (const field of struct.fields) {
    const fieldPath = path === '' ? field.name : `${path}.${field.name}`;
    if (field.name.length === 0) throw new InvalidArgumentError(`Empty column name in '${path}'.`);
    const lower = field.name.toLowerCase();
    if (names.has(lower)) {
      throw new InvalidArgumentError(
        `Column '${fieldPath}' appears twice (Delta column names are case-insensitive).`,
      );
    }
    names.add(lower);
    validateType(field.type, fieldPath);
  }
}

function validateType(type: DeltaType, path: string): void {
  if (typeof type === 'string') {
    const decimal = DECIMAL.exec(type);
    if (decimal) {
      const precision = Number(decimal[1]);
      const scale = Number(decimal[2]);
      if (precision < 1 || precision > 38 || scale > precision) {
        throw new InvalidArgumentError(
          `Column '${path}': ${type} is out of range (precision 1..38, scale <= precision).`,
        );
      }
      return;
    }
    if (!PRIMITIVES.has(type)) {
      throw new InvalidArgumentError(
        `Column '${path}' has unknown type '${type}'. Use one of ${[...PRIMITIVES].join(', ')}, decimal(p,s), or a struct/array/map.`,
      );
    }
    return;
  }
  if (type.type === 'struct') validateStruct(type, path);
  else if (type.type === 'array') validateType(type.elementType, `${path}[]`);
  else {
    validateType(type.keyType, `${path}.key`);
    validateType(type.valueType, `${path}.value`);
  }
}

/** True when any column (at any depth) has the given primitive type. */
export function schemaUsesType(type: DeltaType, primitive: string): boolean {
  if (typeof type === 'string') return type === primitive;
  switch (type.type) {
    case 'struct':
      return type.fields.some((f) => schemaUsesType(f.type, primitive));
    case 'array':
      return schemaUsesType(type.elementType, primitive);
    case 'map':
      return schemaUsesType(type.keyType, primitive) || schemaUsesType(type.valueType, primitive);
  }
}

/** True when any field (at any depth) carries column metadata with this key or key prefix. */
export function schemaHasFieldMetadata(type: DeltaType, keyPrefix: string): boolean {
  if (typeof type === 'string') return false;
  switch (type.type) {
    case 'struct':
      return type.fields.some(
        (f) =>
          Object.keys(f.metadata).some((k) => k.startsWith(keyPrefix)) ||
          schemaHasFieldMetadata(f.type, keyPrefix),
      );
    case 'array':
      return schemaHasFieldMetadata(type.elementType, keyPrefix);
    case 'map':
      return (
        schemaHasFieldMetadata(type.keyType, keyPrefix) ||
        schemaHasFieldMetadata(type.valueType, keyPrefix)
      );
  }
}

function sortKeys(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function json(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}
