import { describe, expect, it } from 'vitest';
import { parseLogFileName } from './log-files.js';
import { analyzeLog, planSegments } from './log-segment.js';

const P = 't/_delta_log/';
const v = (n: number) => String(n).padStart(20, '0');
const commit = (n: number) => `${P}${v(n)}.json`;
const classic = (n: number) => `${P}${v(n)}.checkpoint.parquet`;
const part = (n: number, o: number, p: number) =>
  `${P}${v(n)}.checkpoint.${String(o).padStart(10, '0')}.${String(p).padStart(10, '0')}.parquet`;

describe('log file names', () => {
  it('recognises commits and the three checkpoint namings', () => {
    expect(parseLogFileName(`${v(7)}.json`)).toMatchObject({ kind: 'commit', version: 7 });
    expect(parseLogFileName(`${v(7)}.checkpoint.parquet`)).toMatchObject({
      kind: 'checkpoint',
      parts: 1,
    });
    expect(parseLogFileName(`${v(7)}.checkpoint.0000000002.0000000003.parquet`)).toMatchObject({
      kind: 'checkpoint',
      part: 2,
      parts: 3,
    });
    expect(
      parseLogFileName(`${v(7)}.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json`),
    ).toMatchObject({ kind: 'v2-checkpoint', version: 7 });
    expect(parseLogFileName(`${v(7)}.crc`)).toBeUndefined();
    expect(parseLogFileName(`.${v(7)}.json.crc`)).toBeUndefined();
    expect(parseLogFileName('_last_checkpoint')).toBeUndefined();
  });
});

describe('analyzeLog and planSegments', () => {
  it('prefers the newest complete checkpoint and replays the commits after it', () => {
    const listing = analyzeLog(P, [0, 1, 2, 3, 4, 5].map(commit).concat(classic(2), classic(4)));
    expect(listing.latestVersion).toBe(5);
    const [best, older, fromZero] = planSegments(listing, 5);
    expect(best?.checkpoint?.version).toBe(4);
    expect(best?.commits.map((c) => c.version)).toEqual([5]);
    expect(older?.checkpoint?.version).toBe(2);
    expect(fromZero?.checkpoint).toBeUndefined();
    expect(fromZero?.commits).toHaveLength(6);
  });

  it('uses no checkpoint newer than the version asked for (time travel)', () => {
    const listing = analyzeLog(P, [0, 1, 2, 3].map(commit).concat(classic(2)));
    expect(planSegments(listing, 1)[0]?.checkpoint).toBeUndefined();
    expect(planSegments(listing, 2)[0]).toMatchObject({ checkpoint: { version: 2 }, commits: [] });
  });

  it('ignores a multi-part checkpoint with a missing part', () => {
    const listing = analyzeLog(P, [
      ...[3, 4].map(commit),
      part(3, 1, 2),
      part(3, 2, 2),
      part(4, 1, 3),
      part(4, 3, 3),
    ]);
    expect(listing.checkpoints.map((c) => c.version)).toEqual([3]);
    expect(listing.checkpoints[0]?.keys).toEqual([part(3, 1, 2), part(3, 2, 2)]);
    expect(planSegments(listing, 4)[0]).toMatchObject({ checkpoint: { version: 3 } });
  });

  it('offers no segment across a missing commit', () => {
    const listing = analyzeLog(P, [0, 1, 3].map(commit));
    expect(planSegments(listing, 3)).toEqual([]);
    expect(planSegments(listing, 1)).toHaveLength(1);
  });

  it('reads only direct children of _delta_log (not .tmp/ or _sidecars/)', () => {
    const listing = analyzeLog(P, [
      commit(0),
      `${P}.tmp/${v(1)}.json`,
      `${P}_sidecars/${v(2)}.json`,
    ]);
    expect(listing.latestVersion).toBe(0);
  });

  it('lists UUID-named V2 checkpoints in JSON or Parquet as checkpoints', () => {
    const uuid = (n: number, ext: string) =>
      `${P}${v(n)}.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.${ext}`;
    const listing = analyzeLog(P, [
      ...[5, 6, 7].map(commit),
      uuid(5, 'json'),
      uuid(6, 'parquet'),
      classic(6),
    ]);
    expect(listing.v2Checkpoints).toEqual([6, 5]);
    // A classic file wins over a UUID-named one of the same version: either is valid.
    expect(listing.checkpoints).toEqual([
      { version: 6, keys: [classic(6)] },
      { version: 5, keys: [uuid(5, 'json')] },
    ]);
    expect(planSegments(listing, 5)[0]).toMatchObject({ checkpoint: { version: 5 }, commits: [] });
  });

  it('replaces commit runs by log compaction files, keeping a plain plan as fallback', () => {
    const compacted = (x: number, y: number) => `${P}${v(x)}.${v(y)}.compacted.json`;
    expect(parseLogFileName(`${v(3)}.${v(5)}.compacted.json`)).toMatchObject({
      kind: 'compaction',
      from: 3,
      version: 5,
    });
    expect(parseLogFileName(`${v(5)}.${v(5)}.compacted.json`)).toBeUndefined();
    const listing = analyzeLog(P, [
      ...[0, 1, 2, 3, 4, 5, 6, 7].map(commit),
      compacted(1, 3),
      compacted(1, 5),
      compacted(6, 9),
    ]);
    const [best, plain] = planSegments(listing, 7);
    // The longest compaction that fits; 6..9 reaches past the target and is not used.
    expect(best!.commits.map((c) => [c.from, c.version])).toEqual([
      [undefined, 0],
      [1, 5],
      [undefined, 6],
      [undefined, 7],
    ]);
    expect(plain!.commits.map((c) => c.version)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // A compaction bridges commits that are gone.
    const holey = analyzeLog(P, [0, 1, 4].map(commit).concat(compacted(2, 3)));
    expect(planSegments(holey, 4).map((p) => p.commits.map((c) => c.version))).toEqual([
      [0, 1, 3, 4],
    ]);
  });

  it('treats a table that has only a checkpoint as starting there', () => {
    const listing = analyzeLog(P, [classic(108)]);
    expect(listing.latestVersion).toBe(108);
    expect(planSegments(listing, 108)).toEqual([
      { version: 108, checkpoint: { version: 108, keys: [classic(108)] }, commits: [] },
    ]);
  });
});
