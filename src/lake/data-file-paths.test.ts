import { describe, expect, it } from 'vitest';
import {
  decodeLogPath,
  encodeLogPath,
  partitionDirectory,
  resolveLogPath,
} from './data-file-paths.js';

describe('data file paths', () => {
  it('builds Hive-style partition folders, escaping special characters', () => {
    expect(partitionDirectory(['year', 'region'], { region: 'north east', year: '2024' })).toBe(
      'year=2024/region=north east',
    );
    expect(partitionDirectory(['ts'], { ts: '2024-01-01 10:00:00' })).toBe(
      'ts=2024-01-01 10%3A00%3A00',
    );
    expect(partitionDirectory(['k'], { k: 'a/b=c' })).toBe('k=a%2Fb%3Dc');
    expect(partitionDirectory(['k'], { k: null })).toBe('k=__HIVE_DEFAULT_PARTITION__');
    expect(partitionDirectory(['k'], { k: '' })).toBe('k=__HIVE_DEFAULT_PARTITION__');
    expect(partitionDirectory([], {})).toBe('');
  });

  it('URI-encodes log paths on top of the Hive escaping, and decodes them back', () => {
    const relative = `${partitionDirectory(['ts'], { ts: '10:00 x' })}/part-0.parquet`;
    const logPath = encodeLogPath(relative);
    expect(logPath).toBe('ts=10%253A00%20x/part-0.parquet');
    expect(decodeLogPath(logPath)).toBe(relative);
  });

  it('resolves relative, file: and remote paths', () => {
    expect(resolveLogPath('/lake/t', 'a%20b/f.parquet')).toBe('/lake/t/a b/f.parquet');
    expect(resolveLogPath('/lake/t', 'file:///data/f.parquet')).toBe('/data/f.parquet');
    expect(resolveLogPath('/lake/t', 's3://bucket/f.parquet')).toBe('s3://bucket/f.parquet');
  });

  it('takes a path with a raw % as it is', () => {
    expect(decodeLogPath('100%.parquet')).toBe('100%.parquet');
  });
});
