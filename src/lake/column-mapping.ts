import type { AddFile, MetadataAction, ProtocolAction } from './actions.js';
import type { DeltaType, StructField, StructType } from './schema.js';
import { columnMappingMode as configuredMode } from './table-properties.js';

/**
 * Column mapping (PROTOCOL.md, "Column Mapping"): every column has a logical name (what users see,
 * renameable) and a physical name (what data files, partition values and statistics use), kept in
 * the field's metadata. In 'name' mode readers find columns in Parquet files by physical name; in
 * 'id' mode by the Parquet field id (`delta.columnMapping.id`).
 */

export type ColumnMappingMode = 'none' | 'name' | 'id';

export const PHYSICAL_NAME_KEY = 'delta.columnMapping.physicalName';
export const COLUMN_ID_KEY = 'delta.columnMapping.id';

/**
 * The mode in force. The table property counts only when the protocol supports the feature (reader
 * version 2, or 3 with `columnMapping`); otherwise readers use display names, as the protocol says.
 * An unknown mode is returned as is, for checkReadable to refuse.
 */
export function columnMappingModeOf(
  protocol: ProtocolAction,
  metadata: MetadataAction,
): ColumnMappingMode | string {
  const v = protocol.minReaderVersion;
  const supported =
    v === 2 || (v === 3 && (protocol.readerFeatures ?? []).includes('columnMapping'));
  return supported ? configuredMode(metadata.configuration) : 'none';
}

/** The name data files use for `field` (its logical name when mapping is off). */
export function physicalName(field: StructField, mode: ColumnMappingMode | string): string {
  if (mode === 'none') return field.name;
  const physical = field.metadata[PHYSICAL_NAME_KEY];
  return typeof physical === 'string' && physical !== '' ? physical : field.name;
}

/** The Parquet field id of `field` in 'id' mode, if the schema records one. */
export function columnId(field: StructField): number | undefined {
  const id = field.metadata[COLUMN_ID_KEY];
  const n = typeof id === 'string' ? Number(id) : id;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/** The schema with every field (at every depth) renamed to its physical name. */
export function physicalSchema(schema: StructType, mode: ColumnMappingMode | string): StructType {
  if (mode === 'none') return schema;
  return physicalType(schema, mode) as StructType;
}

function physicalType(type: DeltaType, mode: string): DeltaType {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'struct':
      return {
        type: 'struct',
        fields: type.fields.map((f) => ({
          ...f,
          name: physicalName(f, mode),
          type: physicalType(f.type, mode),
        })),
      };
    case 'array':
      return { ...type, elementType: physicalType(type.elementType, mode) };
    case 'map':
      return {
        ...type,
        keyType: physicalType(type.keyType, mode),
        valueType: physicalType(type.valueType, mode),
      };
  }
}

/** True when some field at any depth has a physical name other than its logical one. */
export function hasRenamedFields(type: DeltaType, mode: ColumnMappingMode | string): boolean {
  if (mode === 'none' || typeof type === 'string') return false;
  switch (type.type) {
    case 'struct':
      return type.fields.some(
        (f) => physicalName(f, mode) !== f.name || hasRenamedFields(f.type, mode),
      );
    case 'array':
      return hasRenamedFields(type.elementType, mode);
    case 'map':
      return hasRenamedFields(type.keyType, mode) || hasRenamedFields(type.valueType, mode);
  }
}

/**
 * A file's partition values by logical column name. With column mapping the log keys them by
 * physical name; a value missing from the map is null.
 */
export function logicalPartitionValues(
  add: Pick<AddFile, 'partitionValues'>,
  schema: StructType,
  partitionColumns: readonly string[],
  mode: ColumnMappingMode | string,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const column of partitionColumns) {
    const field = schema.fields.find((f) => f.name === column);
    const key = field ? physicalName(field, mode) : column;
    out[column] = add.partitionValues[key] ?? null;
  }
  return out;
}
