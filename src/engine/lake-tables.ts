import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  columnId,
  columnMappingModeOf,
  decodeLogPath,
  hasRenamedFields,
  joinKey,
  loadDeletionVectors,
  logicalPartitionValues,
  physicalName,
  physicalSchema,
  widenedColumns,
  type AddFile,
  type DeltaTable,
  type DeltaType,
  type Snapshot,
  type StructField,
  type StructType,
} from '../lake/index.js';
import { deltaToDuckType, schemaFromColumns } from './delta-types.js';
import { EngineError } from './errors.js';
import { copyWithStats } from './file-stats.js';
import { quoteIdent, quoteLiteral, type Connection } from './session.js';

export { computeStats } from './file-stats.js';

/** `"schema"."name"` */
export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Row indexes deleted by deletion vectors, per file of a snapshot (see loadDeletionVectors). */
export type DeletedRows = ReadonlyMap<AddFile, readonly number[]>;

/**
 * A SELECT that reads a Delta snapshot: DuckDB's Parquet reader over exactly the snapshot's
 * active files. An empty table still has its columns and types, so models that read it compile.
 *
 * Plain tables take the fast path: one read_parquet over all files. Tables with deletion vectors,
 * column mapping or widened types take the general one (see scanSelect), which needs the deleted
 * rows loaded beforehand: use prepareSnapshotSelect, which does that.
 */
export function snapshotSelect(
  table: DeltaTable,
  snapshot: Snapshot,
  deleted: DeletedRows = new Map(),
  paths: FilePaths = new Map(),
): string {
  const uri = (f: AddFile) => quoteLiteral(paths.get(f) ?? table.fileUri(f));
  if (snapshot.files.length === 0) return emptySelect(snapshot.schema);
  const mode = columnMappingModeOf(snapshot.protocol, snapshot.metadata);
  const widened = widenedColumns(snapshot.schema);
  if (mode !== 'none' || widened.size > 0 || snapshot.files.some((f) => f.deletionVector)) {
    return scanSelect(snapshot, mode, widened, deleted, uri);
  }
  const files = snapshot.files.map(uri).join(', ');
  const columns = snapshot.schema.fields.map((f) => quoteIdent(f.name)).join(', ');
  const hive = snapshot.partitionColumns.length > 0 ? ', hive_partitioning = true' : '';
  // union_by_name: files written before a column was added lack it and read as NULL.
  return `SELECT ${columns} FROM read_parquet([${files}], union_by_name = true${hive})`;
}

/** Local copies of data files, for stores DuckDB cannot read directly. */
export type FilePaths = Map<AddFile, string>;

/**
 * Data files of a store with no local paths (S3), fetched into the store's local cache: DuckDB
 * reads S3 only through its httpfs extension, which is not bundled and cannot be downloaded here.
 * Data files never change once written, so a cached copy stays valid.
 */
async function localCopies(table: DeltaTable, files: readonly AddFile[]): Promise<FilePaths> {
  const paths: FilePaths = new Map();
  const store = table.store;
  if (!store.cacheLocally || files.length === 0) return paths;
  if (store.localPath(joinKey(table.tablePath, '_delta_log')) !== null) return paths;
  const queue = files.filter((f) => !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(f.path));
  const fetchOne = async (f: AddFile) => {
    paths.set(f, await store.cacheLocally!(joinKey(table.tablePath, decodeLogPath(f.path))));
  };
  // A few at a time: enough to hide S3 latency, not so many that memory or sockets run out.
  for (let i = 0; i < queue.length; i += 16)
    await Promise.all(queue.slice(i, i + 16).map(fetchOne));
  return paths;
}

/**
 * snapshotSelect after reading the snapshot's deletion vectors (none to read: no I/O) and, for a
 * remote store, fetching its data files into the local cache.
 */
export async function prepareSnapshotSelect(
  table: DeltaTable,
  snapshot: Snapshot,
): Promise<string> {
  const [deleted, paths] = await Promise.all([
    loadDeletionVectors(table, snapshot.files),
    localCopies(table, snapshot.files),
  ]);
  return snapshotSelect(table, snapshot, deleted, paths);
}

