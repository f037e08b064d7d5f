import { describe, expect, it } from 'vitest';
import { LakeError } from '../errors.js';
import { structField } from '../schema.js';
import { convertSchema } from './iceberg-schema.js';

describe('convertSchema', () => {
  it('numbers fields in schema order, nested elements included, and maps their names', () => {
    const converted = convertSchema(
      {
        type: 'struct',
        fields: [
          structField('id', 'long', { nullable: false }),
          structField('tags', { type: 'array', elementType: 'string', containsNull: false }),
          structField('attrs', {
            type: 'map',
            keyType: 'string',
            valueType: 'decimal(10,2)',
            valueContainsNull: true,
          }),
          structField('addr', { type: 'struct', fields: [structField('city', 'string')] }),
          structField('at', 'timestamp_ntz'),
        ],
      },
      't',
    );
    expect(converted.schema.fields).toEqual([
      { id: 1, name: 'id', required: true, type: 'long' },
      {
        id: 2,
        name: 'tags',
        required: false,
        type: { type: 'list', 'element-id': 3, element: 'string', 'element-required': true },
      },
      {
        id: 4,
        name: 'attrs',
        required: false,
        type: {
          type: 'map',
          'key-id': 5,
          key: 'string',
          'value-id': 6,
          value: 'decimal(10, 2)',
          'value-required': false,
        },
      },
      {
        id: 7,
        name: 'addr',
        required: false,
        type: {
          type: 'struct',
          fields: [{ id: 8, name: 'city', required: false, type: 'string' }],
        },
      },
      { id: 9, name: 'at', required: false, type: 'timestamp' },
    ]);
    expect(converted.lastColumnId).toBe(9);
    expect(converted.nameMapping[1]).toEqual({
      'field-id': 2,
      names: ['tags'],
      fields: [{ 'field-id': 3, names: ['element'] }],
    });
    expect(converted.nameMapping[2]!.fields!.map((f) => f.names)).toEqual([['key'], ['value']]);
    expect([...converted.columns.keys()].sort()).toEqual([
      'addr',
      'addr.city',
      'at',
      'attrs',
      'id',
      'tags',
    ]);
    expect(converted.columns.get('addr.city')).toMatchObject({
      id: 8,
      statsPath: ['addr', 'city'],
    });
  });

  it("keeps Delta column mapping's ids and physical names", () => {
    const mapped = (name: string, id: number) =>
      structField(name, 'long', {
        metadata: {
          'delta.columnMapping.id': id,
          'delta.columnMapping.physicalName': `col-${id}`,
        },
      });
    const converted = convertSchema(
      { type: 'struct', fields: [mapped('b', 7), structField('plain', 'string'), mapped('a', 3)] },
      't',
    );
    expect(converted.schema.fields.map((f) => f.id)).toEqual([7, 8, 3]);
    expect(converted.nameMapping.map((m) => m.names)).toEqual([
      ['col-7', 'b'],
      ['plain'],
      ['col-3', 'a'],
    ]);
    expect(converted.columns.get('b')!.statsPath).toEqual(['col-7']);
  });

  it('refuses types Iceberg does not have, naming the column', () => {
    expect(() =>
      convertSchema({ type: 'struct', fields: [structField('v', 'variant')] }, 'gold/x'),
    ).toThrow(LakeError);
    expect(() =>
      convertSchema({ type: 'struct', fields: [structField('v', 'variant')] }, 'gold/x'),
    ).toThrow(/column 'v' has Delta type 'variant'/);
  });
});
