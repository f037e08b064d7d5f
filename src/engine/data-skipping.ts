import { randomUUID } from 'node:crypto';
import type { AddFile, DeltaType, Snapshot } from '../lake/index.js';
import { deltaToDuckType } from './delta-types.js';
import { EngineError } from './errors.js';
import { quoteIdent, type Connection } from './session.js';

/**
 * Data skipping: which of a snapshot's files may hold rows a predicate or a set of keys selects,
 * judged from the min/max/null counts in each `add` (and partition values) without opening a
 * file. Never wrong in the unsafe direction: whatever cannot be judged is kept.
 *
 * Predicates are parsed by DuckDB itself (json_serialize_sql). Conjunctions, disjunctions and
 * comparisons of a column with a constant (=, <>, <, <=, >, >=, IN, BETWEEN, IS [NOT] NULL) are
 * judged; anything else counts as "may match". The constants are evaluated by DuckDB and compared
 * with the statistics in DuckDB, so types and casts behave exactly as in the real statement.
 */

export interface SkippingResult {
  /** Files that may hold matching rows, in snapshot order. */
  files: AddFile[];
  /** Files ruled out by their statistics or partition values. */
  skipped: number;
}

type Node = { class?: string; type?: string; [key: string]: unknown };

interface StatColumn {
  name: string;
  type: DeltaType;
  partition: boolean;
}

/**
 * The files of `snapshot` that may hold rows for which `predicate` (a DuckDB boolean expression
 * over the table's columns) is true. Throws EngineError when `predicate` is not one expression.
 *
 * @example
 * const { files } = await filesMatchingPredicate(conn, snapshot, "store_id = 'S0001'");
 */
export async function filesMatchingPredicate(
  conn: Connection,
  snapshot: Snapshot,
  predicate: string,
): Promise<SkippingResult> {
  const where = await parsePredicate(conn, predicate);
  const all = { files: [...snapshot.files], skipped: 0 };
  if (where === undefined || snapshot.files.length === 0) return all;

  const byName = new Map(snapshot.schema.fields.map((f) => [f.name.toLowerCase(), f]));
  const columns: StatColumn[] = [];
  const consts: { node: Node; column: number }[] = [];
  const column = (node: unknown): number | undefined => {
    const n = node as Node;
    if (n?.class !== 'COLUMN_REF') return undefined;
    const names = n.column_names as string[];
    if (names.length !== 1) return undefined;
    const field = byName.get(names[0]!.toLowerCase());
    if (!field || typeof field.type !== 'string') return undefined;
    let i = columns.findIndex((c) => c.name === field.name);
    if (i < 0) {
      i = columns.length;
      columns.push({
        name: field.name,
        type: field.type,
        partition: snapshot.partitionColumns.includes(field.name),
      });
    }
    return i;
  };
  const constant = (node: unknown, i: number): string | undefined => {
    if (!isConstant(node)) return undefined;
    consts.push({ node: node as Node, column: i });
    return `{{k${consts.length - 1}}}`; // resolved once the constants' types are known
  };
  const expr = skipExpression(where, column, constant);
  if (expr === 'TRUE') return all;

  const statsTable = `__freshet_skip_${randomUUID().slice(0, 8)}`;
  try {
    await loadStats(conn, statsTable, snapshot.files, columns);
    const constSelect =
      consts.length === 0
        ? 'SELECT 1 AS k0'
        : await constantsSelect(
            conn,
            consts.map((c) => c.node),
          );
    const constTypes = (await conn.rows(`DESCRIBE ${constSelect}`)).map((r) =>
      String(r.column_type),
    );
    // A string literal compared with a typed column is cast to the column's type by DuckDB; out of
    // its literal context (a CTE column) it would not be, so cast it the same way here.
    const resolved = expr.replace(/\{\{k(\d+)\}\}/g, (_, n: string) => {
      const { column: i } = consts[Number(n)]!;
      const duck = deltaToDuckType(columns[i]!.type);
      return constTypes[Number(n)] === 'VARCHAR' && duck !== 'VARCHAR'
        ? `TRY_CAST(k.k${n} AS ${duck})`
        : `k.k${n}`;
    });
    const rows = await conn.rows(
      `WITH k AS (${constSelect}) SELECT st.idx FROM ${quoteIdent(statsTable)} st, k WHERE ${resolved} ORDER BY st.idx`,
    );
    const files = rows.map((r) => snapshot.files[Number(r.idx)]!);
    return { files, skipped: snapshot.files.length - files.length };
  } catch {
    // Statistics that do not compare (a foreign writer's format, a type change): read everything.
    return all;
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(statsTable)}`).catch(() => undefined);
  }
}

/**
 * The files of `snapshot` that may hold a row whose `keys` equal those of some row of `source`
 * (a relation with the key columns). Rows with a null key never match, as in SQL joins.
 */
export async function filesMatchingKeys(
  conn: Connection,
  snapshot: Snapshot,
  source: string,
  keys: readonly string[],
): Promise<SkippingResult> {
  const byName = new Map(snapshot.schema.fields.map((f) => [f.name, f]));
  const columns: StatColumn[] = keys.map((k) => {
    const field = byName.get(k);
    if (!field) throw new EngineError(`key column '${k}' is not a column of the table`);
    return {
      name: k,
      type: field.type,
      partition: snapshot.partitionColumns.includes(k),
    };
  });
  if (snapshot.files.length === 0 || columns.some((c) => typeof c.type !== 'string')) {
    return { files: [...snapshot.files], skipped: 0 };
  }
  const statsTable = `__freshet_skip_${randomUUID().slice(0, 8)}`;
  try {
    await loadStats(conn, statsTable, snapshot.files, columns);
    const k = keys.map(quoteIdent);
    const anyNull = keys.map((_, i) => `COALESCE(st.an${i}, false)`).join(' OR ');
    // An unknown bound becomes the source's own bound, so it restricts nothing and the join stays
    // a plain range join.
    const bounds = keys
      .map(
        (_, i) =>
          `COALESCE(st.mn${i}, g.lo${i}) AS lo${i}, COALESCE(st.mx${i}, g.hi${i}) AS hi${i}`,
      )
      .join(', ');
    const rows = await conn.rows(
      `WITH s AS (SELECT DISTINCT ${k.join(', ')} FROM ${source}
                  WHERE ${k.map((c) => `${c} IS NOT NULL`).join(' AND ')}),
            g AS (SELECT ${k.map((c, i) => `min(${c}) AS lo${i}, max(${c}) AS hi${i}`).join(', ')} FROM s),
            f AS (SELECT st.idx, ${bounds} FROM ${quoteIdent(statsTable)} st, g WHERE NOT (${anyNull}))
       SELECT DISTINCT f.idx FROM f JOIN s ON ${k
         .map((c, i) => `s.${c} BETWEEN f.lo${i} AND f.hi${i}`)
         .join(' AND ')}
       ORDER BY 1`,
    );
    const files = rows.map((r) => snapshot.files[Number(r.idx)]!);
    return { files, skipped: snapshot.files.length - files.length };
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${quoteIdent(statsTable)}`).catch(() => undefined);
  }
}

