import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddFile, DeltaTable, DeltaType, Snapshot } from '../lake/index.js';
import { deltaToDuckType } from './delta-types.js';
import { EngineError } from './errors.js';
import { copyWithStats } from './file-stats.js';
import { quoteIdent, quoteLiteral, type Connection } from './session.js';

/**
 * Shared machinery of the statements that rewrite data files (delete, merge, compaction): read a
 * chosen set of a snapshot's files as a relation shaped like the table, and write a relation back
 * as staged data files, split by partition.
 */

/** Column with the data file a row came from (its fileUri), in `filesSelect(..., identity)`. */
export const FILE_COLUMN = '__freshet_file';
/** Column with the row's position inside its data file, in `filesSelect(..., identity)`. */
export const ROW_COLUMN = '__freshet_row';

/**
 * A SELECT over some of a snapshot's files with the table's columns in schema order; partition
 * columns come from each file's partition values in the log (the data files do not hold them).
 * With `identity`, two more columns name each row's file and its position in that file.
 */
export function filesSelect(
  table: DeltaTable,
  snapshot: Snapshot,
  files: readonly AddFile[],
  opts: { identity?: boolean } = {},
): string {
  const fields = snapshot.schema.fields;
  const partitionColumns = new Set(snapshot.partitionColumns);
  const identity = opts.identity ?? false;
  if (files.length === 0) {
    const cols = fields.map((f) => `NULL::${deltaToDuckType(f.type)} AS ${quoteIdent(f.name)}`);
    if (identity)
      cols.push(
        `NULL::VARCHAR AS ${quoteIdent(FILE_COLUMN)}`,
        `NULL::BIGINT AS ${quoteIdent(ROW_COLUMN)}`,
      );
    return `SELECT ${cols.join(', ')} WHERE false`;
  }
  const groups = new Map<string, AddFile[]>();
  for (const f of files) {
    const key = JSON.stringify(snapshot.partitionColumns.map((c) => f.partitionValues[c] ?? null));
    const group = groups.get(key);
    if (group) group.push(f);
    else groups.set(key, [f]);
  }
  const extra = identity ? `, filename = ${quoteLiteral(FILE_COLUMN)}, file_row_number = true` : '';
  const selects = [...groups.values()].map((group) => {
    const values = group[0]!.partitionValues;
    const cols = fields.map((f) =>
      partitionColumns.has(f.name)
        ? `${partitionValueSql(values[f.name] ?? null, f.type)} AS ${quoteIdent(f.name)}`
        : quoteIdent(f.name),
    );
    if (identity)
      cols.push(quoteIdent(FILE_COLUMN), `file_row_number AS ${quoteIdent(ROW_COLUMN)}`);
    const list = group.map((f) => quoteLiteral(table.fileUri(f))).join(', ');
    // hive_partitioning off: partition values come from the log, typed by the schema, never
    // guessed from folder names.
    return `SELECT ${cols.join(', ')} FROM read_parquet([${list}], union_by_name = true, hive_partitioning = false${extra})`;
  });
  return selects.length === 1 ? selects[0]! : selects.map((s) => `(${s})`).join(' UNION ALL ');
}

/** A partition value from the log as a typed SQL literal ('' and null are NULL). */
export function partitionValueSql(value: string | null, type: DeltaType): string {
  const duck = deltaToDuckType(type);
  return value === null || value === ''
    ? `NULL::${duck}`
    : `CAST(${quoteLiteral(value)} AS ${duck})`;
}

/**
 * SQL that serialises a partition column the way the log stores partition values (PROTOCOL.md,
 * "Partition Value Serialization"): timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, the rest
 * as their plain text.
 */
function serializePartitionSql(column: string, type: DeltaType): string {
  const q = quoteIdent(column);
  if (type === 'timestamp') return `strftime(timezone('UTC', ${q}), '%Y-%m-%d %H:%M:%S.%f')`;
  if (type === 'timestamp_ntz') return `strftime(${q}, '%Y-%m-%d %H:%M:%S.%f')`;
  return `CAST(${q} AS VARCHAR)`;
}

export interface StageRelationOptions {
  /** Folder for the files DuckDB writes before they move into the table. */
  tmpDir: string;
  /** dataChange of the adds: false when the rows were already in the table (compaction). */
  dataChange: boolean;
  /** Split the output into files of about this many bytes. Default: one file per partition. */
  targetFileBytes?: number;
}

