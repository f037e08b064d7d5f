// What the source knows of one captured table (columns from information_schema, the primary key),
// how a row (from the snapshot or a binlog row event) becomes a Debezium row, and the JSON Schema
// of its change events: a column added, dropped or retyped changes the schema text, which makes
// the registry give the subject a new version.

import type { JsonValue } from '../postgres/values.js';
import { convertValue, jsonTypeOf, semanticTypeOf, valueKind, type ValueKind } from './values.js';

export type Row = Record<string, JsonValue>;

export interface MysqlColumn {
  name: string;
  /** information_schema DATA_TYPE, e.g. "int", "varchar". */
  dataType: string;
  /** information_schema COLUMN_TYPE, e.g. "int(10) unsigned", "bit(1)". */
  columnType: string;
  kind: ValueKind;
  key: boolean;
}

export interface MysqlTable {
  /** The database (Debezium's `source.db`); named `schema` to share the generic shape helpers. */
  schema: string;
  table: string;
  columns: MysqlColumn[];
  /** Primary-key column names in key order. */
  primaryKey: string[];
}

export function column(
  name: string,
  dataType: string,
  columnType: string,
  key: boolean,
): MysqlColumn {
  return { name, dataType, columnType, key, kind: valueKind(dataType, columnType) };
}

export function qualifiedName(t: { schema: string; table: string }): string {
  return `${t.schema}.${t.table}`;
}

/**
 * The row a driver returned. A column the row lacks means the table changed under the row (its
 * shape is not the one described): that is an error, not a null.
 */
export function toRow(t: MysqlTable, raw: Record<string, unknown>): Row {
  const row: Row = {};
  const where = qualifiedName(t);
  for (const c of t.columns) {
    if (!(c.name in raw)) {
      throw new Error(`${where}: the row has no column ${c.name}; the table changed under it`);
    }
    row[c.name] = convertValue(`${where}.${c.name}`, c.kind, raw[c.name]);
  }
  return row;
}

/** The primary key of a row, in key order; raw values when a key value does not convert. */
export function keyOf(t: MysqlTable, raw: Record<string, unknown>): Row {
  const key: Row = {};
  for (const name of t.primaryKey) {
    const c = t.columns.find((x) => x.name === name)!;
    try {
      key[name] = convertValue(`${qualifiedName(t)}.${name}`, c.kind, raw[name]);
    } catch {
      key[name] = String(raw[name]);
    }
  }
  return key;
}

function rowSchema(t: MysqlTable): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const c of t.columns) {
    const prop: Record<string, unknown> = {
      type: [jsonTypeOf(c.kind), 'null'],
      'x-mysql-type': c.columnType,
    };
    const semantic = semanticTypeOf(c.kind);
    if (semantic) prop['x-debezium-name'] = semantic;
    properties[c.name] = prop;
  }
  return { type: ['object', 'null'], properties, additionalProperties: false };
}

/** The JSON Schema of this table's change events (Debezium's MySQL envelope). */
export function envelopeSchema(t: MysqlTable): string {
  const row = rowSchema(t);
  return JSON.stringify({
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: `${qualifiedName(t)}.Envelope`,
    type: 'object',
    properties: {
      before: row,
      after: row,
      source: {
        type: 'object',
        properties: {
          version: { type: 'string' },
          connector: { const: 'mysql' },
          name: { type: 'string' },
          ts_ms: { type: 'integer' },
          snapshot: { enum: ['true', 'last', 'false'] },
          db: { type: 'string' },
          sequence: { type: ['string', 'null'] },
          table: { type: ['string', 'null'] },
          server_id: { type: 'integer' },
          gtid: { type: ['string', 'null'] },
          file: { type: 'string' },
          pos: { type: 'integer' },
          row: { type: 'integer' },
          thread: { type: ['integer', 'null'] },
          query: { type: ['string', 'null'] },
        },
        required: [
          'version',
          'connector',
          'name',
          'ts_ms',
          'snapshot',
          'db',
          'server_id',
          'file',
          'pos',
          'row',
        ],
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