/**
 * The general scan. Files are grouped by partition values, taken from the log (by physical name
 * under column mapping) as typed constants, so DuckDB drops whole groups on a partition filter;
 * and by whether they have deleted rows, so that only files with a deletion vector pay for
 * `file_row_number` and the anti-join that skips their deleted rows. Columns are read by physical
 * name ('name' mode, with union_by_name) or by Parquet field id ('id' mode, read_parquet's
 * `schema`), renamed to logical names at every depth, and cast to the table's type when the table
 * widened it. A column no file has reads as NULL, as the protocol asks.
 *
 * Limitation of 'id' mode: DuckDB resolves top-level columns by field id, but fields nested in a
 * struct, list or map by their physical names, which is what Spark and Databricks write anyway.
 */
function scanSelect(
  snapshot: Snapshot,
  mode: string,
  widened: ReadonlySet<string>,
  deleted: DeletedRows,
  uri: (f: AddFile) => string,
): string {
  const { schema, partitionColumns } = snapshot;
  const partitions = new Set(partitionColumns);
  const physical = physicalSchema(schema, mode).fields;
  const dataFields = schema.fields.flatMap((f, i) =>
    partitions.has(f.name) ? [] : [{ field: f, physical: physical[i]! }],
  );

  const groups = new Map<string, { values: Record<string, string | null>; files: AddFile[] }>();
  for (const file of snapshot.files) {
    let withDeletes = false;
    if (file.deletionVector) {
      const rows = deleted.get(file);
      if (!rows) {
        throw new EngineError(
          `${file.path} has a deletion vector that was not loaded: build the SELECT with prepareSnapshotSelect`,
        );
      }
      withDeletes = rows.length > 0;
    }
    const values = logicalPartitionValues(file, schema, partitionColumns, mode);
    const key = JSON.stringify([withDeletes, partitionColumns.map((c) => values[c])]);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { values, files: [] }));
    group.files.push(file);
  }

  let source: (list: string) => string;
  if (mode === 'id') {
    const ids = dataFields.map(({ field, physical: p }) => {
      const id = columnId(field);
      if (id === undefined) {
        throw new EngineError(
          `column '${field.name}' has no delta.columnMapping.id, which column mapping mode 'id' needs`,
        );
      }
      return `${id}: {name: ${quoteLiteral(p.name)}, type: ${quoteLiteral(deltaToDuckType(p.type))}, default_value: NULL}`;
    });
    // Columns are matched by field id; ids missing from a file read as NULL.
    source = (list) => `read_parquet([${list}], schema = MAP {${ids.join(', ')}})`;
  } else {
    source = (list) => `read_parquet([${list}], union_by_name = true, hive_partitioning = false)`;
  }
  // Declares every column, so one missing from all files still reads as NULL of its type (and a
  // narrower type in the files is widened to the table's).
  const declared =
    mode === 'id' || dataFields.length === 0
      ? undefined
      : `SELECT ${dataFields
          .map(({ physical: p }) => `NULL::${deltaToDuckType(p.type)} AS ${quoteIdent(p.name)}`)
          .join(', ')} WHERE false`;

  const branches = [...groups.values()].map(({ values, files }) => {
    const list = files.map(uri).join(', ');
    const deletes = files.map((f) => deleted.get(f) ?? []);
    let rows = `SELECT * FROM ${source(list)}`;
    if (deletes.some((d) => d.length > 0)) {
      rows =
        `SELECT p.* FROM (SELECT *, file_index AS "__fi", file_row_number AS "__rn" FROM ${source(list)}) AS p ` +
        `ANTI JOIN ${deletedRelation(deletes)} AS d ON p."__fi" = d.fi AND p."__rn" = d.rn`;
    }
    if (declared) rows = `(${rows}) UNION ALL BY NAME (${declared})`;
    const columns = schema.fields.map((field) => {
      if (partitions.has(field.name)) {
        return `${partitionValueSql(values[field.name] ?? null, field.type)} AS ${quoteIdent(field.name)}`;
      }
      let expr = logicalExpr(`t.${quoteIdent(physicalName(field, mode))}`, field.type, mode, 0);
      if (widened.has(field.name)) expr = `CAST(${expr} AS ${deltaToDuckType(field.type)})`;
      return `${expr} AS ${quoteIdent(field.name)}`;
    });
    return `SELECT ${columns.join(', ')} FROM (${rows}) AS t`;
  });
  return branches.length === 1 ? branches[0]! : branches.map((b) => `(${b})`).join(' UNION ALL ');
}

