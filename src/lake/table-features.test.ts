import { describe, expect, it } from 'vitest';
import type { MetadataAction } from './actions.js';
import { UnsupportedFeatureError } from './errors.js';
import { checkReadable, checkWritable } from './table-features.js';

function metadata(configuration: Record<string, string> = {}, fieldMetadata = {}): MetadataAction {
  return {
    id: 'id',
    format: { provider: 'parquet', options: {} },
    schemaString: JSON.stringify({
      type: 'struct',
      fields: [{ name: 'x', type: 'long', nullable: true, metadata: fieldMetadata }],
    }),
    partitionColumns: [],
    configuration,
  };
}

function refusal(fn: () => void): UnsupportedFeatureError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UnsupportedFeatureError) return err;
    throw err;
  }
  throw new Error('expected an UnsupportedFeatureError');
}

describe('checkReadable', () => {
  it('reads plain tables', () => {
    expect(() => checkReadable({ minReaderVersion: 1, minWriterVersion: 2 })).not.toThrow();
  });

  it('refuses deletion vectors and v2 checkpoints by name', () => {
    const err = refusal(() =>
      checkReadable({
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: ['deletionVectors', 'timestampNtz', 'v2Checkpoint'],
        writerFeatures: [],
      }),
    );
    expect(err.features).toEqual(['deletionVectors', 'v2Checkpoint']);
    expect(err.message).toContain('deletionVectors, v2Checkpoint');
    expect(err.access).toBe('read');
  });

  it('refuses reader version 2 (column mapping) unless the mode is none', () => {
    const protocol = { minReaderVersion: 2, minWriterVersion: 5 };
    expect(refusal(() => checkReadable(protocol)).features).toEqual(['columnMapping']);
    expect(
      refusal(() => checkReadable(protocol, metadata({ 'delta.columnMapping.mode': 'name' })))
        .features,
    ).toEqual(['columnMapping']);
    expect(() => checkReadable(protocol, metadata())).not.toThrow();
  });

  it('refuses reader versions from the future', () => {
    expect(
      refusal(() => checkReadable({ minReaderVersion: 4, minWriterVersion: 7 })).features,
    ).toEqual(['readerVersion4']);
  });
});

describe('checkWritable', () => {
  it('writes writer-version-2 tables without invariants', () => {
    expect(() =>
      checkWritable({ minReaderVersion: 1, minWriterVersion: 2 }, metadata()),
    ).not.toThrow();
  });

  it('refuses a table whose column carries an invariant it cannot enforce', () => {
    const m = metadata({}, { 'delta.invariants': '{"expression":{"expression":"x > 3"}}' });
    expect(
      refusal(() => checkWritable({ minReaderVersion: 1, minWriterVersion: 2 }, m)).features,
    ).toEqual(['invariants']);
  });

  it('refuses writer features it does not implement, by name', () => {
    const err = refusal(() =>
      checkWritable(
        {
          minReaderVersion: 1,
          minWriterVersion: 7,
          writerFeatures: ['appendOnly', 'rowTracking', 'domainMetadata', 'inCommitTimestamp'],
        },
        metadata(),
      ),
    );
    expect(err.features).toEqual(['rowTracking', 'inCommitTimestamp']);
    expect(err.access).toBe('write');
  });

  it('refuses change data feed while it is enabled', () => {
    const protocol = { minReaderVersion: 1, minWriterVersion: 4 };
    expect(() => checkWritable(protocol, metadata())).not.toThrow();
    expect(
      refusal(() => checkWritable(protocol, metadata({ 'delta.enableChangeDataFeed': 'true' })))
        .features,
    ).toEqual(['changeDataFeed']);
  });
});
