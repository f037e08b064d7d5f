import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * Parquet in and out for the lake, with DuckDB as a pure codec (no tables, no state): checkpoint
 * files, and footers of data files. Kept in this one module so the rest of the protocol code
 * knows nothing of DuckDB, and a native Parquet library could replace it.
 */

let instance: Promise<DuckDBInstance> | undefined;

function duck(): Promise<DuckDBInstance> {
  // One in-memory instance per process; each call gets its own connection, so concurrent
  // checkpoint reads and writes do not queue behind each other.
  instance ??= DuckDBInstance.create(':memory:', { threads: '2' });
  return instance;
}

async function withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const conn = await (await duck()).connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
  }
}

/**
 * Writes `rows` (plain JSON-able objects) to a Parquet file with exactly the given columns and
 * DuckDB types, e.g. `{ add: 'STRUCT(path VARCHAR, ...)' }`. Fields absent from a row are null.
 * The rows go through a newline-delimited JSON file because DuckDB's JSON reader converts objects
 * to nested STRUCT and MAP values by the declared type, which is what Delta's nested
 * checkpoint schema needs.
 */
export async function writeParquetRows(
  rows: readonly object[],
  columns: Readonly<Record<string, string>>,
  outPath: string,
): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-parquet-'));
  try {
    const jsonPath = path.join(dir, 'rows.ndjson');
    await fs.writeFile(jsonPath, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const spec = Object.entries(columns)
      .map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`)
      .join(', ');
    const select = Object.keys(columns).map(sqlIdent).join(', ');
    await withConnection((conn) =>
      conn.run(
        `COPY (SELECT ${select} FROM read_json(${sqlString(jsonPath)}, format = 'newline_delimited', ` +
          `columns = {${spec}}, maximum_object_size = 1073741824)) ` +
          `TO ${sqlString(outPath)} (FORMAT parquet, COMPRESSION snappy)`,
      ),
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * Reads Parquet files and returns, per row, each wanted column rendered as JSON text (null when the
 * value is null or the files have no such column). Nested STRUCT/MAP/LIST values come back as
 * JSON objects and arrays.
 */
export async function readParquetColumnsAsJson(
  files: readonly string[],
  wanted: readonly string[],
): Promise<Record<string, string | null>[]> {
  if (files.length === 0) return [];
  const source = `read_parquet([${files.map(sqlString).join(', ')}], union_by_name = true)`;
  return withConnection(async (conn) => {
    const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    const present = new Set(described.getRowObjects().map((r) => String(r.column_name)));
    const columns = wanted.filter((c) => present.has(c));
    if (columns.length === 0) return [];
    const select = columns.map((c) => `to_json(${sqlIdent(c)})::VARCHAR AS ${sqlIdent(c)}`);
    const reader = await conn.runAndReadAll(`SELECT ${select.join(', ')} FROM ${source}`);
    return reader.getRowObjects().map((row) => {
      const out: Record<string, string | null> = {};
      for (const c of columns) {
        const v = row[c];
        out[c] = v === null || v === undefined ? null : String(v);
      }
      return out;
    });
  });
}

/** Number of rows of a Parquet file, from its footer (the data pages are not read). */
export async function parquetRowCount(file: string): Promise<number> {
  return withConnection(async (conn) => {
    const reader = await conn.runAndReadAll(
      `SELECT coalesce(sum(num_rows), 0)::BIGINT AS n FROM parquet_file_metadata(${sqlString(file)})`,
    );
    return Number(reader.getRowObjects()[0]?.n ?? 0);
  });
}

function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

function sqlIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}
