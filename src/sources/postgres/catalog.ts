// Reads what the source needs from PostgreSQL's catalog: a table's columns with their types and
// its primary key (in index order, which the chunked snapshot orders and resumes by). Also makes
// sure the publication covers every captured table.

import type pg from 'pg';
import { quoteIdent } from './replication-stream.js';
import type { TableModel } from './table-model.js';

export class CaptureSetupError extends Error {
  override name = 'CaptureSetupError';
}

export interface CapturedTable extends TableModel {
  /** Primary-key column names in index order. */
  primaryKey: string[];
}

/** Splits "schema.table" (or "table", meaning public). */
export function parseTableName(name: string): { schema: string; table: string } {
  const parts = name.split('.');
  if (parts.length === 1) return { schema: 'public', table: parts[0]! };
  if (parts.length === 2 && parts[0] && parts[1]) return { schema: parts[0], table: parts[1] };
  throw new CaptureSetupError(
    `"${name}" is not a table name; write it as schema.table, e.g. public.orders`,
  );
}

export async function describeTable(client: pg.Client, name: string): Promise<CapturedTable> {
  const { schema, table } = parseTableName(name);
  const cols = await client.query<{ name: string; type_oid: number; type_mod: number }>(
    `SELECT a.attname AS name, a.atttypid::int AS type_oid, a.atttypmod AS type_mod
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [schema, table],
  );
  if (cols.rows.length === 0) {
    throw new CaptureSetupError(
      `table ${schema}.${table} does not exist (or has no columns) in database ${client.database ?? '?'}; check the source's tables list`,
    );
  }
  const pk = await client.query<{ name: string }>(
    `SELECT a.attname AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE n.nspname = $1 AND c.relname = $2 AND i.indisprimary
      ORDER BY k.ord`,
    [schema, table],
  );
  if (pk.rows.length === 0) {
    throw new CaptureSetupError(
      `table ${schema}.${table} has no primary key: the source keys events and chunks its snapshot by it; add one (ALTER TABLE … ADD PRIMARY KEY) or leave the table out`,
    );
  }
  const primaryKey = pk.rows.map((r) => r.name);
  return {
    schema,
    table,
    primaryKey,
    columns: cols.rows.map((r) => ({
      name: r.name,
      typeOid: r.type_oid,
      typeMod: r.type_mod,
      key: primaryKey.includes(r.name),
    })),
  };
}

/** Creates the publication for `tables`, or adds those an existing one lacks. */
export async function ensurePublication(
  client: pg.Client,
  publication: string,
  tables: CapturedTable[],
): Promise<void> {
  const list = (ts: CapturedTable[]) =>
    ts.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`).join(', ');
  const exists = await client.query(`SELECT 1 FROM pg_publication WHERE pubname = $1`, [
    publication,
  ]);
  if (exists.rows.length === 0) {
    await client.query(`CREATE PUBLICATION ${quoteIdent(publication)} FOR TABLE ${list(tables)}`);
    return;
  }
  const have = await client.query<{ schemaname: string; tablename: string }>(
    `SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1`,
    [publication],
  );
  const known = new Set(have.rows.map((r) => `${r.schemaname}.${r.tablename}`));
  const missing = tables.filter((t) => !known.has(`${t.schema}.${t.table}`));
  if (missing.length > 0) {
    await client.query(`ALTER PUBLICATION ${quoteIdent(publication)} ADD TABLE ${list(missing)}`);
  }
}