/**
 * The deleted rows of a group's files as a relation (fi = index of the file in the group's
 * read_parquet list, rn = row index). They travel in one string literal per file, with runs
 * written as ranges ('0-99,250'): a literal of 10^5 numbers parses in a millisecond, where as
 * many SQL values would take seconds.
 */
function deletedRelation(deletes: readonly (readonly number[])[]): string {
  const values = deletes.flatMap((rows, i) =>
    rows.length > 0 ? [`(${i}, ${quoteLiteral(rangesText(rows))})`] : [],
  );
  return (
    `(SELECT fi, unnest(generate_series(lo, hi)) AS rn FROM (` +
    `SELECT fi, CAST(split_part(r, '-', 1) AS BIGINT) AS lo, ` +
    `CAST(coalesce(nullif(split_part(r, '-', 2), ''), split_part(r, '-', 1)) AS BIGINT) AS hi ` +
    `FROM (SELECT fi, unnest(string_split(s, ',')) AS r FROM (VALUES ${values.join(', ')}) AS v(fi, s))))`
  );
}

/** Ascending row indexes as 'a-b' runs and single numbers, comma-separated. */
function rangesText(rows: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < rows.length;) {
    let j = i;
    while (j + 1 < rows.length && rows[j + 1] === rows[j]! + 1) j++;
    parts.push(j === i ? String(rows[i]) : `${rows[i]}-${rows[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** A partition value from the log as a typed literal ('' and null are NULL, as the protocol says). */
function partitionValueSql(value: string | null, type: DeltaType): string {
  const duck = deltaToDuckType(type);
  return value === null || value === ''
    ? `NULL::${duck}`
    : `CAST(${quoteLiteral(value)} AS ${duck})`;
}

/**
 * `expr` (a value read with physical names) with every nested field renamed to its logical name:
 * structs rebuilt field by field, lists and maps through lambdas. A no-op without renames.
 */
function logicalExpr(expr: string, type: DeltaType, mode: string, depth: number): string {
  if (typeof type === 'string' || !hasRenamedFields(type, mode)) return expr;
  const x = `__x${depth}`;
  switch (type.type) {
    case 'struct': {
      const fields = type.fields.map(
        (f: StructField) =>
          `${quoteIdent(f.name)} := ${logicalExpr(`struct_extract(${expr}, ${quoteLiteral(physicalName(f, mode))})`, f.type, mode, depth + 1)}`,
      );
      return `CASE WHEN ${expr} IS NULL THEN NULL ELSE struct_pack(${fields.join(', ')}) END`;
    }
    case 'array':
      return `list_transform(${expr}, lambda ${x}: ${logicalExpr(x, type.elementType, mode, depth + 1)})`;
    case 'map': {
      const key = logicalExpr(`${x}.key`, type.keyType, mode, depth + 1);
      const value = logicalExpr(`${x}.value`, type.valueType, mode, depth + 1);
      return `map_from_entries(list_transform(map_entries(${expr}), lambda ${x}: struct_pack(key := ${key}, value := ${value})))`;
    }
  }
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
  await createFromSnapshot(conn, 'VIEW', schema, name, table, snapshot);
}

/** Copies a Delta snapshot into a DuckDB table (how the serving store is rebuilt from the lake). */
export async function loadLakeTable(
  conn: Connection,
  schema: string,
  name: string,
  table: DeltaTable,
  snapshot: Snapshot,
): Promise<void> {
  await createFromSnapshot(conn, 'TABLE', schema, name, table, snapshot);
}

async function createFromSnapshot(
  conn: Connection,
  kind: 'VIEW' | 'TABLE',
  schema: string,
  name: string,
  table: DeltaTable,
  snapshot: Snapshot,
): Promise<void> {
  const select = await prepareSnapshotSelect(table, snapshot);
  await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  await conn.run(`CREATE OR REPLACE ${kind} ${qualified(schema, name)} AS ${select}`);
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
  await mkdir(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `${randomUUID()}.parquet`);
  try {
    // One pass: the statistics come from the Parquet writer, not from a query run beforehand.
    const [written] = await copyWithStats(conn, `SELECT * FROM ${relation}`, tmp, [
      'FORMAT parquet',
      'COMPRESSION snappy',
    ]);
    if (!written || written.stats.numRecords === 0) return null;
    return await table.stageDataFile(tmp, { stats: written.stats });
  } finally {
    await rm(tmp, { force: true });
  }
}
