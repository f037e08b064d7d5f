import type { QueryResult } from '../engine/index.js';

export type OutputFormat = 'table' | 'json' | 'ndjson';

const cell = (v: unknown): string =>
  v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** Renders a query result for people (an aligned table) or for scripts (JSON, NDJSON). */
export function formatResult(result: QueryResult, format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(result.rows, null, 2) + '\n';
  if (format === 'ndjson')
    return result.rows.map((r) => JSON.stringify(r)).join('\n') + (result.rows.length ? '\n' : '');
  const names = result.columns.map((c) => c.name);
  const cells = result.rows.map((r) => names.map((n) => cell(r[n])));
  const widths = names.map((n, i) =>
    Math.min(60, Math.max(n.length, ...cells.map((row) => row[i]!.length))),
  );
  const clip = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w));
  const line = (values: string[]) =>
    values
      .map((v, i) => clip(v, widths[i]!))
      .join(' │ ')
      .trimEnd();
  const out = [line(names), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...cells.map(line)];
  out.push(`(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`);
  return out.join('\n') + '\n';
}