// --- predicate analysis ---------------------------------------------------------------------------

async function parsePredicate(conn: Connection, predicate: string): Promise<Node | undefined> {
  const [row] = await conn.rows('SELECT json_serialize_sql($1::VARCHAR)::VARCHAR AS j', [
    `SELECT * FROM __freshet_t WHERE ${predicate}`,
  ]);
  // Positions are irrelevant here, and DuckDB writes "unknown" as 2^64-1, beyond a JS number.
  const text = String(row?.j ?? '').replace(/"query_location":\d+/g, '"query_location":0');
  const parsed = JSON.parse(text) as {
    error?: boolean;
    error_message?: string;
    statements?: { node: Node }[];
  };
  if (parsed.error) {
    throw new EngineError(
      `the predicate is not valid SQL: ${parsed.error_message ?? 'parse error'}`,
    );
  }
  const node = parsed.statements?.length === 1 ? parsed.statements[0]!.node : undefined;
  const modifiers = (node?.modifiers as unknown[] | undefined) ?? [];
  const groups = (node?.group_expressions as unknown[] | undefined) ?? [];
  if (
    node?.type !== 'SELECT_NODE' ||
    !node.where_clause ||
    modifiers.length > 0 ||
    groups.length > 0
  ) {
    throw new EngineError(`the predicate must be one boolean SQL expression, got: ${predicate}`);
  }
  // An integer constant too long for a JS number would be rounded on the way through JSON; judging
  // files by a rounded constant could skip a match, so such predicates skip nothing.
  if (/[:[,]\s*-?\d{16,}/.test(text)) return undefined;
  return node.where_clause as Node;
}

/** Subtrees without column references or subqueries: DuckDB evaluates them once. */
function isConstant(node: unknown): boolean {
  const n = node as Node;
  if (n?.class === 'CONSTANT') return true;
  if (n?.class === 'CAST') return isConstant(n.child);
  if (
    n?.class === 'FUNCTION' &&
    ['+', '-', '*', '/', '//', '%'].includes(String(n.function_name))
  ) {
    return ((n.children as unknown[]) ?? []).every(isConstant);
  }
  return false;
}

const FLIP: Record<string, string> = {
  COMPARE_LESSTHAN: 'COMPARE_GREATERTHAN',
  COMPARE_GREATERTHAN: 'COMPARE_LESSTHAN',
  COMPARE_LESSTHANOREQUALTO: 'COMPARE_GREATERTHANOREQUALTO',
  COMPARE_GREATERTHANOREQUALTO: 'COMPARE_LESSTHANOREQUALTO',
};

/**
 * A boolean SQL expression over the stats row `st` and the constants `k` that is false only when
 * no row of the file can satisfy `node`. Per column i: mn/mx (bounds), an (all null), hn (has a
 * null). A NULL (unknown) statistic makes an atom true.
 */
function skipExpression(
  node: Node,
  column: (n: unknown) => number | undefined,
  constant: (n: unknown, column: number) => string | undefined,
): string {
  const atom = (sql: string) => `COALESCE(${sql}, true)`;
  const compare = (op: string, i: number, k: string): string => {
    const [mn, mx, an, hn] = ['mn', 'mx', 'an', 'hn'].map((f) => `st.${f}${i}`);
    switch (op) {
      case 'COMPARE_EQUAL':
        return atom(`NOT ${an} AND ${mn} <= ${k} AND ${k} <= ${mx}`);
      case 'COMPARE_NOTEQUAL':
        return atom(`NOT ${an} AND NOT (${mn} = ${k} AND ${mx} = ${k})`);
      case 'COMPARE_LESSTHAN':
        return atom(`NOT ${an} AND ${mn} < ${k}`);
      case 'COMPARE_LESSTHANOREQUALTO':
        return atom(`NOT ${an} AND ${mn} <= ${k}`);
      case 'COMPARE_GREATERTHAN':
        return atom(`NOT ${an} AND ${mx} > ${k}`);
      case 'COMPARE_GREATERTHANOREQUALTO':
        return atom(`NOT ${an} AND ${mx} >= ${k}`);
      case 'COMPARE_NOT_DISTINCT_FROM':
        return atom(
          `CASE WHEN ${k} IS NULL THEN ${hn} ELSE NOT ${an} AND ${mn} <= ${k} AND ${k} <= ${mx} END`,
        );
      default:
        return 'TRUE';
    }
  };
  const type = String(node.type);
  switch (node.class) {
    case 'CONJUNCTION': {
      const parts = ((node.children as Node[]) ?? []).map((c) =>
        skipExpression(c, column, constant),
      );
      if (type === 'CONJUNCTION_AND') {
        const known = parts.filter((p) => p !== 'TRUE');
        return known.length === 0 ? 'TRUE' : `(${known.join(' AND ')})`;
      }
      if (type === 'CONJUNCTION_OR') {
        return parts.includes('TRUE') ? 'TRUE' : `(${parts.join(' OR ')})`;
      }
      return 'TRUE';
    }
    case 'COMPARISON': {
      let i = column(node.left);
      let k = i === undefined ? undefined : constant(node.right, i);
      let op = type;
      if (i === undefined || k === undefined) {
        i = column(node.right);
        k = i === undefined ? undefined : constant(node.left, i);
        op = FLIP[type] ?? type;
      }
      return i === undefined || k === undefined ? 'TRUE' : compare(op, i, k);
    }
    case 'BETWEEN': {
      const i = column(node.input);
      const lo = i === undefined ? undefined : constant(node.lower, i);
      const hi = lo === undefined || i === undefined ? undefined : constant(node.upper, i);
      if (i === undefined || lo === undefined || hi === undefined) return 'TRUE';
      return atom(`NOT st.an${i} AND st.mx${i} >= ${lo} AND st.mn${i} <= ${hi}`);
    }
    case 'OPERATOR': {
      const children = (node.children as Node[]) ?? [];
      const i = column(children[0]);
      if (i === undefined) return 'TRUE';
      if (type === 'OPERATOR_IS_NULL') return atom(`st.hn${i}`);
      if (type === 'OPERATOR_IS_NOT_NULL') return atom(`NOT st.an${i}`);
      if (type === 'COMPARE_IN') {
        const ks = children.slice(1).map((c) => constant(c, i));
        if (ks.length === 0 || ks.some((k) => k === undefined)) return 'TRUE';
        return `(${ks.map((k) => compare('COMPARE_EQUAL', i, k!)).join(' OR ')})`;
      }
      return 'TRUE';
    }
    default:
      return 'TRUE';
  }
}

/** `SELECT <c0> AS k0, <c1> AS k1, …` for parsed constant expressions, via DuckDB's deparser. */
async function constantsSelect(conn: Connection, consts: Node[]): Promise<string> {
  const [base] = await conn.rows("SELECT json_serialize_sql('SELECT 1')::VARCHAR AS j");
  const statement = JSON.parse(
    String(base!.j).replace(/"query_location":\d+/g, '"query_location":0'),
  ) as { statements: { node: Node }[] };
  statement.statements[0]!.node.select_list = consts.map((c, i) => ({ ...c, alias: `k${i}` }));
  const [row] = await conn.rows('SELECT json_deserialize_sql($1::JSON) AS s', [
    JSON.stringify(statement),
  ]);
  return String(row!.s);
}

// --- statistics as a DuckDB table ----------------------------------------------------------------

/** Spark and delta-rs cut string statistics to a 32-character prefix; a cut max is no bound. */
const STRING_PREFIX = 32;

/**
 * Creates `name` with one row per file: idx (position in `files`) and, per column i, mn{i}/mx{i}
 * typed as the column, an{i} (every value null) and hn{i} (some value null); NULL where unknown.
 */
async function loadStats(
  conn: Connection,
  name: string,
  files: readonly AddFile[],
  columns: readonly StatColumn[],
): Promise<void> {
  const lines = files.map((f, idx) => {
    const row: Record<string, unknown> = { idx };
    const stats = parseStats(f.stats);
    const n = stats?.numRecords;
    columns.forEach((c, i) => {
      if (c.partition) {
        const v = f.partitionValues[c.name];
        const isNull = v === null || v === undefined || v === '';
        Object.assign(row, {
          [`mn${i}`]: isNull ? null : v,
          [`mx${i}`]: isNull ? null : v,
          [`an${i}`]: isNull,
          [`hn${i}`]: isNull,
        });
        return;
      }
      const nulls = stats?.nullCount?.[c.name];
      Object.assign(row, {
        [`mn${i}`]: bound(stats?.minValues?.[c.name], false),
        [`mx${i}`]: bound(stats?.maxValues?.[c.name], true),
        [`an${i}`]: typeof nulls === 'number' && typeof n === 'number' ? nulls === n : null,
        [`hn${i}`]: typeof nulls === 'number' ? nulls > 0 : null,
      });
    });
    return JSON.stringify(row);
  });
  const cols = ["(j->>'idx')::INTEGER AS idx"];
  columns.forEach((c, i) => {
    const duck = deltaToDuckType(c.type);
    // Writers record timestamps to the millisecond, some rounding the max down: widen it.
    const widen =
      c.type === 'timestamp' || c.type === 'timestamp_ntz' ? ' + INTERVAL 1 MILLISECOND' : '';
    cols.push(
      `TRY_CAST(j->>'mn${i}' AS ${duck}) AS mn${i}`,
      `TRY_CAST(j->>'mx${i}' AS ${duck})${widen} AS mx${i}`,
      `(j->>'an${i}')::BOOLEAN AS an${i}`,
      `(j->>'hn${i}')::BOOLEAN AS hn${i}`,
    );
  });
  await conn.run(
    `CREATE TEMP TABLE ${quoteIdent(name)} AS SELECT ${cols.join(', ')}
     FROM (SELECT unnest(string_split($1::VARCHAR, chr(10)))::JSON AS j)`,
    [lines.join('\n')],
  );
}

interface ParsedStats {
  numRecords?: number;
  minValues?: Record<string, unknown>;
  maxValues?: Record<string, unknown>;
  nullCount?: Record<string, unknown>;
}

function parseStats(stats: string | undefined): ParsedStats | undefined {
  if (stats === undefined) return undefined;
  try {
    const s = JSON.parse(stats) as unknown;
    return typeof s === 'object' && s !== null ? (s as ParsedStats) : undefined;
  } catch {
    return undefined;
  }
}

/** A statistic usable as a bound, or null: nested values, imprecise numbers and cut strings are not. */
function bound(value: unknown, isMax: boolean): string | number | null {
  if (typeof value === 'number') return Math.abs(value) < 2 ** 53 ? value : null;
  if (typeof value === 'string') return isMax && value.length >= STRING_PREFIX ? null : value;
  return null;
}
