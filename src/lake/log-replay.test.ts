import { describe, expect, it } from 'vitest';
import type { Action, AddFile } from './actions.js';
import { fileKey, ReplayState } from './log-replay.js';

const protocol: Action = { protocol: { minReaderVersion: 1, minWriterVersion: 2 } };
const metaData: Action = {
  metaData: {
    id: 'table-1',
    format: { provider: 'parquet', options: {} },
    schemaString: '{"type":"struct","fields":[]}',
    partitionColumns: [],
    configuration: {},
  },
};

function add(path: string, extra: Partial<AddFile> = {}): Action {
  return {
    add: { path, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true, ...extra },
  };
}

function remove(path: string): Action {
  return { remove: { path, deletionTimestamp: 1000, dataChange: true } };
}

function paths(state: ReplayState): string[] {
  return [...state.files.values()].map((f) => f.path);
}

describe('ReplayState (action reconciliation)', () => {
  it('keeps added files and drops removed ones, remembering tombstones', () => {
    const s = new ReplayState();
    s.applyCommit(0, [
      { commitInfo: { operation: 'CREATE' } },
      protocol,
      metaData,
      add('a'),
      add('b'),
    ]);
    s.applyCommit(1, [remove('a'), add('c')]);
    expect(s.version).toBe(1);
    expect(paths(s)).toEqual(['b', 'c']);
    expect([...s.tombstones.keys()]).toEqual(['a']);
  });

  it('revives a removed file when it is added again and drops its tombstone', () => {
    const s = new ReplayState();
    s.applyCommit(0, [protocol, metaData, add('a')]);
    s.applyCommit(1, [remove('a')]);
    s.applyCommit(2, [add('a', { size: 7 })]);
    expect(paths(s)).toEqual(['a']);
    expect(s.files.get('a')?.size).toBe(7);
    expect(s.tombstones.size).toBe(0);
  });

  it('lets the newest add of the same file win (stats refresh)', () => {
    const s = new ReplayState();
    s.applyCommit(0, [protocol, metaData, add('a', { stats: '{"numRecords":1}' }), add('b')]);
    s.applyCommit(1, [add('a', { stats: '{"numRecords":2}', dataChange: false })]);
    expect(s.files.size).toBe(2);
    expect(s.files.get('a')?.stats).toBe('{"numRecords":2}');
  });

  it('keeps the latest txn version per appId, even when it goes down', () => {
    const s = new ReplayState();
    s.applyCommit(0, [protocol, metaData, { txn: { appId: 'x', version: 5 } }]);
    s.applyCommit(1, [{ txn: { appId: 'y', version: 1 } }]);
    s.applyCommit(2, [{ txn: { appId: 'x', version: 3 } }]);
    expect(s.txns.get('x')?.version).toBe(3);
    expect(s.txns.get('y')?.version).toBe(1);
  });

  it('takes the latest protocol and metadata', () => {
    const s = new ReplayState();
    s.applyCommit(0, [protocol, metaData]);
    s.applyCommit(1, [
      { protocol: { minReaderVersion: 1, minWriterVersion: 3 } },
      {
        metaData: {
          ...('metaData' in metaData ? metaData.metaData : ({} as never)),
          name: 'renamed',
        },
      },
    ]);
    expect(s.protocol?.minWriterVersion).toBe(3);
    expect(s.metadata?.name).toBe('renamed');
  });

  it('removes a metadata domain on a tombstone', () => {
    const s = new ReplayState();
    s.applyCommit(0, [
      protocol,
      metaData,
      { domainMetadata: { domain: 'd', configuration: '1', removed: false } },
    ]);
    expect(s.domains.get('d')?.configuration).toBe('1');
    s.applyCommit(1, [{ domainMetadata: { domain: 'd', configuration: '1', removed: true } }]);
    expect(s.domains.has('d')).toBe(false);
  });

  it('holds the commitInfo of the last commit only', () => {
    const s = new ReplayState();
    s.applyCommit(0, [{ commitInfo: { operation: 'CREATE' } }, protocol, metaData]);
    expect(s.commitInfo?.operation).toBe('CREATE');
    s.applyCommit(1, [add('a')]);
    expect(s.commitInfo).toBeUndefined();
    s.applyCheckpoint(1, []);
    expect(s.commitInfo).toBeUndefined();
  });

  it('treats the same path with another deletion vector as another logical file', () => {
    const dv = { storageType: 'u', pathOrInlineDv: 'abc', sizeInBytes: 1, cardinality: 1 };
    expect(fileKey('a', dv)).not.toBe(fileKey('a'));
    expect(fileKey('a', { ...dv, offset: 4 })).not.toBe(fileKey('a', dv));
    const s = new ReplayState();
    s.applyCommit(0, [protocol, metaData, add('a')]);
    s.applyCommit(1, [remove('a'), add('a', { deletionVector: dv })]);
    expect(s.files.size).toBe(1);
    expect(s.tombstones.size).toBe(1);
  });

  it('clones without sharing: updating the clone leaves the original as it was', () => {
    const s = new ReplayState();
    s.applyCommit(0, [protocol, metaData, add('a')]);
    const next = s.clone();
    next.applyCommit(1, [remove('a'), add('b'), { txn: { appId: 'x', version: 1 } }]);
    expect(paths(s)).toEqual(['a']);
    expect(s.version).toBe(0);
    expect(s.txns.size).toBe(0);
    expect(paths(next)).toEqual(['b']);
  });
});
