import { describe, expect, it } from 'vitest';
import { parseSchema } from './schema.js';
import {
  isSupportedWidening,
  typeChanges,
  unsupportedTypeChanges,
  widenedColumns,
} from './type-widening.js';

describe('type widening', () => {
  it('knows the widenings of the RFC', () => {
    const ok: [string, string][] = [
      ['byte', 'short'],
      ['short', 'long'],
      ['integer', 'long'],
      ['float', 'double'],
      ['integer', 'double'],
      ['date', 'timestamp_ntz'],
      ['decimal(10,2)', 'decimal(12,4)'],
      ['decimal(10,2)', 'decimal(11,2)'],
      ['integer', 'decimal(10,0)'],
      ['long', 'decimal(22,2)'],
    ];
    const no: [string, string][] = [
      ['long', 'integer'],
      ['long', 'double'],
      ['double', 'float'],
      ['date', 'timestamp'],
      ['decimal(10,2)', 'decimal(11,4)'],
      ['long', 'decimal(20,1)'],
      ['string', 'long'],
    ];
    for (const [from, to] of ok)
      expect(isSupportedWidening(from, to), `${from} -> ${to}`).toBe(true);
    for (const [from, to] of no)
      expect(isSupportedWidening(from, to), `${from} -> ${to}`).toBe(false);
  });

  it('finds type changes at any depth, with their map/array field path', () => {
    const schema = parseSchema({
      type: 'struct',
      fields: [
        {
          name: 'a',
          type: 'long',
          nullable: true,
          metadata: {
            'delta.typeChanges': [
              { fromType: 'short', toType: 'integer' },
              { fromType: 'integer', toType: 'long' },
            ],
          },
        },
        {
          name: 's',
          type: {
            type: 'struct',
            fields: [
              {
                name: 'm',
                type: {
                  type: 'map',
                  keyType: 'double',
                  valueType: 'string',
                  valueContainsNull: true,
                },
                nullable: true,
                metadata: {
                  'delta.typeChanges': [{ fromType: 'float', toType: 'double', fieldPath: 'key' }],
                },
              },
            ],
          },
          nullable: true,
          metadata: {},
        },
        { name: 'plain', type: 'string', nullable: true, metadata: {} },
      ],
    });
    expect(typeChanges(schema)).toEqual([
      { column: 'a', fromType: 'short', toType: 'integer' },
      { column: 'a', fromType: 'integer', toType: 'long' },
      { column: 's.m', fromType: 'float', toType: 'double', fieldPath: 'key' },
    ]);
    expect([...widenedColumns(schema)]).toEqual(['a', 's']);
    expect(unsupportedTypeChanges(schema)).toEqual([]);
  });
});
