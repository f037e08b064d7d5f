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

  it('reads deletion vectors, column mapping, v2 checkpoints and type widening; refuses others by name', () => {
    const readable = [
      'deletionVectors',
      'timestampNtz',
      'v2Checkpoint',
      'columnMapping',
      'typeWidening',
    ];
    expect(() =>
      checkReadable({
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: readable,
        writerFeatures: readable,
      }),
    ).not.toThrow();
    const err = refusal(() =>
      checkReadable({
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: ['deletionVectors', 'variantType', 'catalogManaged'],
        writerFeatures: [],
      }),
    );
    expect(err.features).toEqual(['variantType', 'catalogManaged']);
    expect(err.message).toContain('variantType, catalogManaged');
    expect(err.access).toBe('read');
  });

  it('reads column mapping in modes none, name and id; refuses an unknown mode', () => {
    const protocol = { minReaderVersion: 2, minWriterVersion: 5 };
    expect(() => checkReadable(protocol)).not.toThrow();
    for (const mode of ['none', 'name', 'id']) {
      expect(() =>
        checkReadable(protocol, metadata({ 'delta.columnMapping.mode': mode })),
      ).not.toThrow();
    }
    expect(
      refusal(() => checkReadable(protocol, metadata({ 'delta.columnMapping.mode': 'magic' })))
        .features,
    ).toEqual(["columnMapping (mode 'magic')"]);
  });

  it('reads type widening, but refuses a recorded type change that is no supported widening', () => {
    const protocol = {
      minReaderVersion: 3,
      minWriterVersion: 7,
      readerFeatures: ['typeWidening'],
      writerFeatures: ['typeWidening'],
    };
    const changes = (list: object[]) => metadata({}, { 'delta.typeChanges': list });
    expect(() =>
      checkReadable(protocol, changes([{ fromType: 'integer', toType: 'long' }])),
    ).not.toThrow();
    expect(
      refusal(() => checkReadable(protocol, changes([{ fromType: 'long', toType: 'integer' }])))
        .features,
    ).toEqual(['typeWidening (x: long -> integer)']);
  });

  it('refuses writes to tables using the features it only reads', () => {
    for (const feature of ['deletionVectors', 'v2Checkpoint', 'typeWidening']) {
      const protocol = {
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: [feature],
        writerFeatures: [feature],
      };
      expect(refusal(() => checkWritable(protocol, metadata())).features).toEqual([feature]);
    }
    const mapped = metadata({ 'delta.columnMapping.mode': 'name' });
    expect(
      refusal(() => checkWritable({ minReaderVersion: 2, minWriterVersion: 5 }, mapped)).features,
    ).toEqual(['columnMapping']);
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
