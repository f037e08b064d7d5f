import type { FileStats } from '../lake/index.js';
import { EngineError } from './errors.js';
import { quoteIdent, quoteLiteral, type Connection } from './session.js';
import type { JsonValue } from './values.js';

/**
 * Per-file statistics for Delta's data skipping: row count, and min, max and null count of every
 * top-level column. Two ways to get them, with the same rules: a query over a relation
 * (computeStats), or what DuckDB's Parquet writer saw while writing the file (copyWithStats),
 * which spares a second pass over the data.
 *
 * The rules: min/max only for types with an order (numbers, strings, dates, timestamps), numbers
 * as doubles (an infinite or NaN bound is left out); strings only when both bounds are at most
 * MAX_STAT_STRING characters, which keeps the log small; timestamps widened to whole milliseconds
 * (min down, max up) because the stats format has millisecond precision and a max rounded down
 * would let a reader skip a file that holds a match.
 */

const MAX_STAT_STRING = 64;

type StatKind = 'number' | 'string' | 'timestamp' | 'date' | 'none';

interface Column {
  name: string;
  /** The DuckDB type, as DESCRIBE prints it. */
  type: string;
  kind: StatKind;
}

/** One column's statistics before assembly: bounds already converted by `boundSql`. */
interface ColumnStats {
  nullCount: JsonValue | undefined;
  min: JsonValue | undefined;
  max: JsonValue | undefined;
}

/** Statistics of every row of `relation` (a table name or a parenthesised SELECT). */
export async function computeStats(conn: Connection, relation: string): Promise<FileStats> {
  const columns = await columnsOf(conn, relation);
  const exprs = ['count(*) AS "n"'];
  columns.forEach((c, i) => {
    const q = quoteIdent(c.name);
    exprs.push(`count(*) - count(${q}) AS "nc${i}"`);
    if (c.kind === 'string') {
      const short = `length(min(${q})) <= ${MAX_STAT_STRING} AND length(max(${q})) <= ${MAX_STAT_STRING}`;
      exprs.push(
        `CASE WHEN ${short} THEN min(${q}) END AS "mn${i}"`,
        `CASE WHEN ${short} THEN max(${q}) END AS "mx${i}"`,
      );
    } else if (c.kind !== 'none') {
      exprs.push(
        `${boundSql(c.kind, `min(${q})`)} AS "mn${i}"`,
        `${boundSql(c.kind, `max(${q})`)} AS "mx${i}"`,
      );
    }
  });
  const [row] = await conn.rows(`SELECT ${exprs.join(', ')} FROM ${relation}`);
  if (!row) throw new EngineError(`statistics query over ${relation} returned nothing`);
  return assemble(
    Number(row.n),
    columns,
    columns.map((_, i) => ({ nullCount: row[`nc${i}`], min: row[`mn${i}`], max: row[`mx${i}`] })),
  );
}

/** A Parquet file written by copyWithStats, with its statistics. */
export interface WrittenFile {
  path: string;
  stats: FileStats;
}

/**
 * Runs `COPY (select) TO target (options)` and returns each file written (one, or several when
 * the options split the output) with its statistics, taken from the Parquet writer's own
 * (RETURN_STATS) instead of reading the data again. Bounds the writer reports as text are turned
 * back into values by DuckDB, by the column's type, so they mean what computeStats' would.
 *
 * @example
 * const [file] = await copyWithStats(conn, 'SELECT * FROM batch', '/tmp/x.parquet',
 *   ['FORMAT parquet', 'COMPRESSION snappy']);
 */
export async function copyWithStats(
  conn: Connection,
  select: string,
  target: string,
  options: readonly string[],
): Promise<WrittenFile[]> {
  const columns = await columnsOf(conn, `(${select})`);
  const rows = await conn.rows(
    `COPY (${select}) TO ${quoteLiteral(target)} (${[...options, 'RETURN_STATS'].join(', ')})`,
  );
  const out: WrittenFile[] = [];
  for (const row of rows) {
    const path = String(row.filename);
    out.push({ path, stats: await writerStats(conn, path, Number(row.count), columns, row) });
  }
  return out;
}

