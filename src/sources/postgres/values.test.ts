import { describe, expect, it } from 'vitest';
import { envelopeSchema, tupleToRow, UNAVAILABLE_VALUE, type TableModel } from './table-model.js';
import { convertValue, TYPE, ValueConversionError } from './values.js';

describe('PostgreSQL text values to Debezium JSON', () => {
  const c = (oid: number, text: string) => convertValue('public.t.c', oid, text);

  it('converts scalars as Debezium does by default', () => {
    expect(c(TYPE.bool, 't')).toBe(true);
    expect(c(TYPE.bool, 'f')).toBe(false);
    expect(c(TYPE.int4, '-42')).toBe(-42);
    expect(c(TYPE.int8, '9007199254740991')).toBe(9007199254740991);
    expect(c(TYPE.float8, '1.5e-7')).toBe(1.5e-7);
    expect(c(TYPE.numeric, '12345678901234567890.0001')).toBe('12345678901234567890.0001');
    expect(c(TYPE.jsonb, '{"a": 1}')).toBe('{"a": 1}');
    expect(c(TYPE.bytea, '\\xdeadbeef')).toBe(Buffer.from('deadbeef', 'hex').toString('base64'));
    expect(c(TYPE.uuid, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')).toBe(
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    );
  });

  it('converts dates and times to Debezium time types', () => {
    expect(c(TYPE.date, '1970-01-02')).toBe(1);
    expect(c(TYPE.date, '1969-12-31')).toBe(-1);
    expect(c(TYPE.timestamp, '1970-01-01 00:00:01.5')).toBe(1_500_000);
    expect(c(TYPE.timestamptz, '2024-01-31 10:00:00.123456+05:30')).toBe(
      '2024-01-31T04:30:00.123456Z',
    );
    expect(c(TYPE.timestamptz, '2024-01-31 04:30:00+00')).toBe('2024-01-31T04:30:00.000000Z');
    expect(c(TYPE.time, '01:00:00.000001')).toBe(3_600_000_001);
  });

  it('refuses values JSON cannot hold, naming column and value', () => {
    expect(() => c(TYPE.float8, 'NaN')).toThrow(ValueConversionError);
    expect(() => c(TYPE.float4, 'Infinity')).toThrow(/public\.t\.c.*Infinity.*not finite/);
    expect(() => c(TYPE.int8, '9223372036854775807')).toThrow(/2\^53/);
    expect(() => c(TYPE.date, 'infinity')).toThrow(/date/);
    expect(() => c(TYPE.timestamptz, '-infinity')).toThrow(/timestamp/);
  });
});

describe('table model', () => {
  const model: TableModel = {
    schema: 'public',
    table: 'docs',
    columns: [
      { name: 'id', typeOid: TYPE.int4, typeMod: -1, key: true },
      { name: 'body', typeOid: TYPE.text, typeMod: -1, key: false },
      { name: 'n', typeOid: TYPE.int8, typeMod: -1, key: false },
    ],
  };

  it('keeps an unchanged TOASTed value as the placeholder, never null', () => {
    const row = tupleToRow(model, [
      { kind: 'text', text: '1' },
      { kind: 'unchanged' },
      { kind: 'null' },
    ]);
    expect(row).toEqual({ id: 1, body: UNAVAILABLE_VALUE, n: null });
  });

  it('refuses a tuple whose width disagrees with the relation', () => {
    expect(() => tupleToRow(model, [{ kind: 'null' }])).toThrow(/1 columns for a table of 3/);
  });

  it('gives a new schema text when a column is added or retyped, the same otherwise', () => {
    const base = envelopeSchema(model);
    expect(envelopeSchema({ ...model })).toBe(base);
    const added = {
      ...model,
      columns: [...model.columns, { name: 'x', typeOid: TYPE.text, typeMod: -1, key: false }],
    };
    expect(envelopeSchema(added)).not.toBe(base);
    const retyped = {
      ...model,
      columns: model.columns.map((col) =>
        col.name === 'n' ? { ...col, typeOid: TYPE.text } : col,
      ),
    };
    const s = JSON.parse(envelopeSchema(retyped));
    expect(s.properties.after.properties.n.type).toEqual(['string', 'null']);
  });
});
