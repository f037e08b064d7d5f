import { describe, type Connection } from '../engine/index.js';
import type { ParsedModel } from './compile.js';

/*
 * Turns DuckDB's terse errors into sentences that name the model's mistake. The one that matters
 * most: an incremental filter that reads a column from {{ this }} which the model never produces
 * (the case study's `max(last_event)`): the full build works, the first incremental run fails, and
 * the database only says "WHERE clause cannot contain aggregates" or "column not found".
 */

const SQL_WORDS = new Set(
  `select from where and or not in is null as on join left right inner outer full cross using group by
  order having limit offset union all distinct case when then else end with exists between like ilike
  true false interval cast over partition asc desc nulls first last filter within qualify window
  current_date current_timestamp now date timestamp timestamptz varchar integer bigint double
  decimal boolean text values into insert update delete set coalesce count sum min max avg any
  some lateral natural semi anti try_cast extract epoch day hour minute second month year week`
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * The column names a SQL fragment reads: identifiers that are not keywords, function names
 * (followed by a parenthesis), aliases (after AS) or qualifiers (before a dot).
 */
function identifiers(sql: string): Set<string> {
  const stripped = sql
    .replace(/'(?:[^']|'')*'/g, ' ')
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ');
  const out = new Set<string>();
  const token = /"((?:[^"]|"")+)"|\b([A-Za-z_][A-Za-z0-9_]*)\b/g;
  let previous = '';
  for (const m of stripped.matchAll(token)) {
    const word = (m[1] ?? m[2]!).replaceAll('""', '"');
    const after = stripped.slice(m.index + m[0].length);
    const isFunction = m[2] !== undefined && /^\s*\(/.test(after);
    const isQualifier = /^\s*\./.test(after);
    const isAlias = previous === 'as';
    previous = word.toLowerCase();
    if (isFunction || isQualifier || isAlias || SQL_WORDS.has(word.toLowerCase())) continue;
    out.add(word);
  }
  return out;
}

/** The select lists of `select … from {{ this }}` in a query, where it reads its own output. */
function selectsFromThis(sql: string, self: string): string[] {
  const escaped = self.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return [
    ...sql.matchAll(
      new RegExp(
        `select\\s+((?:(?!\\bselect\\b|\\bfrom\\b)[\\s\\S])*?)\\s+from\\s+${escaped}`,
        'gi',
      ),
    ),
  ].map((m) => m[1]!);
}

function thisColumnsMessage(self: string, culprits: string[], columns: string[]): string {
  const list = culprits.map((c) => `'${c}'`).join(', ');
  return (
    `its incremental filter reads ${list} from {{ this }} (${self}), ` +
    `but that table has no such column — on an incremental run {{ this }} is the model's own ` +
    `previous output, whose columns are: ${columns.join(', ')}. Read a column the model ` +
    `produces (or add it to the model's select), then run with --full-refresh`
  );
}

/**
 * The compile check before an incremental run: every column a `select … from {{ this }}` reads
 * must be one the table has. Otherwise DuckDB may bind the name to a column of the outer query
 * (a correlated subquery that silently filters wrong) or fail with a message about something else.
 */
export async function checkThisColumns(
  conn: Connection,
  model: ParsedModel,
  incrementalSql: string,
): Promise<string | null> {
  const self = model.relation.toString();
  const lists = selectsFromThis(incrementalSql, self);
  if (lists.length === 0) return null;
  const columns = (await describe(conn, self)).map((c) => c.name);
  const known = new Set(columns.map((c) => c.toLowerCase()));
  const missing = new Set<string>();
  for (const list of lists)
    for (const w of identifiers(list))
      if (!known.has(w.toLowerCase()) && !/^\d/.test(w)) missing.add(w);
  return missing.size === 0 ? null : thisColumnsMessage(self, [...missing], columns);
}

/**
 * When an incremental run fails, finds the columns its `is_incremental()` part reads from
 * {{ this }} that the table does not have. Returns a sentence, or null when that is not the cause.
 * The incremental part is the lines the incremental SQL has and the full build's does not; within
 * it, the columns read are those of `select … from {{ this }}` (else every identifier there).
 */
export async function diagnoseIncremental(
  conn: Connection,
  model: ParsedModel,
  incrementalSql: string,
  fullSql: string,
  dbMessage: string,
): Promise<string | null> {
  const fullLines = new Map<string, number>();
  for (const l of fullSql.split('\n')) fullLines.set(l.trim(), (fullLines.get(l.trim()) ?? 0) + 1);
  const added: string[] = [];
  for (const l of incrementalSql.split('\n')) {
    const n = fullLines.get(l.trim()) ?? 0;
    if (n > 0) fullLines.set(l.trim(), n - 1);
    else added.push(l);
  }
  const text = added.join('\n');
  if (!text.trim()) return null;
  const self = model.relation.toString();
  const lists = selectsFromThis(text, self);
  const candidates = new Set<string>();
  for (const m of lists.length > 0 ? lists : [text])
    for (const w of identifiers(m)) candidates.add(w);
  let columns: string[];
  try {
    columns = (await describe(conn, self)).map((c) => c.name);
  } catch {
    return null;
  }
  const known = new Set(columns.map((c) => c.toLowerCase()));
  const relationParts = new Set([model.relation.schema, model.relation.identifier]);
  const missing = [...candidates].filter(
    (w) => !known.has(w.toLowerCase()) && !relationParts.has(w) && !/^\d/.test(w),
  );
  const named = missing.filter((w) => dbMessage.includes(w));
  const culprits =
    named.length > 0 ? named : lists.length > 0 || /aggregate/i.test(dbMessage) ? missing : [];
  return culprits.length === 0 ? null : thisColumnsMessage(self, culprits, columns);
}

/** A hint for DuckDB messages that do not say what to do. */
export function hintFor(message: string): string | null {
  if (/WHERE clause cannot contain aggregates/i.test(message))
    return 'an aggregate such as max() belongs in a subquery: where x > (select max(y) from …)';
  if (/Table with name .* does not exist/i.test(message))
    return 'the relation is missing: run the models and seeds it depends on first (freshet models build), or check the source declaration';
  if (/Conversion Error/i.test(message))
    return 'a value could not be converted to the column type; check casts and the seed column_types';
  return null;
}
