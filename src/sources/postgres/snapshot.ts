// One chunk of a table's snapshot: the next rows after `lastKey` in primary-key order, as text
// (the same text pgoutput sends, so the snapshot and the stream convert values identically).
// Keyset pagination (WHERE (pk) > (last) ORDER BY pk LIMIT n) reads each chunk off the primary-key
// index, and a saved `lastKey` is all it takes to resume after a restart.

import type pg from 'pg';
import type { CapturedTable } from './catalog.js';
import { quoteIdent } from './replication-stream.js';
import { tupleToRow, type Row } from './table-model.js';
import { convertValue } from './values.js';
import type { TupleValue } from './pgoutput.js';

export interface SnapshotRow {
  /** The primary key as the event key; raw text when a key value does not convert. */
  key: Row;
  /** The primary key's text values, in key order: where the next chunk starts. */
  keyValues: string[];
  /** The converted row; throws ValueConversionError for a value JSON cannot hold. */
  row(): Row;
}

const RAW_TEXT = { getTypeParser: () => (text: string) => text };

export async function readSnapshotChunk(
  client: pg.Client,
  table: CapturedTable,
  lastKey: unknown[] | null,
  size: number,
): Promise<{ rows: SnapshotRow[]; more: boolean }> {
  const cols = table.columns.map((c) => quoteIdent(c.name)).join(', ');
  const pk = table.primaryKey.map(quoteIdent).join(', ');
  const from = `${quoteIdent(table.schema)}.${quoteIdent(table.table)}`;
  const where = lastKey
    ? `WHERE (${pk}) > (${table.primaryKey.map((_, i) => `$${i + 1}`).join(', ')})`
    : '';
  const result = await client.query<string[]>({
    text: `SELECT ${cols} FROM ${from} ${where} ORDER BY ${pk} LIMIT ${size + 1}`,
    values: lastKey ?? [],
    rowMode: 'array',
    types: RAW_TEXT,
  });
  const more = result.rows.length > size;
  const raw = more ? result.rows.slice(0, size) : result.rows;
  const keyIdx = table.primaryKey.map((k) => table.columns.findIndex((c) => c.name === k));
  return {
    more,
    rows: raw.map((values) => {
      const keyValues = keyIdx.map((i) => values[i]!);
      const key: Row = {};
      keyIdx.forEach((i, j) => {
        const c = table.columns[i]!;
        try {
          key[c.name] = convertValue(
            `${table.schema}.${table.table}.${c.name}`,
            c.typeOid,
            keyValues[j]!,
          );
        } catch {
          key[c.name] = keyValues[j]!;
        }
      });
      const tuple: TupleValue[] = values.map((v) =>
        v === null ? { kind: 'null' } : { kind: 'text', text: v },
      );
      return { key, keyValues, row: () => tupleToRow(table, tuple) };
    }),
  };
}
