import { parseCommitFile } from './actions.js';
import { readCheckpoint } from './checkpoint-reader.js';
import { decodeLogPath } from './data-file-paths.js';
import { DeltaTable } from './delta-table.js';
import { TableNotFoundError } from './errors.js';
import { parseLastCheckpoint } from './last-checkpoint.js';
import { lastCheckpointKey, logPrefix } from './log-files.js';
import { analyzeLog } from './log-segment.js';
import { joinKey } from './object-store.js';
import type { Snapshot } from './snapshot.js';

/** What `checkTable` found. A table is consistent when `problems` is empty. */
export interface TableCheckReport {
  tablePath: string;
  /** Latest version (-1 when the log could not be replayed). */
  version: number;
  /** Active files checked. */
  files: number;
  /** Commit files parsed. */
  commits: number;
  /** Things that make the table unreadable or wrong for some reader. */
  problems: string[];
  /** Things that are allowed but worth knowing (a stale _last_checkpoint, files without stats). */
  warnings: string[];
}

/**
 * Checks a table's log for consistency: versions contiguous (a gap is fine only where a later
 * checkpoint covers it), every commit file parses, `_last_checkpoint` and the newest checkpoint
 * are readable, the latest version replays, and every file it references exists with the size
 * the log records and has statistics that parse. Reads only; safe while writers commit.
 *
 * @example
 * const report = await checkTable(await DeltaTable.open(store, 'bronze/pos_transactions'));
 * if (report.problems.length > 0) console.error(report.problems.join('\n'));
 */
export async function checkTable(table: DeltaTable): Promise<TableCheckReport> {
  const prefix = logPrefix(table.tablePath);
  const listing = analyzeLog(prefix, await table.store.list(prefix));
  if (listing.latestVersion < 0) {
    throw new TableNotFoundError(table.tablePath, table.store.description);
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  const report = (): TableCheckReport => ({
    tablePath: table.tablePath,
    version,
    files,
    commits: listing.commits.size,
    problems,
    warnings,
  });
  let version = -1;
  let files = 0;

  // Versions: every gap must lie before a checkpoint that makes it unnecessary.
  const commitVersions = [...listing.commits.keys()].sort((a, b) => a - b);
  const newestCheckpoint = listing.checkpoints[0]?.version ?? -1;
  const lowest = commitVersions[0] ?? listing.latestVersion;
  const missing: number[] = [];
  for (let v = 0; v <= listing.latestVersion; v++) {
    if (!listing.commits.has(v) && v > newestCheckpoint) missing.push(v);
  }
  if (lowest > 0 && !listing.checkpoints.some((c) => c.version >= lowest - 1)) {
    problems.push(
      `the commits before version ${lowest} are gone and no checkpoint covers them: the table cannot be replayed`,
    );
  } else if (missing.length > 0) {
    problems.push(`commit file(s) missing for version(s) ${ranges(missing)}`);
  }

  // Every commit file parses.
  for (let i = 0; i < commitVersions.length; i += 64) {
    const batch = commitVersions.slice(i, i + 64);
    await Promise.all(
      batch.map(async (v) => {
        const key = listing.commits.get(v)!;
        try {
          const data = await table.store.get(key);
          if (data === null) problems.push(`version ${v}: the commit file disappeared`);
          else parseCommitFile(data.toString('utf8'), key);
        } catch (err) {
          problems.push(`version ${v}: ${(err as Error).message}`);
        }
      }),
    );
  }

  // The checkpoint readers start from.
  const hintData = await table.store.get(lastCheckpointKey(table.tablePath));
  if (hintData !== null) {
    const hint = parseLastCheckpoint(hintData);
    if (!hint) warnings.push('_last_checkpoint is not readable; readers list the log instead');
    else if (!listing.checkpoints.some((c) => c.version === hint.version)) {
      warnings.push(
        `_last_checkpoint points at version ${hint.version}, which has no complete checkpoint; readers list the log instead`,
      );
    }
  }
  const checkpoint = listing.checkpoints[0];
  if (checkpoint) {
    try {
      await readCheckpoint(table.store, checkpoint.keys);
    } catch (err) {
      problems.push(`checkpoint of version ${checkpoint.version}: ${(err as Error).message}`);
    }
  }

  // The latest version replays, and its files are all there.
  const fresh = await DeltaTable.open(table.store, table.tablePath);
  let snapshot: Snapshot;
  try {
    snapshot = await fresh.snapshot();
  } catch (err) {
    problems.push(`the latest version does not replay: ${(err as Error).message}`);
    return report();
  }
  version = snapshot.version;
  files = snapshot.files.length;
  if (snapshot.version < listing.latestVersion) {
    problems.push(
      `readers stop at version ${snapshot.version} but the log goes up to version ${listing.latestVersion}`,
    );
  }
  let withoutStats = 0;
  let absolute = 0;
  const head = table.store.head?.bind(table.store);
  if (!head)
    warnings.push(`${table.store.description} cannot report file sizes; sizes not checked`);
  for (let i = 0; i < snapshot.files.length; i += 64) {
    const batch = snapshot.files.slice(i, i + 64);
    await Promise.all(
      batch.map(async (add) => {
        if (add.stats === undefined) withoutStats++;
        else {
          const bad = statsProblem(add.stats);
          if (bad) problems.push(`file '${add.path}': statistics ${bad}`);
        }
        if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(add.path)) {
          absolute++;
          return;
        }
        if (!head) return;
        const info = await head(joinKey(table.tablePath, decodeLogPath(add.path)));
        if (info === null) problems.push(`file '${add.path}' is missing`);
        else if (info.size !== add.size) {
          problems.push(`file '${add.path}' has ${info.size} bytes, the log records ${add.size}`);
        }
      }),
    );
  }
  if (withoutStats > 0) {
    warnings.push(
      `${withoutStats} file(s) have no statistics: engines cannot skip them and row counts are unknown`,
    );
  }
  if (absolute > 0) warnings.push(`${absolute} file(s) live outside the table folder; not checked`);
  problems.sort();
  return report();
}

/** Why an add's stats string is unusable, or undefined when it is fine. */
function statsProblem(stats: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(stats);
  } catch {
    return 'are not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'are not a JSON object';
  }
  const s = value as Record<string, unknown>;
  if (s.numRecords !== undefined) {
    const n = s.numRecords;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      return `have numRecords ${JSON.stringify(n)}, not a row count`;
    }
  }
  for (const field of ['minValues', 'maxValues', 'nullCount']) {
    const v = s[field];
    if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) {
      return `have a ${field} that is not an object`;
    }
  }
  return undefined;
}

/** [1,2,3,7] -> '1-3, 7' (at most 10 ranges). */
function ranges(versions: number[]): string {
  const out: string[] = [];
  let start = versions[0]!;
  let prev = start;
  for (const v of [...versions.slice(1), Infinity]) {
    if (v === prev + 1) {
      prev = v;
      continue;
    }
    out.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = prev = v;
  }
  return out.length > 10 ? `${out.slice(0, 10).join(', ')}, …` : out.join(', ');
}
