import { quoteIdent, type Connection } from '../engine/index.js';
import type { FreshnessSpec, SourceTable } from './project.js';

export interface FreshnessResult {
  source: string;
  status: 'pass' | 'warn' | 'error' | 'runtime error';
  maxLoadedAt: string | null;
  snapshottedAt: string;
  ageSeconds: number | null;
  criteria: FreshnessSpec;
  message: string;
}

const PERIOD_SECONDS = { minute: 60, hour: 3600, day: 86400 } as const;

function limitSeconds(spec: { count: number; period: keyof typeof PERIOD_SECONDS } | undefined) {
  if (!spec || spec.count === undefined || spec.count === null) return null;
  const unit = PERIOD_SECONDS[spec.period];
  if (!unit) throw new Error(`freshness period must be minute, hour or day, not '${spec.period}'`);
  return spec.count * unit;
}

/**
 * dbt source freshness: the age of max(loaded_at_field) against warn_after / error_after.
 * Sources without `freshness` or `loaded_at_field` are not checked (as in dbt).
 */
export async function checkFreshness(
  conn: Connection,
  sources: SourceTable[],
): Promise<FreshnessResult[]> {
  const out: FreshnessResult[] = [];
  for (const src of sources) {
    const spec = src.freshness;
    if (!spec || !src.loadedAtField) continue;
    const key = `${src.source}.${src.name}`;
    const snapshottedAt = new Date().toISOString();
    try {
      const relation = `${quoteIdent(src.schema)}.${quoteIdent(src.identifier)}`;
      const filter = spec.filter ? ` WHERE ${spec.filter}` : '';
      const [row] = await conn.rows(
        `SELECT epoch_ms(max(${src.loadedAtField})::TIMESTAMPTZ) AS max_ms FROM ${relation}${filter}`,
      );
      const maxMs = row?.max_ms === null || row?.max_ms === undefined ? null : Number(row.max_ms);
      const age = maxMs === null ? null : (Date.now() - maxMs) / 1000;
      const errorAfter = limitSeconds(spec.error_after);
      const warnAfter = limitSeconds(spec.warn_after);
      let status: FreshnessResult['status'] = 'pass';
      if (age === null) status = errorAfter !== null ? 'error' : 'warn';
      else if (errorAfter !== null && age > errorAfter) status = 'error';
      else if (warnAfter !== null && age > warnAfter) status = 'warn';
      out.push({
        source: key,
        status,
        maxLoadedAt: maxMs === null ? null : new Date(maxMs).toISOString(),
        snapshottedAt,
        ageSeconds: age,
        criteria: spec,
        message:
          age === null
            ? `${key} has no rows with ${src.loadedAtField}`
            : `${key} was last loaded ${Math.round(age)} s ago`,
      });
    } catch (err) {
      out.push({
        source: key,
        status: 'runtime error',
        maxLoadedAt: null,
        snapshottedAt,
        ageSeconds: null,
        criteria: spec,
        message: err instanceof Error ? err.message : String(err),
      });
    }
  }
  return out;
}
