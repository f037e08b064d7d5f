import { LakeError } from '../errors.js';
import type { DeltaType, StructField, StructType } from '../schema.js';

/**
 * Delta schemas as Iceberg schemas (Iceberg spec, "Schemas and Data Types"): the same columns,
 * each with the field id Iceberg needs, plus the name mapping that lets a reader find those
 * columns by name in Parquet files that carry no field ids (all files DuckDB writes).
 */

export type IcebergType = string | IcebergStruct | IcebergList | IcebergMap;

export interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
}

export interface IcebergStruct {
  type: 'struct';
  fields: IcebergField[];
}

export interface IcebergList {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}

export interface IcebergMap {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}

/** One entry of `schema.name-mapping.default` (Iceberg spec, "Column Projection"). */
export interface MappedField {
  'field-id': number;
  names: string[];
  fields?: MappedField[];
}

/** A column of the converted schema, with where Delta keeps its statistics. */
export interface ConvertedColumn {
  id: number;
  type: IcebergType;
  /** Path of names in the Delta stats JSON (physical names under column mapping). */
  statsPath: string[];
}

export interface ConvertedSchema {
  schema: IcebergStruct & { 'schema-id': number };
  lastColumnId: number;
  nameMapping: MappedField[];
  /** Top-level and nested struct columns (not list elements or map entries), by logical path. */
  columns: Map<string, ConvertedColumn>;
}

const PRIMITIVES: Record<string, string> = {
  string: 'string',
  long: 'long',
  integer: 'int',
  short: 'int',
  byte: 'int',
  double: 'double',
  float: 'float',
  boolean: 'boolean',
  // Delta's `timestamp` is an instant (Parquet isAdjustedToUTC = true), Iceberg's `timestamptz`.
  timestamp: 'timestamptz',
  timestamp_ntz: 'timestamp',
  date: 'date',
  binary: 'binary',
};

const COLUMN_MAPPING_ID = 'delta.columnMapping.id';
const COLUMN_MAPPING_NAME = 'delta.columnMapping.physicalName';

/**
 * Converts a Delta schema. Field ids come from Delta's column mapping (`delta.columnMapping.id`)
 * where the table has it, so that they match the ids in its Parquet files; every other field,
 * list element and map key/value gets the next free id, in schema order, so the same schema
 * always converts to the same ids.
 */
export function convertSchema(delta: StructType, tablePath: string): ConvertedSchema {
  let next = maxMappedId(delta) + 1;
  const columns = new Map<string, ConvertedColumn>();

  const fieldId = (field: StructField): number => {
    const mapped = field.metadata[COLUMN_MAPPING_ID];
    return typeof mapped === 'number' ? mapped : next++;
  };

  const convertStruct = (
    struct: StructType,
    logical: string[] | undefined,
    stats: string[],
  ): { type: IcebergStruct; mapping: MappedField[] } => {
    const fields: IcebergField[] = [];
    const mapping: MappedField[] = [];
    for (const f of struct.fields) {
      const id = fieldId(f);
      const physical = physicalName(f);
      const statsPath = [...stats, physical];
      const path = logical && [...logical, f.name];
      const converted = convertType(f.type, path, statsPath);
      fields.push({ id, name: f.name, required: !f.nullable, type: converted.type });
      if (path) columns.set(path.join('.'), { id, type: converted.type, statsPath });
      const names = physical === f.name ? [f.name] : [physical, f.name];
      mapping.push({
        'field-id': id,
        names,
        ...(converted.mapping ? { fields: converted.mapping } : {}),
      });
    }
    return { type: { type: 'struct', fields }, mapping };
  };

  const convertType = (
    type: DeltaType,
    logical: string[] | undefined,
    stats: string[],
  ): { type: IcebergType; mapping?: MappedField[] } => {
    if (typeof type === 'string') return { type: primitive(type, stats.join('.'), tablePath) };
    switch (type.type) {
      case 'struct': {
        const { type: struct, mapping } = convertStruct(type, logical, stats);
        return { type: struct, mapping };
      }
      case 'array': {
        const elementId = next++;
        // Statistics do not describe list elements: no logical path below a list.
        const element = convertType(type.elementType, undefined, [...stats, 'element']);
        return {
          type: {
            type: 'list',
            'element-id': elementId,
            element: element.type,
            'element-required': !type.containsNull,
          },
          mapping: [withFields({ 'field-id': elementId, names: ['element'] }, element.mapping)],
        };
      }
      case 'map': {
        const keyId = next++;
        const valueId = next++;
        const key = convertType(type.keyType, undefined, [...stats, 'key']);
        const value = convertType(type.valueType, undefined, [...stats, 'value']);
        return {
          type: {
            type: 'map',
            'key-id': keyId,
            key: key.type,
            'value-id': valueId,
            value: value.type,
            'value-required': !type.valueContainsNull,
          },
          mapping: [
            withFields({ 'field-id': keyId, names: ['key'] }, key.mapping),
            withFields({ 'field-id': valueId, names: ['value'] }, value.mapping),
          ],
        };
      }
    }
  };

  const { type, mapping } = convertStruct(delta, [], []);
  return {
    schema: { type: 'struct', 'schema-id': 0, fields: type.fields },
    lastColumnId: next - 1,
    nameMapping: mapping,
    columns,
  };
}

function primitive(type: string, column: string, tablePath: string): string {
  const decimal = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type);
  if (decimal) return `decimal(${decimal[1]}, ${decimal[2]})`;
  const converted = PRIMITIVES[type];
  if (converted === undefined) {
    throw new LakeError(
      `Table '${tablePath}' cannot be described as Iceberg: column '${column}' has Delta type ` +
        `'${type}', which has no Iceberg equivalent. Leave such columns out of tables read as Iceberg.`,
    );
  }
  return converted;
}

function physicalName(field: StructField): string {
  const name = field.metadata[COLUMN_MAPPING_NAME];
  return typeof name === 'string' && name !== '' ? name : field.name;
}

function withFields(entry: MappedField, fields: MappedField[] | undefined): MappedField {
  return fields ? { ...entry, fields } : entry;
}

function maxMappedId(type: DeltaType): number {
  if (typeof type === 'string') return 0;
  switch (type.type) {
    case 'struct':
      return Math.max(
        0,
        ...type.fields.map((f) => {
          const id = f.metadata[COLUMN_MAPPING_ID];
          return Math.max(typeof id === 'number' ? id : 0, maxMappedId(f.type));
        }),
      );
    case 'array':
      return maxMappedId(type.elementType);
    case 'map':
      return Math.max(maxMappedId(type.keyType), maxMappedId(type.valueType));
  }
}
