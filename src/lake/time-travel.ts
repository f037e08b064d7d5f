import { parseCommitFile } from './actions.js';
import { CorruptLogError, LakeError } from './errors.js';
import { logPrefix } from './log-files.js';
import { analyzeLog } from './log-segment.js';
import type { TableLocation } from './snapshot-loader.js';
import type { Snapshot } from './snapshot.js';

/**
 * Time travel by timestamp: which version was current at a given instant. A version's commit time
 * is (PROTOCOL.md, "In-Commit Timestamps"):
 * - with in-commit timestamps enabled, `commitInfo.inCommitTimestamp` of its commit, for versions
 *   from `delta.inCommitTimestampEnablementVersion` on (all versions when that is unset);
 * - otherwise the commit file's modification time. Those can go backwards (clock skew, a copied
 *   table), so, like Delta's own history manager, each is raised to 1 ms after the previous one.
 */

/** No version of the table existed at the instant asked for (or none is left in the log). */
export class TimestampOutOfRangeError extends LakeError {
  override name = 'TimestampOutOfRangeError';

  constructor(
    readonly tablePath: string,
    readonly timestampMs: number,
    detail: string,
  ) {
    super(
      `Table '${tablePath}' has no version as of ${iso(timestampMs)}: ${detail}. ` +
        `Ask for a later time, or for a version number.`,
    );
  }
}

/** The latest version whose commit time is at or before `timestampMs`. */
export async function versionAtTimestamp(
  table: TableLocation,
  latest: Snapshot,
  timestampMs: number,
): Promise<number> {
  const prefix = logPrefix(table.tablePath);
  const listing = analyzeLog(prefix, await table.store.list(prefix));
  // Versions that can still be rebuilt: all when the log starts at 0, else from the oldest checkpoint.
  const oldestCheckpoint = listing.checkpoints.at(-1)?.version ?? Infinity;
  const firstRebuildable = listing.commits.has(0) ? 0 : oldestCheckpoint;
  const versions = [...listing.commits.keys()]
    .filter((v) => v >= firstRebuildable && v <= latest.version)
    .sort((a, b) => a - b);
  if (versions.length === 0) {
    throw new TimestampOutOfRangeError(table.tablePath, timestampMs, 'its log holds no commits');
  }

  const ict = inCommitTimestampSettings(latest.metadata.configuration);
  if (ict) {
    const enabledFrom = ict.enablementVersion ?? 0;
    if (ict.enablementTimestamp === undefined || timestampMs >= ict.enablementTimestamp) {
      const found = await searchInCommitTimestamps(
        table,
        listing.commits,
        versions.filter((v) => v >= enabledFrom),
        timestampMs,
      );
      if (found !== undefined) return found;
      if (enabledFrom <= versions[0]!) {
        throw beforeFirst(
          table,
          timestampMs,
          versions[0]!,
          await inCommitTimestamp(table, listing.commits, versions[0]!),
        );
      }
    }
    return searchModificationTimes(
      table,
      listing.commits,
      versions.filter((v) => v < enabledFrom),
      timestampMs,
    );
  }
  return searchModificationTimes(table, listing.commits, versions, timestampMs);
}

interface InCommitTimestampSettings {
  enablementVersion?: number;
  enablementTimestamp?: number;
}

/** undefined when the table does not record in-commit timestamps. */
function inCommitTimestampSettings(
  config: Readonly<Record<string, string>>,
): InCommitTimestampSettings | undefined {
  const get = (key: string) => config[key] ?? config[`${key}-preview`];
  if (get('delta.enableInCommitTimestamps')?.toLowerCase() !== 'true') return undefined;
  const num = (key: string) => {
    const n = Number(get(key));
    return get(key) !== undefined && Number.isInteger(n) ? n : undefined;
  };
  return {
    enablementVersion: num('delta.inCommitTimestampEnablementVersion'),
    enablementTimestamp: num('delta.inCommitTimestampEnablementTimestamp'),
  };
}

/** In-commit timestamps only grow, so a binary search finds the version. */
async function searchInCommitTimestamps(
  table: TableLocation,
  commits: ReadonlyMap<number, string>,
  versions: number[],
  timestampMs: number,
): Promise<number | undefined> {
  let lo = 0;
  let hi = versions.length - 1;
  let found: number | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((await inCommitTimestamp(table, commits, versions[mid]!)) <= timestampMs) {
      found = versions[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

async function inCommitTimestamp(
  table: TableLocation,
  commits: ReadonlyMap<number, string>,
  version: number,
): Promise<number> {
  const key = commits.get(version)!;
  const data = await table.store.get(key);
  if (data === null)
    throw new CorruptLogError(key, 'the commit file disappeared while it was read');
  for (const action of parseCommitFile(data.toString('utf8'), key)) {
    if (!('commitInfo' in action)) continue;
    const ts = action.commitInfo.inCommitTimestamp;
    if (typeof ts === 'number' && Number.isFinite(ts)) return ts;
  }
  throw new CorruptLogError(
    key,
    'the table has in-commit timestamps enabled, but this commit records no inCommitTimestamp',
  );
}

async function searchModificationTimes(
  table: TableLocation,
  commits: ReadonlyMap<number, string>,
  versions: number[],
  timestampMs: number,
): Promise<number> {
  if (versions.length === 0) {
    throw new TimestampOutOfRangeError(table.tablePath, timestampMs, 'no commit is that old');
  }
  const times = await modificationTimes(table, commits, versions);
  let found: number | undefined;
  let previous = -Infinity;
  for (const [i, version] of versions.entries()) {
    const time = Math.max(times[i]!, previous + 1);
    previous = time;
    if (time > timestampMs) break;
    found = version;
  }
  if (found === undefined) throw beforeFirst(table, timestampMs, versions[0]!, times[0]!);
  return found;
}

/**
 * The commit files' modification times. A store that cannot tell them (no `head`) falls back to
 * the writer's clock in `commitInfo.timestamp`, which is what Delta wrote there for that purpose.
 */
async function modificationTimes(
  table: TableLocation,
  commits: ReadonlyMap<number, string>,
  versions: number[],
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < versions.length; i += 32) {
    const batch = versions.slice(i, i + 32).map(async (v) => {
      const key = commits.get(v)!;
      const head = table.store.head ? await table.store.head(key) : undefined;
      if (head) return head.lastModified;
      if (head === null)
        throw new CorruptLogError(key, 'the commit file disappeared while it was read');
      const data = await table.store.get(key);
      const info =
        data && parseCommitFile(data.toString('utf8'), key).find((a) => 'commitInfo' in a);
      const ts = info && 'commitInfo' in info ? info.commitInfo.timestamp : undefined;
      if (typeof ts !== 'number') {
        throw new LakeError(
          `Cannot tell when version ${v} of '${table.tablePath}' was committed: ` +
            `${table.store.description} reports no modification times and the commit has no timestamp.`,
        );
      }
      return ts;
    });
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

function beforeFirst(
  table: TableLocation,
  timestampMs: number,
  version: number,
  time: number,
): TimestampOutOfRangeError {
  const which = version === 0 ? 'its first commit' : `its oldest version still in the log`;
  return new TimestampOutOfRangeError(
    table.tablePath,
    timestampMs,
    `${which} (version ${version}) was made at ${iso(time)}`,
  );
}

function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
