import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const HARNESS = fileURLToPath(new URL('./crash-harness.mjs', import.meta.url));

interface Summary {
  ok: boolean;
  events: number;
  kills: number;
  phases: Record<string, number>;
  bronzeRows: number;
  duplicates: number;
  missing: number;
  foreign: number;
  cleanStop: { ok: boolean; error: string | null };
}

describe('crash harness (short)', () => {
  it('keeps every event exactly once in bronze across 8 seeded kill -9s and restarts', async () => {
    // The long version is `npm run crash` (1M events, 50 kills); this one takes ~20-30 s. Gold
    // against the oracle after kills is test/platform.test.ts's (and `npm run crash -- --verify`).
    // The harness exits 1 when anything is wrong; its JSON summary says what.
    const { stdout } = await run(
      process.execPath,
      [
        HARNESS,
        ...['--events', '30000', '--kills', '8', '--seed', '7', '--rate', '5000'],
        ...['--json', '--quiet'],
      ],
      { maxBuffer: 16 * 1024 * 1024, timeout: 150_000 },
    ).catch((err: { stdout?: string; stderr?: string }) => {
      if (!err.stdout) throw err;
      return { stdout: err.stdout };
    });
    const s = JSON.parse(stdout) as Summary & { killLog?: unknown };
    if (!s.ok) console.error('crash harness summary:', JSON.stringify(s, null, 1));
    expect(s.kills).toBe(8);
    expect({
      rows: s.bronzeRows,
      duplicates: s.duplicates,
      missing: s.missing,
      foreign: s.foreign,
    }).toEqual({ rows: 30_000, duplicates: 0, missing: 0, foreign: 0 });
    // The last run stops cleanly too (it once did not: the models after a kill during the first
    // publish of silver, fixed in the models' dependency graph).
    expect(s.cleanStop).toEqual({ ok: true, error: null });
    expect(s.ok).toBe(true);
  });
});
