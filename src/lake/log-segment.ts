import { parseLogFileName } from './log-files.js';

/**
 * What a listing of `_delta_log/` offers for rebuilding a version: which commits exist, which
 * checkpoints are complete, and from those the ways ("segments") to reach a target version, best
 * first. Pure: the loader does the I/O and falls back to the next segment when a checkpoint turns
 * out to be unreadable.
 */

export interface CheckpointFiles {
  version: number;
  /**
   * One key for a classic or UUID-named (V2, '.json' or '.parquet') checkpoint, all parts in
   * order for a multi-part one.
   */
  keys: string[];
}

/** A log compaction file: the reconciled actions of commits `from`..`version`. */
export interface CompactionFile {
  from: number;
  version: number;
  key: string;
}

export interface LogListing {
  /** Commit version -> key. */
  commits: Map<number, string>;
  /** Complete checkpoints (at most one per version), newest first. */
  checkpoints: CheckpointFiles[];
  /** Versions with a UUID-named (V2) checkpoint. */
  v2Checkpoints: number[];
  /** Log compaction files, by start version. */
  compactions: CompactionFile[];
  /** Newest version any file proves to exist; -1 for an empty log. */
  latestVersion: number;
}

/**
 * A checkpoint (or none: replay from version 0) plus the commits after it, up to `version`. An
 * entry with `from` is a log compaction file standing for the commits `from`..`version`.
 */
export interface LogSegment {
  version: number;
  checkpoint?: CheckpointFiles;
  commits: { version: number; key: string; from?: number }[];
}

/** Sorts the keys under `prefix` (= '<table>/_delta_log/') into commits and checkpoints. */
export function analyzeLog(prefix: string, keys: readonly string[]): LogListing {
  const commits = new Map<number, string>();
  const classic = new Map<number, string>();
  const multipart = new Map<
    string,
    { version: number; parts: number; keys: Map<number, string> }
  >();
  const v2 = new Map<number, string>();
  const compactions: CompactionFile[] = [];
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    // Only direct children: '_delta_log/.tmp/', '_sidecars/' and '_staged_commits/' are not the log.
    if (name.includes('/')) continue;
    const file = parseLogFileName(name);
    if (!file) continue;
    if (file.kind === 'commit') commits.set(file.version, key);
    else if (file.kind === 'v2-checkpoint') {
      if (!v2.has(file.version)) v2.set(file.version, key);
    } else if (file.kind === 'compaction') {
      compactions.push({ from: file.from, version: file.version, key });
    } else if (file.parts === 1) classic.set(file.version, key);
    else {
      const id = `${file.version}/${file.parts}`;
      let group = multipart.get(id);
      if (!group)
        multipart.set(id, (group = { version: file.version, parts: file.parts, keys: new Map() }));
      group.keys.set(file.part, key);
    }
  }

  const checkpoints = new Map<number, CheckpointFiles>();
  // A multi-part checkpoint with a missing part is unusable (it may still be being written).
  for (const group of multipart.values()) {
    if (group.keys.size !== group.parts || checkpoints.has(group.version)) continue;
    const parts = [...group.keys.entries()].sort(([a], [b]) => a - b).map(([, k]) => k);
    checkpoints.set(group.version, { version: group.version, keys: parts });
  }
  // Prefer single-file checkpoints when a version has several: they were written atomically.
  for (const [version, key] of v2) checkpoints.set(version, { version, keys: [key] });
  for (const [version, key] of classic) checkpoints.set(version, { version, keys: [key] });

  const sorted = [...checkpoints.values()].sort((a, b) => b.version - a.version);
  let latestVersion = -1;
  // A loop, not Math.max(...): a long log has more versions than a call has room for arguments.
  for (const v of [commits.keys(), checkpoints.keys()].flatMap((it) => [...it])) {
    if (v > latestVersion) latestVersion = v;
  }
  return {
    commits,
    checkpoints: sorted,
    v2Checkpoints: [...v2.keys()].sort((a, b) => b - a),
    compactions: compactions.sort((a, b) => a.from - b.from || b.version - a.version),
    latestVersion,
  };
}

/**
 * Every way to rebuild `target` from the listing, best first: the newest checkpoint not after the
 * target whose following commits are all present, then older ones, then a replay from version 0.
 * Each start is offered first with log compaction files standing in for the commit runs they
 * cover (fewer files to read), then with plain commits, so a damaged compaction is not fatal.
 */
export function planSegments(listing: LogListing, target: number): LogSegment[] {
  const plans: LogSegment[] = [];
  const starts: (CheckpointFiles | undefined)[] = [
    ...listing.checkpoints.filter((c) => c.version <= target),
    undefined,
  ];
  for (const checkpoint of starts) {
    const from = (checkpoint?.version ?? -1) + 1;
    const compacted = compactedRange(listing, from, target);
    if (compacted?.some((c) => c.from !== undefined)) {
      plans.push({ version: target, ...(checkpoint ? { checkpoint } : {}), commits: compacted });
    }
    const commits = commitRange(listing, from, target);
    if (commits) plans.push({ version: target, ...(checkpoint ? { checkpoint } : {}), commits });
  }
  return plans;
}

/**
 * The commits `from..to` with the longest compaction file that fits replacing the commits it
 * covers, or undefined when a version is covered by neither.
 */
function compactedRange(
  listing: LogListing,
  from: number,
  to: number,
): LogSegment['commits'] | undefined {
  const out: LogSegment['commits'] = [];
  let v = from;
  while (v <= to) {
    // Sorted by start, longest first: the first fitting one is the best.
    const compaction = listing.compactions.find((c) => c.from === v && c.version <= to);
    if (compaction) {
      out.push({ version: compaction.version, key: compaction.key, from: v });
      v = compaction.version + 1;
      continue;
    }
    const key = listing.commits.get(v);
    if (key === undefined) return undefined;
    out.push({ version: v, key });
    v++;
  }
  return out;
}

/** The commits `from..to` (inclusive), or undefined when any is missing. */
function commitRange(
  listing: LogListing,
  from: number,
  to: number,
): { version: number; key: string }[] | undefined {
  const out: { version: number; key: string }[] = [];
  for (let v = from; v <= to; v++) {
    const key = listing.commits.get(v);
    if (key === undefined) return undefined;
    out.push({ version: v, key });
  }
  return out;
}

/** The versions between `from` and `to` that have no commit file (for error messages). */
export function missingCommits(listing: LogListing, from: number, to: number): number[] {
  const missing: number[] = [];
  for (let v = from; v <= to && missing.length < 10; v++) {
    if (!listing.commits.has(v)) missing.push(v);
  }
  return missing;
}