async function writerStats(
  conn: Connection,
  path: string,
  numRecords: number,
  columns: readonly Column[],
  row: Record<string, JsonValue>,
): Promise<FileStats> {
  const all = (row.column_statistics ?? {}) as Record<string, Record<string, JsonValue> | null>;
  const stats: ColumnStats[] = [];
  const convert: string[] = [];
  const unknownNulls: number[] = [];
  columns.forEach((c, i) => {
    // Nested columns are reported per leaf ("s"."a"): no entry for the column itself.
    const s = all[quoteIdent(c.name)] ?? undefined;
    const cs: ColumnStats = {
      nullCount: s?.null_count ?? undefined,
      min: undefined,
      max: undefined,
    };
    stats.push(cs);
    if (cs.nullCount === undefined) unknownNulls.push(i);
    const [mn, mx] = [s?.min, s?.max];
    // The writer leaves NaN out of float bounds; a file holding one must not be skipped by them.
    if (c.kind === 'none' || typeof mn !== 'string' || typeof mx !== 'string') return;
    if (s?.has_nan === 'true') return;
    if (c.kind === 'string') {
      // Long values come back cut (and the max bumped), but never shorter than 64 characters.
      if ([...mn].length <= MAX_STAT_STRING && [...mx].length <= MAX_STAT_STRING) {
        cs.min = mn;
        cs.max = mx;
      }
      return;
    }
    const cast = (v: string) => boundSql(c.kind, `TRY_CAST(${quoteLiteral(v)} AS ${c.type})`);
    convert.push(`${cast(mn)} AS "mn${i}"`, `${cast(mx)} AS "mx${i}"`);
  });
  if (convert.length > 0) {
    const [bounds] = await conn.rows(`SELECT ${convert.join(', ')}`);
    stats.forEach((cs, i) => {
      if (bounds && `mn${i}` in bounds) {
        cs.min = bounds[`mn${i}`];
        cs.max = bounds[`mx${i}`];
      }
    });
  }
  if (unknownNulls.length > 0 && numRecords > 0) {
    const exprs = unknownNulls.map((i) => {
      const q = quoteIdent(columns[i]!.name);
      return `count(*) - count(${q}) AS "nc${i}"`;
    });
    const [nulls] = await conn.rows(
      `SELECT ${exprs.join(', ')} FROM read_parquet(${quoteLiteral(path)})`,
    );
    for (const i of unknownNulls) stats[i]!.nullCount = nulls?.[`nc${i}`];
  } else {
    for (const i of unknownNulls) stats[i]!.nullCount = 0;
  }
  return assemble(numRecords, columns, stats);
}

/** A bound as the stats record it, from a SQL expression of the column's type. */
function boundSql(kind: StatKind, expr: string): string {
  switch (kind) {
    case 'number':
      return `(${expr})::DOUBLE`;
    case 'timestamp':
      return `epoch_us(${expr})`;
    case 'date':
      return `(${expr})::VARCHAR`;
    default:
      return expr;
  }
}

function assemble(
  numRecords: number,
  columns: readonly Column[],
  values: readonly ColumnStats[],
): FileStats {
  const stats: FileStats = { numRecords, minValues: {}, maxValues: {}, nullCount: {} };
  columns.forEach(({ name, kind }, i) => {
    const { nullCount, min, max } = values[i]!;
    stats.nullCount[name] = Number(nullCount ?? 0);
    if (kind === 'none' || min === null || min === undefined || max === null || max === undefined)
      return;
    if (kind === 'timestamp') {
      const lo = new Date(Math.floor(Number(min) / 1000));
      const hi = new Date(Math.ceil(Number(max) / 1000));
      if (Number.isNaN(lo.getTime()) || Number.isNaN(hi.getTime())) return;
      stats.minValues[name] = lo.toISOString();
      stats.maxValues[name] = hi.toISOString();
    } else if (kind === 'number') {
      if (!Number.isFinite(Number(min)) || !Number.isFinite(Number(max))) return;
      stats.minValues[name] = Number(min);
      stats.maxValues[name] = Number(max);
    } else {
      stats.minValues[name] = min;
      stats.maxValues[name] = max;
    }
  });
  return stats;
}

async function columnsOf(conn: Connection, relation: string): Promise<Column[]> {
  const rows = await conn.rows(`DESCRIBE ${relation}`);
  return rows.map((r) => {
    const type = String(r.column_type);
    return { name: String(r.column_name), type, kind: statKind(type) };
  });
}

function statKind(duckType: string): StatKind {
  const t = duckType.toUpperCase();
  // Anchored: INTEGER[] or a STRUCT is not a number.
  if (/^(BIGINT|INTEGER|SMALLINT|TINYINT|DOUBLE|FLOAT|DECIMAL(\(\d+,\s*\d+\))?)$/.test(t))
    return 'number';
  if (t === 'VARCHAR') return 'string';
  if (/^TIMESTAMP( WITH TIME ZONE|_S|_MS|_NS)?$/.test(t)) return 'timestamp';
  if (t === 'DATE') return 'date';
  return 'none';
}
