// What the source knows of one captured table: its columns (from a pgoutput Relation message or
// from the catalog for the snapshot), its key, and the JSON Schema of its change events. Turning a
// tuple into a row lives here, so the snapshot and the stream convert values the same way.

import { convertValue, jsonTypeFor, semanticTypeFor, type JsonValue } from './values.js';
import type { TupleValue } from './pgoutput.js';

/**
 * Debezium's placeholder for an unchanged TOASTed column: pgoutput does not send a large value an
 * UPDATE did not touch (unless REPLICA IDENTITY FULL), and writing null would claim the value was
 * cleared. Consumers must treat this string as "unchanged, keep what you have".
 */
export const UNAVAILABLE_VALUE = '__debezium_unavailable_value';

export interface ColumnModel {
  name: string;
  typeOid: number;
  typeMod: number;
  key: boolean;
}

export interface TableModel {
  schema: string;
  table: string;
  columns: ColumnModel[];
}

export type Row = Record<string, JsonValue>;

export function qualifiedName(t: { schema: string; table: string }): string {
  return `${t.schema}.${t.table}`;
}

/** The row a tuple holds; `unchanged` ('u') columns become UNAVAILABLE_VALUE, never null. */
export function tupleToRow(model: TableModel, tuple: TupleValue[]): Row {
  if (tuple.length !== model.columns.length) {
    throw new Error(
      `${qualifiedName(model)}: a tuple of ${tuple.length} columns for a table of ${model.columns.length}; the relation message and the row disagree`,
    );
  }
  const row: Row = {};
  const where = qualifiedName(model);
  model.columns.forEach((c, i) => {
    const v = tuple[i]!;
    row[c.name] =
      v.kind === 'null'
        ? null
        : v.kind === 'unchanged'
          ? UNAVAILABLE_VALUE
          : convertValue(`${where}.${c.name}`, c.typeOid, v.text);
  });
  return row;
}

/** A key-only old tuple ('K'): the key columns are set, the rest are null as pgoutput sends them. */
export function keyOf(model: TableModel, row: Row): Row {
  const key: Row = {};
  for (const c of model.columns) if (c.key) key[c.name] = row[c.name] ?? null;
  return key;
}

export function keyColumns(model: TableModel): ColumnModel[] {
  return model.columns.filter((c) => c.key);
}

/** JSON Schema of a row of this table (every column nullable, as a key-only old row has nulls). */
function rowSchema(model: TableModel): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const c of model.columns) {
    const t = jsonTypeFor(c.typeOid);
    // Only variable-length types are TOASTed, and all of them map to strings, so the
    // placeholder always fits the column's type.
    const prop: Record<string, unknown> = { type: [t, 'null'], 'x-pg-type-oid': c.typeOid };
    const semantic = semanticTypeFor(c.typeOid);
    if (semantic) prop['x-debezium-name'] = semantic;
    properties[c.name] = prop;
  }
  return { type: ['object', 'null'], properties, additionalProperties: false };
}

/**
 * The JSON Schema of this table's change events (Debezium's envelope). Its text changes when a
 * column is added, dropped or retyped, which makes the registry give it a new version.
 */
export function envelopeSchema(model: TableModel): string {
  const row = rowSchema(model);
  return JSON.stringify({
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `${qualifiedName(model)}.Envelope`,
    type: 'object',
    properties: {
      before: row,
      after: row,
      source: {
        type: 'object',
        properties: {
          version: { type: 'string' },
          connector: { const: 'postgresql' },
          name: { type: 'string' },
          ts_ms: { type: 'integer' },
          snapshot: { enum: ['true', 'last', 'false'] },
          db: { type: 'string' },
          sequence: { type: ['string', 'null'] },
          schema: { type: 'string' },
          table: { type: 'string' },
          txId: { type: ['integer', 'null'] },
          lsn: { type: ['integer', 'null'] },
          xmin: { type: ['integer', 'null'] },
        },
        required: ['version', 'connector', 'name', 'ts_ms', 'snapshot', 'db', 'schema', 'table'],
      },
      op: { enum: ['r', 'c', 'u', 'd', 't'] },
      ts_ms: { type: 'integer' },
      transaction: {
        type: ['object', 'null'],
        properties: {
          id: { type: 'string' },
          total_order: { type: 'integer' },
          data_collection_order: { type: 'integer' },
        },
      },
    },
    required: ['before', 'after', 'source', 'op', 'ts_ms'],
  });
}
