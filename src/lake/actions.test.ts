import { describe, expect, it } from 'vitest';
import { parseAction, parseCommitFile, serializeActions, type Action } from './actions.js';
import { CorruptLogError } from './errors.js';

describe('commit file parsing', () => {
  it('round-trips actions through the JSON-lines format', () => {
    const actions: Action[] = [
      { commitInfo: { timestamp: 1, operation: 'WRITE' } },
      {
        add: {
          path: 'a.parquet',
          partitionValues: { d: null },
          size: 3,
          modificationTime: 4,
          dataChange: true,
        },
      },
      { txn: { appId: 'app', version: 9, lastUpdated: 5 } },
    ];
    const text = serializeActions(actions);
    expect(text.split('\n').filter(Boolean)).toHaveLength(3);
    expect(parseCommitFile(text, 'k')).toEqual(actions);
  });

  it('skips action kinds it does not know, as the protocol requires', () => {
    const text = '{"someFutureAction":{"x":1}}\n{"txn":{"appId":"a","version":1}}\n';
    expect(parseCommitFile(text, 'k')).toEqual([{ txn: { appId: 'a', version: 1 } }]);
  });

  it('names the file and line of a line that is not JSON', () => {
    const err = (() => {
      try {
        parseCommitFile('{"txn":{"appId":"a","version":1}}\n{"add":', 't/_delta_log/1.json');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CorruptLogError);
    expect((err as Error).message).toContain('t/_delta_log/1.json');
    expect((err as Error).message).toContain('line 2');
  });

  it('rejects an add without a path, naming the field', () => {
    expect(() => parseCommitFile('{"add":{"size":1}}', 'k')).toThrow(/add\.path must be a string/);
  });

  it('turns checkpoint nulls into absent fields', () => {
    const action = parseAction({
      add: {
        path: 'p',
        partitionValues: { a: null },
        size: 1,
        modificationTime: 2,
        dataChange: false,
        stats: null,
        tags: null,
        deletionVector: null,
      },
    });
    expect(action).toEqual({
      add: {
        path: 'p',
        partitionValues: { a: null },
        size: 1,
        modificationTime: 2,
        dataChange: false,
      },
    });
  });

  it('accepts the other columns of a checkpoint row being null', () => {
    expect(parseAction({ add: null, txn: { appId: 'a', version: 2, lastUpdated: null } })).toEqual({
      txn: { appId: 'a', version: 2 },
    });
  });
});
