import type { AddFile } from '../lake/index.js';

/** The greatest value of a timestamp column over a set of files, from their Delta stats (ms). */
export function maxTimestampStat(files: readonly AddFile[], column: string): number | null {
  let max: number | null = null;
  for (const f of files) {
    if (!f.stats) continue;
    try {
      const value = (JSON.parse(f.stats) as { maxValues?: Record<string, unknown> }).maxValues?.[
        column
      ];
      if (typeof value !== 'string') continue;
      const ms = Date.parse(value);
      if (!Number.isNaN(ms) && (max === null || ms > max)) max = ms;
    } catch {
      // a file without readable stats contributes nothing; stats are optional in Delta
    }
  }
  return max;
}
