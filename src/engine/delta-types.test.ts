import { describe, expect, it } from 'vitest';
import { deltaToDuckType, duckToDeltaType, schemaFromColumns } from './delta-types.js';

describe('Delta ↔ DuckDB types', () => {
  it('maps primitives both ways, timestamps as TIMESTAMPTZ ↔ timestamp', () => {
    const pairs: [string, string][] = [
      ['string', 'VARCHAR'],
      ['long', 'BIGINT'],
      ['integer', 'INTEGER'],
      ['double', 'DOUBLE'],
      ['boolean', 'BOOLEAN'],
      ['timestamp', 'TIMESTAMPTZ'],
      ['timestamp_ntz', 'TIMESTAMP'],
      ['date', 'DATE'],
      ['decimal(18,2)', 'DECIMAL(18,2)'],
    ];
    for (const [delta, duck] of pairs) {
      expect(deltaToDuckType(delta)).toBe(duck);
      expect(duckToDeltaType(duck)).toBe(delta);
    }
    expect(duckToDeltaType('TIMESTAMP WITH TIME ZONE')).toBe('timestamp');
  });

  it('parses nested DuckDB types into Delta structs, arrays and maps', () => {
    expect(duckToDeltaType('STRUCT(sku VARCHAR, "qty x" INTEGER)[]')).toEqual({
      type: 'array',
      containsNull: true,
      elementType: {
        type: 'struct',
        fields: [
          { name: 'sku', type: 'string', nullable: true, metadata: {} },
          { name: 'qty x', type: 'integer', nullable: true, metadata: {} },
        ],
      },
    });
    expect(duckToDeltaType('MAP(VARCHAR, BIGINT)')).toEqual({
      type: 'map',
      keyType: 'string',
      valueType: 'long',
      valueContainsNull: true,
    });
    expect(deltaToDuckType(duckToDeltaType('STRUCT(a INTEGER, b VARCHAR[])'))).toBe(
      'STRUCT("a" INTEGER, "b" VARCHAR[])',
    );
  });

  it('refuses a type Delta cannot hold, saying what to do', () => {
    expect(() => duckToDeltaType('INTERVAL')).toThrow(/cannot be stored in a Delta table; cast it/);
    expect(schemaFromColumns([{ name: 'n', type: 'BIGINT' }]).fields[0]).toMatchObject({
      name: 'n',
      type: 'long',
    });
  });
});
