// Types for file drops: a JSON Schema inferred from a sample of records (when none is declared),
// and CSV text converted to the types the topic's schema declares. A value that does not convert
// is left as the text it was, so the registry's validation names the field and the reason and
// the record goes to quarantine.

import { FORMATS } from '../../registry/json-schema-formats.js';

export type JsonSchema = Record<string, unknown>;

type Kind = 'integer' | 'number' | 'boolean' | 'date' | 'date-time' | 'string' | 'any';

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN = /^(true|false)$/i;
// Dates and timestamps as the registry's own format checks accept them (a timestamp needs its
// seconds and a zone), so an inferred schema never refuses the very sample it came from.
const isDate = FORMATS['date']!;
const isDateTime = FORMATS['date-time']!;

function textKind(s: string): Kind {
  if (INTEGER.test(s) && Number.isSafeInteger(Number(s))) return 'integer';
  if (NUMBER.test(s)) return 'number';
  if (BOOLEAN.test(s)) return 'boolean';
  if (isDate(s)) return 'date';
  if (isDateTime(s)) return 'date-time';
  return 'string';
}

function valueKind(v: unknown, text: boolean): Kind {
  if (typeof v === 'string') return text ? textKind(v) : stringKind(v);
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  return 'any';
}

/** In JSON a string stays a string; only its format (date, date-time) is inferred. */
function stringKind(s: string): Kind {
  const k = textKind(s);
  return k === 'date' || k === 'date-time' ? k : 'string';
}

function merge(a: Kind | null, b: Kind): Kind {
  if (a === null || a === b) return b;
  if ((a === 'integer' && b === 'number') || (a === 'number' && b === 'integer')) return 'number';
  if ((a === 'date' || a === 'date-time') && (b === 'date' || b === 'date-time')) return 'string';
  if (a === 'any' || b === 'any') return 'any';
  return 'string';
}

/**
 * A schema for records like `sample`. `text`: values are CSV text (so "42" is an integer column).
 * Fields present in every sampled record are required; a field seen empty or null is nullable.
 */
export function inferSchema(
  sample: Record<string, unknown>[],
  opts: { text: boolean },
): JsonSchema {
  const kinds = new Map<string, Kind | null>();
  const nullable = new Set<string>();
  const seen = new Map<string, number>();
  for (const record of sample) {
    for (const [field, v] of Object.entries(record)) {
      seen.set(field, (seen.get(field) ?? 0) + 1);
      if (!kinds.has(field)) kinds.set(field, null);
      if (v === null || v === undefined || (opts.text && v === '')) {
        nullable.add(field);
        continue;
      }
      kinds.set(field, merge(kinds.get(field) ?? null, valueKind(v, opts.text)));
    }
  }
  const properties: Record<string, JsonSchema> = {};
  for (const [field, kind] of kinds) {
    properties[field] = propertySchema(kind ?? 'string', nullable.has(field));
  }
  const required = [...seen].filter(([, n]) => n === sample.length).map(([f]) => f);
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

function propertySchema(kind: Kind, nullable: boolean): JsonSchema {
  if (kind === 'any') return {};
  const type = kind === 'date' || kind === 'date-time' ? 'string' : kind;
  const format = kind === 'date' || kind === 'date-time' ? { format: kind } : {};
  return { type: nullable ? [type, 'null'] : type, ...format };
}

/** The JSON types a property allows (from `type`, a string or an array); [] when unconstrained. */
function allowed(prop: unknown): string[] {
  if (prop === null || typeof prop !== 'object') return [];
  const t = (prop as { type?: unknown }).type;
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === 'string');
  return [];
}

/**
 * Converts a CSV record's text to the schema's types. An empty cell is no value: null where the
 * property allows null, else the field is left out (so a required one is reported missing);
 * only a column the schema does not type keeps it as "".
 */
export function coerceText(
  record: Record<string, unknown>,
  schema: JsonSchema | null,
): Record<string, unknown> {
  const props = (schema?.properties ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [field, v] of Object.entries(record)) {
    if (typeof v !== 'string') {
      out[field] = v;
      continue;
    }
    const types = allowed(props[field]);
    if (v === '') {
      // No value: null where allowed, else absent (a required field is then reported missing).
      if (types.includes('null')) out[field] = null;
      else if (types.length === 0) out[field] = v;
      continue;
    }
    out[field] = convert(v, types);
  }
  return out;
}

function convert(v: string, types: string[]): unknown {
  if (types.length === 0 || types.includes('string')) return v;
  const s = v.trim();
  if (types.includes('integer') && INTEGER.test(s) && Number.isSafeInteger(Number(s)))
    return Number(s);
  if (types.includes('number') && NUMBER.test(s)) return Number(s);
  if (types.includes('boolean') && BOOLEAN.test(s)) return s.toLowerCase() === 'true';
  return v;
}
