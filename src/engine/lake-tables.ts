import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddFile, DeltaTable, FileStats, Snapshot, StructType } from '../lake/index.js';
import { deltaToDuckType, schemaFromColumns } from './delta-types.js';
import { EngineError } from './errors.js';
import { quoteIdent, quoteLiteral, type Connection } from './session.js';

/** `"schema"."name"` */
export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * A SELECT that reads a Delta snapshot: DuckDB's Parquet reader over exactly the snapshot's
 * active files. An empty table still has its columns and types, so models that read it compile.
 */
export function snapshotSelect(table: DeltaTable, snapshot: Snapshot): string {
  if (snapshot.files.length === 0) return emptySelect(snapshot.schema);
  const files = snapshot.files.map((f) => quoteLiteral(table.fileUri(f))).join(', ');
  const columns = snapshot.schema.fields.map((f) => quoteIdent(f.name)).join(', ');
  const hive = snapshot.partitionColumns.length > 0 ? ', hive_partitioning = true' : '';
  // union_by_name: files written before a column was added lack it and read as NULL.
  return `SELECT ${columns} FROM read_parquet([${files}], union_by_name = true${hive})`;
}

function emptySelect(schema: StructType): string {
  const cols = schema.fields.map(
    (f) => `NULL::${deltaToDuckType(f.type)} AS ${quoteIdent(f.name)}`,
  );
  return `SELECT ${cols.join(', ')} WHERE false`;
}

/** (Re)defines `schema.name` as a view over a Delta snapshot. Cheap: no data is read. */
export async function defineLakeView(
  conn: Connection,
  schema: string,
  name: string,
  table: DeltaTable,
  snapshot: Snapshot,
): Promise<void> {
  await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  await conn.run(
    `CREATE OR REPLACE VIEW ${qualified(schema, name)} AS ${snapshotSelect(table, snapshot)}`,
  );
}

/** Copies a Delta snapshot into a DuckDB table (how the serving store is rebuilt from the lake). */
export async function loadLakeTable(
  conn: Connection,
  schema: string,
  name: string,
  table: DeltaTable,
  snapshot: Snapshot,
): Promise<void> {
  await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  await conn.run(
    `CREATE OR REPLACE TABLE ${qualified(schema, name)} AS ${snapshotSelect(table, snapshot)}`,
  );
}

/** The columns of a DuckDB relation, as DESCRIBE prints them. */
export async function describe(
  conn: Connection,
  relation: string,
): Promise<{ name: string; type: string }[]> {
  const rows = await conn.rows(`DESCRIBE ${relation}`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

/** The Delta schema of a DuckDB relation. */
export async function deltaSchemaOf(conn: Connection, relation: string): Promise<StructType> {
  return schemaFromColumns(await describe(conn, relation));
}

const MAX_STAT_STRING = 64;

/**
 * Per-file statistics for Delta's data skipping: row count, min, max and null count of every
 * top-level column whose type has an order (numbers, strings, dates, timestamps). Timestamps are
 * widened to whole milliseconds (min down, max up) because the stats format has millisecond
 * precision and a max rounded down would let a reader skip a file that holds a match.
 */
export async function computeStats(conn: Connection, relation: string): Promise<FileStats> {
  const columns = await describe(conn, relation);
  const exprs = ['count(*) AS "n"'];
  const kinds: { name: string; kind: 'number' | 'string' | 'timestamp' | 'date' | 'none' }[] = [];
  columns.forEach((c, i) => {
    const t = c.type.toUpperCase();
    const q = quoteIdent(c.name);
    exprs.push(`count(*) - count(${q}) AS "nc${i}"`);
    let kind: (typeof kinds)[number]['kind'] = 'none';
    if (/^(BIGINT|INTEGER|SMALLINT|TINYINT|DOUBLE|FLOAT|DECIMAL)/.test(t)) kind = 'number';
    else if (t === 'VARCHAR') kind = 'string';
    else if (t.startsWith('TIMESTAMP')) kind = 'timestamp';
    else if (t === 'DATE') kind = 'date';
    kinds.push({ name: c.name, kind });
    if (kind === 'number')
      exprs.push(`min(${q})::DOUBLE AS "mn${i}"`, `max(${q})::DOUBLE AS "mx${i}"`);
    if (kind === 'string') {
      exprs.push(
        `CASE WHEN max(length(${q})) <= ${MAX_STAT_STRING} THEN min(${q}) END AS "mn${i}"`,
        `CASE WHEN max(length(${q})) <= ${MAX_STAT_STRING} THEN max(${q}) END AS "mx${i}"`,
      );
    }
    if (kind === 'timestamp')
      exprs.push(`min(epoch_us(${q})) AS "mn${i}"`, `max(epoch_us(${q})) AS "mx${i}"`);
    if (kind === 'date')
      exprs.push(`min(${q})::VARCHAR AS "mn${i}"`, `max(${q})::VARCHAR AS "mx${i}"`);
  });
  const [row] = await conn.rows(`SELECT ${exprs.join(', ')} FROM ${relation}`);
  if (!row) throw new EngineError(`statistics query over ${relation} returned nothing`);
  const stats: FileStats = {
    numRecords: Number(row.n),
    minValues: {},
    maxValues: {},
    nullCount: {},
  };
  kinds.forEach(({ name, kind }, i) => {
    stats.nullCount[name] = Number(row[`nc${i}`]);
    const mn = row[`mn${i}`];
    const mx = row[`mx${i}`];
    if (kind === 'none' || mn === null || mn === undefined || mx === null || mx === undefined)
      return;
    if (kind === 'timestamp') {
      stats.minValues[name] = new Date(Math.floor(Number(mn) / 1000)).toISOString();
      stats.maxValues[name] = new Date(Math.ceil(Number(mx) / 1000)).toISOString();
    } else {
      stats.minValues[name] = mn;
      stats.maxValues[name] = mx;
    }
  });
  return stats;
}

/**
 * Writes a DuckDB relation as one Parquet data file staged into a Delta table (not yet committed:
 * the caller commits it together with its input position). Returns null for an empty relation,
 * so an idle stage commits nothing.
 */
export async function writeDataFile(
  conn: Connection,
  relation: string,
  table: DeltaTable,
  tmpDir: string,
): Promise<AddFile | null> {
  const stats = await computeStats(conn, relation);
  if (stats.numRecords === 0) return null;
  await mkdir(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `${randomUUID()}.parquet`);
  try {
    await conn.run(
      `COPY (SELECT * FROM ${relation}) TO ${quoteLiteral(tmp)} (FORMAT parquet, COMPRESSION snappy)`,
    );
    return await table.stageDataFile(tmp, { stats });
  } finally {
    await rm(tmp, { force: true });
  }
}