/**
 * Writes `relation` (with the table's columns, extra columns ignored) as data files staged into
 * `table`: one or more per partition, each with statistics. Values are cast to the table's types.
 * Returns no file for an empty relation. The files are invisible until committed; a caller that
 * gives up discards them with DeltaTable.discardStagedFile.
 */
export async function stageRelation(
  conn: Connection,
  relation: string,
  table: DeltaTable,
  snapshot: Snapshot,
  opts: StageRelationOptions,
): Promise<AddFile[]> {
  const partitionColumns = snapshot.partitionColumns;
  const fields = snapshot.schema.fields;
  const dataCols = fields
    .filter((f) => !partitionColumns.includes(f.name))
    .map(
      (f) => `CAST(${quoteIdent(f.name)} AS ${deltaToDuckType(f.type)}) AS ${quoteIdent(f.name)}`,
    )
    .join(', ');
  if (dataCols === '') {
    throw new EngineError(
      `every column of '${table.tablePath}' is a partition column; Freshet cannot write data files without data columns`,
    );
  }
  const work = join(opts.tmpDir, `stage-${randomUUID()}`);
  await mkdir(work, { recursive: true });
  const staged: AddFile[] = [];
  const temp = `__freshet_stage_${randomUUID().slice(0, 8)}`;
  try {
    if (partitionColumns.length === 0) {
      staged.push(...(await writeGroup(`SELECT ${dataCols} FROM ${relation}`, {})));
      return staged;
    }
    // Each partition is a scan: materialise once instead of re-running the relation.
    await conn.run(`CREATE TEMP TABLE ${quoteIdent(temp)} AS SELECT * FROM ${relation}`);
    const typeOf = new Map(fields.map((f) => [f.name, f.type]));
    const keys = partitionColumns.map(
      (c, i) => `${serializePartitionSql(c, typeOf.get(c)!)} AS "p${i}"`,
    );
    const partitions = await conn.rows(
      `SELECT DISTINCT ${keys.join(', ')} FROM ${quoteIdent(temp)}`,
    );
    for (const p of partitions) {
      const values: Record<string, string | null> = {};
      const where = partitionColumns.map((c, i) => {
        const v = p[`p${i}`];
        values[c] = v === null || v === undefined ? null : String(v);
        return values[c] === null
          ? `${quoteIdent(c)} IS NULL`
          : `${serializePartitionSql(c, typeOf.get(c)!)} = ${quoteLiteral(values[c]!)}`;
      });
      staged.push(
        ...(await writeGroup(
          `SELECT ${dataCols} FROM ${quoteIdent(temp)} WHERE ${where.join(' AND ')}`,
          values,
        )),
      );
    }
    return staged;
  } catch (err) {
    await Promise.all(staged.map((f) => table.discardStagedFile(f).catch(() => undefined)));
    throw err;
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(temp)}`).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }

  async function writeGroup(
    select: string,
    partitionValues: Record<string, string | null>,
  ): Promise<AddFile[]> {
    const dir = join(work, randomUUID());
    const options = ['FORMAT parquet', 'COMPRESSION snappy'];
    let target = join(dir, 'data.parquet');
    if (opts.targetFileBytes !== undefined) {
      options.push(`FILE_SIZE_BYTES ${Math.max(1, Math.floor(opts.targetFileBytes))}`);
      target = dir;
    } else await mkdir(dir, { recursive: true });
    // The statistics come from the Parquet writer: no second pass over the files written.
    const written = await copyWithStats(conn, select, target, options);
    written.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const out: AddFile[] = [];
    for (const { path, stats } of written) {
      if (stats.numRecords === 0) continue;
      const add = await table.stageDataFile(path, { partitionValues, stats });
      out.push({ ...add, dataChange: opts.dataChange });
    }
    return out;
  }
}

/** numRecords from an add's stats, or undefined when the writer recorded none. */
export function statsRows(file: Pick<AddFile, 'stats'>): number | undefined {
  if (file.stats === undefined) return undefined;
  try {
    const n = (JSON.parse(file.stats) as { numRecords?: unknown }).numRecords;
    return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}
