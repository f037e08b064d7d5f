import { describe, expect, it } from 'vitest';
import { comparePositions, streamEventId } from './envelope.js';
import { column, envelopeSchema, keyOf, toRow, type MysqlTable } from './table-model.js';
import { convertValue, ValueConversionError, valueKind } from './values.js';

const table: MysqlTable = {
  schema: 'shop',
  table: 't',
  primaryKey: ['id'],
  columns: [
    column('id', 'bigint', 'bigint(20) unsigned', true),
    column('price', 'decimal', 'decimal(10,2)', false),
    column('at', 'datetime', 'datetime(6)', false),
    column('ok', 'bit', 'bit(1)', false),
  ],
};

describe('MySQL values', () => {
  it('maps declared types to kinds', () => {
    expect(valueKind('int', 'int(11)')).toBe('integer');
    expect(valueKind('decimal', 'decimal(5,2)')).toBe('decimal');
    expect(valueKind('bit', 'bit(1)')).toBe('boolean');
    expect(valueKind('bit', 'bit(8)')).toBe('bytes');
    expect(valueKind('varbinary', 'varbinary(4)')).toBe('bytes');
    expect(valueKind('timestamp', 'timestamp(3)')).toBe('timestamp');
  });

  it('converts the snapshot and the stream forms to the same JSON', () => {
    expect(convertValue('c', 'integer', '42')).toBe(42);
    expect(convertValue('c', 'integer', 42)).toBe(42);
    expect(convertValue('c', 'decimal', '1.50')).toBe('1.50');
    expect(convertValue('c', 'datetime', '2024-01-02 03:04:05.120000')).toBe(
      '2024-01-02T03:04:05.12',
    );
    expect(convertValue('c', 'timestamp', '2024-01-02 03:04:05')).toBe('2024-01-02T03:04:05Z');
    expect(convertValue('c', 'boolean', Buffer.from([1]))).toBe(true);
    expect(convertValue('c', 'bytes', Buffer.from([0, 255]))).toBe('AP8=');
    expect(convertValue('c', 'json', { a: 1 })).toBe('{"a":1}');
    expect(convertValue('c', 'string', null)).toBeNull();
  });

  it('refuses what JSON cannot hold exactly, naming the column', () => {
    expect(() => convertValue('shop.t.id', 'integer', '18446744073709551615')).toThrow(
      /shop\.t\.id: 18446744073709551615 does not fit/,
    );
    expect(() => convertValue('d', 'date', '0000-00-00')).toThrow(ValueConversionError);
    expect(() => convertValue('d', 'datetime', '0000-00-00 00:00:00')).toThrow(/zero date/);
  });

  it('rows, keys and the envelope schema', () => {
    const raw = { id: '7', price: '2.00', at: null, ok: Buffer.from([0]) };
    expect(toRow(table, raw)).toEqual({ id: 7, price: '2.00', at: null, ok: false });
    expect(keyOf(table, raw)).toEqual({ id: 7 });
    expect(() => toRow(table, { id: 1 })).toThrow(/no column price/);
    const schema = JSON.parse(envelopeSchema(table)) as {
      properties: { after: { properties: Record<string, { type: string[] }> } };
    };
    expect(schema.properties.after.properties.price!.type).toEqual(['string', 'null']);
    const wider = { ...table, columns: [...table.columns, column('n', 'int', 'int(11)', false)] };
    expect(envelopeSchema(wider)).not.toBe(envelopeSchema(table));
  });

  it('orders binlog positions across files and names events by position', () => {
    expect(comparePositions({ file: 'b.000002', pos: 4 }, { file: 'b.000001', pos: 900 })).toBe(1);
    expect(
      comparePositions({ file: 'b.000001', pos: 4 }, { file: 'b.000001', pos: 900 }),
    ).toBeLessThan(0);
    expect(
      comparePositions({ file: 'b.000010', pos: 4 }, { file: 'b.000009', pos: 4 }),
    ).toBeGreaterThan(0);
    expect(streamEventId('shop', 'b.000001', 120, 2)).toBe('mysql:shop:b.000001:120:2');
  });
});
