import { describe, expect, it } from 'vitest';
import type { SourceStatus } from '../sources/index.js';
import { sourceAlert, sourceLag } from './source-lag.js';

const base: SourceStatus = {
  name: 's',
  state: 'running',
  eventsAccepted: 0,
  eventsRejected: 0,
  position: 0,
  lastError: null,
};

describe('source lag and alerts', () => {
  it('reads each connector’s own measure of lag', () => {
    expect(sourceLag({ ...base, slotLagBytes: 4096 } as SourceStatus)).toEqual({
      value: 4096,
      unit: 'bytes',
    });
    expect(sourceLag({ ...base, lagSeconds: 12 } as SourceStatus)).toEqual({
      value: 12,
      unit: 'seconds',
    });
    expect(sourceLag({ ...base, lag: { a: { 0: 5, 1: 7 }, b: { 0: 1 } } } as SourceStatus)).toEqual(
      { value: 13, unit: 'records' },
    );
    expect(sourceLag(base)).toBeNull();
    expect(sourceLag({ ...base, slotLagBytes: null } as SourceStatus)).toBeNull();
  });

  it('alerts on a failed source and on a slot holding back more than 1 GiB of WAL', () => {
    expect(sourceAlert({ ...base, slotLagBytes: 1024 } as SourceStatus)).toBeNull();
    expect(sourceAlert({ ...base, slotLagBytes: 2 * 1024 ** 3 } as SourceStatus)).toMatch(
      /s is 2147483648 bytes behind its source \(alert above 1073741824\)/,
    );
    expect(sourceAlert({ ...base, state: 'failed', lastError: 'slot dropped' })).toBe(
      's has failed: slot dropped',
    );
  });
});
