import { parseLogFileName } from './log-files.js';

/**
 * What a listing of `_delta_log/` offers for rebuilding a version: which commits exist, which
 * checkpoints are complete, and from those the ways ("segments") to reach a target version, best
 * first. Pure: the loader does the I/O and falls back to the next segment when a checkpoint turns
 * out to be unreadable.
 */

export interface CheckpointFiles {
  version: number;
  /** One key for a classic checkpoint, all parts in order for a multi-part one. */
  keys: string[];
}

export interface LogListing {
  /** Commit version -> key. */
  commits: Map<number, string>;
  /** Complete V1 checkpoints, newest first. */
  checkpoints: CheckpointFiles[];
  /** Versions with a UUID-named (V2) checkpoint. */
  v2Checkpoints: number[];
  /** Newest version any file proves to exist; -1 for an empty log. */
  latestVersion: number;
}

/** A checkpoint (or none: replay from version 0) plus the commits after it, up to `version`. */
export interface LogSegment {
  version: number;
  checkpoint?: CheckpointFiles;
  commits: { version: number; key: string }[];
}

/** Sorts the keys under `prefix` (= '<table>/_delta_log/') into commits and checkpoints. */
export function analyzeLog(prefix: string, keys: readonly string[]): LogListing {
  const commits = new Map<number, string>();
  const classic = new Map<number, string>();
  const multipart = new Map<
    string,
    { version: number; parts: number; keys: Map<number, string> }
  >();
  const v2 = new Set<number>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    // Only direct children: '_delta_log/.tmp/', '_sidecars/' and '_staged_commits/' are not the log.
    if (name.includes('/')) continue;
    const file = parseLogFileName(name);
    if (!file) continue;
    if (file.kind === 'commit') commits.set(file.version, key);
    else if (file.kind === 'v2-checkpoint') v2.add(file.version);
    else if (file.parts === 1) classic.set(file.version, key);
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
  // Prefer the single-file checkpoint when a version has both: it was written atomically.
  for (const [version, key] of classic) checkpoints.set(version, { version, keys: [key] });

  const sorted = [...checkpoints.values()].sort((a, b) => b.version - a.version);
  let latestVersion = -1;
  // A loop, not Math.max(...): a long log has more versions than a call has room for arguments.
  for (const v of [commits.keys(), checkpoints.keys(), v2.values()].flatMap((it) => [...it])) {
    if (v > latestVersion) latestVersion = v;
  }
  return {
    commits,
    checkpoints: sorted,
    v2Checkpoints: [...v2].sort((a, b) => b - a),
    latestVersion,
  };
}

/**
 * Every way to rebuild `target` from the listing, best first: the newest checkpoint not after the
 * target whose following commits are all present, then older ones, then a replay from version 0.
 */
export function planSegments(listing: LogListing, target: number): LogSegment[] {
  const plans: LogSegment[] = [];
  for (const checkpoint of listing.checkpoints) {
    if (checkpoint.version > target) continue;
    const commits = commitRange(listing, checkpoint.version + 1, target);
    if (commits) plans.push({ version: target, checkpoint, commits });
  }
  const fromZero = commitRange(listing, 0, target);
  if (fromZero) plans.push({ version: target, commits: fromZero });
  return plans;
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
