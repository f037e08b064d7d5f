import type { DeltaType, StructField, StructType } from './schema.js';

/**
 * Type widening (protocol RFC "Type Widening", reader+writer feature `typeWidening`): a column's
 * type may be changed to a wider one without rewriting data files, so older files carry the
 * narrower type and readers convert on read. Every change is recorded in the metadata of the
 * nearest struct field under `delta.typeChanges`; readers must refuse changes they do not know.
 */

export const TYPE_CHANGES_KEY = 'delta.typeChanges';

export interface TypeChange {
  /** Dotted logical path of the struct field holding the record ('a.b'). */
  column: string;
  fromType: string;
  toType: string;
  /** 'element', 'key', 'value' (dotted for nesting) for changes inside arrays and maps. */
  fieldPath?: string;
}

const INTEGERS = ['byte', 'short', 'integer', 'long'];
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;

/** True for the widenings the RFC allows (and so readers can convert). */
export function isSupportedWidening(fromType: string, toType: string): boolean {
  const from = fromType.trim();
  const to = toType.trim();
  const fromInt = INTEGERS.indexOf(from);
  const toInt = INTEGERS.indexOf(to);
  if (fromInt >= 0 && toInt >= 0) return fromInt < toInt;
  if (from === 'float' && to === 'double') return true;
  if (fromInt >= 0 && fromInt <= 2 && to === 'double') return true;
  if (from === 'date' && to === 'timestamp_ntz') return true;
  const toDecimal = DECIMAL.exec(to);
  if (!toDecimal) return false;
  const [p2, s2] = [Number(toDecimal[1]), Number(toDecimal[2])];
  const fromDecimal = DECIMAL.exec(from);
  if (fromDecimal) {
    const [p1, s1] = [Number(fromDecimal[1]), Number(fromDecimal[2])];
    // decimal(p, s) -> decimal(p + k1, s + k2) with k1 >= k2 >= 0
    return s2 >= s1 && p2 - p1 >= s2 - s1;
  }
  // byte/short/int -> decimal(10 + k1, k2), long -> decimal(20 + k1, k2), k1 >= k2 >= 0
  if (fromInt >= 0) return p2 - (fromInt === 3 ? 20 : 10) >= s2;
  return false;
}

/** Every recorded type change in the schema, at any depth. */
export function typeChanges(schema: StructType): TypeChange[] {
  const out: TypeChange[] = [];
  collect(schema, '', out);
  return out;
}

function collect(type: DeltaType, prefix: string, out: TypeChange[]): void {
  if (typeof type === 'string') return;
  if (type.type === 'array') return collect(type.elementType, prefix, out);
  if (type.type === 'map') {
    collect(type.keyType, prefix, out);
    return collect(type.valueType, prefix, out);
  }
  for (const field of type.fields) {
    const column = prefix === '' ? field.name : `${prefix}.${field.name}`;
    for (const change of fieldChanges(field)) out.push({ column, ...change });
    collect(field.type, column, out);
  }
}

function fieldChanges(field: StructField): Omit<TypeChange, 'column'>[] {
  let raw = field.metadata[TYPE_CHANGES_KEY];
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      return [{ fromType: '?', toType: '?' }];
    }
  }
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return [{ fromType: '?', toType: '?' }];
  return raw.map((c: unknown) => {
    const o = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
    return {
      fromType: typeof o.fromType === 'string' ? o.fromType : '?',
      toType: typeof o.toType === 'string' ? o.toType : '?',
      ...(typeof o.fieldPath === 'string' ? { fieldPath: o.fieldPath } : {}),
    };
  });
}

/** The type changes a reader cannot honour, as 'column: from -> to' (empty when all are fine). */
export function unsupportedTypeChanges(schema: StructType): string[] {
  return typeChanges(schema)
    .filter((c) => !isSupportedWidening(c.fromType, c.toType))
    .map((c) => {
      const where = c.fieldPath ? `${c.column}.${c.fieldPath}` : c.column;
      return `${where}: ${c.fromType} -> ${c.toType}`;
    });
}

/** Top-level columns that hold a widened type anywhere inside (they need a cast on read). */
export function widenedColumns(schema: StructType): Set<string> {
  const out = new Set<string>();
  for (const field of schema.fields) {
    if (typeChanges({ type: 'struct', fields: [field] }).length > 0) out.add(field.name);
  }
  return out;
}
