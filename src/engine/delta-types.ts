import type { DeltaType, StructType } from '../lake/index.js';
import { EngineError } from './errors.js';

/**
 * Delta ↔ DuckDB types. Timestamps are always TIMESTAMPTZ in DuckDB: DuckDB writes those to
 * Parquet with isAdjustedToUTC = true, which is what Delta's `timestamp` means (a plain DuckDB
 * TIMESTAMP would be Delta's `timestamp_ntz`, a table feature older readers refuse).
 */
export function deltaToDuckType(type: DeltaType): string {
  if (typeof type === 'string') {
    const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
    if (decimal) return `DECIMAL(${decimal[1]},${decimal[2]})`;
    const map: Record<string, string> = {
      string: 'VARCHAR',
      long: 'BIGINT',
      integer: 'INTEGER',
      short: 'SMALLINT',
      byte: 'TINYINT',
      double: 'DOUBLE',
      float: 'FLOAT',
      boolean: 'BOOLEAN',
      timestamp: 'TIMESTAMPTZ',
      timestamp_ntz: 'TIMESTAMP',
      date: 'DATE',
      binary: 'BLOB',
    };
    const duck = map[type];
    if (!duck)
      throw new EngineError(`Delta type '${type}' has no DuckDB equivalent in Freshet yet`);
    return duck;
  }
  if (type.type === 'array') return `${deltaToDuckType(type.elementType)}[]`;
  if (type.type === 'map')
    return `MAP(${deltaToDuckType(type.keyType)}, ${deltaToDuckType(type.valueType)})`;
  return `STRUCT(${type.fields.map((f) => `"${f.name.replaceAll('"', '""')}" ${deltaToDuckType(f.type)}`).join(', ')})`;
}

/** Parses a DuckDB type name (as DESCRIBE prints it) into a Delta type. */
export function duckToDeltaType(duckType: string): DeltaType {
  const t = duckType.trim().toUpperCase();
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal) return `decimal(${decimal[1]},${decimal[2]})`;
  if (t.endsWith('[]')) {
    return {
      type: 'array',
      elementType: duckToDeltaType(duckType.trim().slice(0, -2)),
      containsNull: true,
    };
  }
  if (t.startsWith('STRUCT(') && t.endsWith(')')) {
    return { type: 'struct', fields: parseStructFields(duckType.trim().slice(7, -1)) };
  }
  if (t.startsWith('MAP(') && t.endsWith(')')) {
    const [k, v] = splitTopLevel(duckType.trim().slice(4, -1));
    return {
      type: 'map',
      keyType: duckToDeltaType(k!),
      valueType: duckToDeltaType(v!),
      valueContainsNull: true,
    };
  }
  const map: Record<string, string> = {
    VARCHAR: 'string',
    JSON: 'string',
    UUID: 'string',
    BIGINT: 'long',
    HUGEINT: 'decimal(38,0)',
    UBIGINT: 'decimal(20,0)',
    INTEGER: 'integer',
    UINTEGER: 'long',
    SMALLINT: 'short',
    USMALLINT: 'integer',
    TINYINT: 'byte',
    UTINYINT: 'short',
    DOUBLE: 'double',
    FLOAT: 'float',
    BOOLEAN: 'boolean',
    'TIMESTAMP WITH TIME ZONE': 'timestamp',
    TIMESTAMPTZ: 'timestamp',
    TIMESTAMP: 'timestamp_ntz',
    DATE: 'date',
    BLOB: 'binary',
  };
  const delta = map[t];
  if (!delta)
    throw new EngineError(
      `DuckDB type ${duckType} cannot be stored in a Delta table; cast it (for example to VARCHAR or DOUBLE) in the model`,
    );
  return delta;
}

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && c === ',') {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(s.slice(start).trim());
  return parts;
}

function parseStructFields(body: string): StructType['fields'] {
  return splitTopLevel(body).map((part) => {
    const m = /^("(?:[^"]|"")*"|\S+)\s+(.+)$/.exec(part);
    if (!m) throw new EngineError(`cannot parse struct field '${part}'`);
    const name = m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replaceAll('""', '"') : m[1]!;
    return { name, type: duckToDeltaType(m[2]!), nullable: true, metadata: {} };
  });
}

/** A Delta schema from DuckDB's DESCRIBE output. */
export function schemaFromColumns(columns: { name: string; type: string }[]): StructType {
  return {
    type: 'struct',
    fields: columns.map((c) => ({
      name: c.name,
      type: duckToDeltaType(c.type),
      nullable: true,
      metadata: {},
    })),
  };
}
