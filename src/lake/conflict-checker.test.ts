import { describe, expect, it } from 'vitest';
import type { Action } from './actions.js';
import { findConflict, footprintOf } from './conflict-checker.js';

function add(path: string, dataChange = true): Action {
  return { add: { path, partitionValues: {}, size: 1, modificationTime: 0, dataChange } };
}
function remove(path: string): Action {
  return { remove: { path, deletionTimestamp: 1, dataChange: true } };
}
const blind: Action = { commitInfo: { operation: 'WRITE', isBlindAppend: true } };
const notBlind: Action = { commitInfo: { operation: 'MERGE', isBlindAppend: false } };

describe('findConflict', () => {
  it('lets concurrent blind appends commute', () => {
    const txn = footprintOf([add('mine')]);
    expect(findConflict(txn, { version: 3, actions: [blind, add('theirs')] })).toBeUndefined();
  });

  it('flags the same txn appId written concurrently', () => {
    const txn = footprintOf([add('mine'), { txn: { appId: 'ingest', version: 8 } }]);
    const reason = findConflict(txn, {
      version: 4,
      actions: [blind, add('theirs'), { txn: { appId: 'ingest', version: 8 } }],
    });
    expect(reason).toMatch(/same application id 'ingest'/);
    expect(
      findConflict(txn, { version: 4, actions: [blind, { txn: { appId: 'other', version: 1 } }] }),
    ).toBeUndefined();
  });

  it('flags a concurrent remove of a file this commit removes or read', () => {
    expect(
      findConflict(footprintOf([remove('f')]), { version: 2, actions: [notBlind, remove('f')] }),
    ).toMatch(/already removed file 'f'/);
    const reader = footprintOf([add('out')], { readPaths: ['f'] });
    expect(findConflict(reader, { version: 2, actions: [notBlind, remove('f')] })).toMatch(/read/);
    expect(findConflict(reader, { version: 2, actions: [notBlind, remove('g')] })).toBeUndefined();
  });

  it('flags metadata and protocol changes', () => {
    const txn = footprintOf([add('x')]);
    expect(
      findConflict(txn, {
        version: 1,
        actions: [{ protocol: { minReaderVersion: 1, minWriterVersion: 3 } }],
      }),
    ).toMatch(/protocol/);
    const meta: Action = {
      metaData: {
        id: 'i',
        format: { provider: 'parquet', options: {} },
        schemaString: '{"type":"struct","fields":[]}',
        partitionColumns: [],
        configuration: {},
      },
    };
    expect(findConflict(txn, { version: 1, actions: [meta] })).toMatch(/metadata/);
  });

  it('lets a blind append through an overwrite, but not a non-append write', () => {
    const overwrite = footprintOf([remove('old'), add('new')], { readWholeTable: true });
    expect(
      findConflict(overwrite, { version: 5, actions: [blind, add('appended')] }),
    ).toBeUndefined();
    expect(findConflict(overwrite, { version: 5, actions: [notBlind, add('merged')] })).toMatch(
      /did not see/,
    );
  });

  it('lets a compaction that touches other files through', () => {
    const txn = footprintOf([remove('a'), add('b')]);
    expect(
      findConflict(txn, { version: 7, actions: [notBlind, remove('c'), add('c2', false)] }),
    ).toBeUndefined();
  });

  it('flags the same metadata domain written twice', () => {
    const txn = footprintOf([
      { domainMetadata: { domain: 'x', configuration: '', removed: false } },
    ]);
    expect(
      findConflict(txn, {
        version: 1,
        actions: [{ domainMetadata: { domain: 'x', configuration: '1', removed: false } }],
      }),
    ).toMatch(/domain 'x'/);
  });
});
