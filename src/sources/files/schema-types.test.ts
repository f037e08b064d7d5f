import { describe, expect, it } from 'vitest';
import { matcher } from './drop-watcher.js';
import { coerceText, inferSchema } from './schema-types.js';

describe('inferSchema', () => {
  it('widens integer to number, mixed kinds to string, and marks empty columns nullable', () => {
    const schema = inferSchema(
      [
        { a: '1', b: '1', c: 'true', d: '2024-01-01', e: '' },
        { a: '2', b: '2.5', c: 'x', d: '2024-01-01T00:00:00Z', e: '' },
      ],
      { text: true },
    );
    expect(schema).toEqual({
      type: 'object',
      properties: {
        a: { type: 'integer' },
        b: { type: 'number' },
        c: { type: 'string' },
        d: { type: 'string' },
        e: { type: ['string', 'null'] },
      },
      required: ['a', 'b', 'c', 'd', 'e'],
    });
  });

  it('keeps JSON strings strings and requires only fields present in every record', () => {
    const schema = inferSchema([{ a: '1', b: { x: 1 } }, { a: '2' }], { text: false });
    expect(schema).toEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: {} },
      required: ['a'],
    });
  });
});

describe('coerceText', () => {
  const schema = {
    properties: {
      i: { type: 'integer' },
      n: { type: ['number', 'null'] },
      b: { type: 'boolean' },
      s: { type: 'string' },
    },
  };
  it('converts to the declared types and leaves what does not convert for validation to name', () => {
    expect(coerceText({ i: '007', n: '-1.5e3', b: 'TRUE', s: '42', x: '' }, schema)).toEqual({
      i: 7,
      n: -1500,
      b: true,
      s: '42',
      x: '',
    });
    expect(coerceText({ i: '1.5', n: '', b: 'yes', s: '' }, schema)).toEqual({
      i: '1.5',
      n: null,
      b: 'yes',
    });
  });
});

describe('matcher', () => {
  it('takes suffixes and globs', () => {
    expect(matcher('.csv')('a/b.csv')).toBe(true);
    expect(matcher('*.csv')('a/b.csv')).toBe(false);
    expect(matcher('*.csv')('b.csv')).toBe(true);
    expect(matcher('exports/**/*.parquet')('exports/2024/03/x.parquet')).toBe(true);
    expect(matcher('exports/**/*.parquet')('exports/x.parquet')).toBe(true);
    expect(matcher('exports/**/*.parquet')('other/x.parquet')).toBe(false);
    expect(matcher(undefined)('anything')).toBe(true);
  });
});
