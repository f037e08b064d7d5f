// An Avro schema as the JSON Schema of the JSON that avro-json.ts makes of its values, so that
// Freshet's registry can guard a Kafka topic's events without anyone writing a second schema.
// Records → objects with every field required (the converter always writes every field); unions
// → anyOf of the branches, each also in Avro's wrapped `{ "<branch>": value }` form for the
// unions that stay wrapped; bytes, fixed → base64 strings; decimal → per the decimal format;
// enums → their symbols; longs and the date/time logical types → integers. A recursive type's
// inner reference is left open ({}), since it would otherwise never end.

import type { DecimalFormat } from './avro-json.js';

type Json = Record<string, unknown>;
type AvroSchemaNode = string | AvroSchemaNode[] | { [k: string]: unknown };

const PRIMITIVES: Record<string, Json> = {
  null: { type: 'null' },
  boolean: { type: 'boolean' },
  int: { type: 'integer' },
  long: { type: 'integer' },
  // NaN and ±Infinity have no JSON number; the converter writes them as strings.
  float: { type: ['number', 'string'] },
  double: { type: ['number', 'string'] },
  string: { type: 'string' },
  bytes: { type: 'string', contentEncoding: 'base64' },
};

export function avroToJsonSchema(schemaText: string, decimalFormat: DecimalFormat): Json {
  const named = new Map<string, Json | 'open'>();
  const out = convert(JSON.parse(schemaText) as AvroSchemaNode, undefined, named, decimalFormat);
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...out };
}

function fullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

function convert(
  node: AvroSchemaNode,
  namespace: string | undefined,
  named: Map<string, Json | 'open'>,
  decimalFormat: DecimalFormat,
): Json {
  if (typeof node === 'string') {
    const p = PRIMITIVES[node];
    if (p) return { ...p };
    const ref = named.get(fullName(node, namespace)) ?? named.get(node);
    return ref === undefined || ref === 'open' ? {} : ref;
  }
  if (Array.isArray(node)) {
    const branches = node.map((b) => convert(b, namespace, named, decimalFormat));
    const names = node.map((b) => branchName(b, namespace));
    const wrapped = branches.map((b, i): Json | null =>
      names[i] === 'null'
        ? null
        : { type: 'object', properties: { [names[i]!]: b }, required: [names[i]!] },
    );
    return { anyOf: [...branches, ...wrapped.filter((w): w is Json => w !== null)] };
  }
  const type = node.type as AvroSchemaNode;
  const logical = node.logicalType;
  if (logical === 'decimal' && (type === 'bytes' || type === 'fixed')) {
    if (type === 'fixed') registerName(node, namespace, named, { type: 'string' });
    return decimalFormat === 'numeric' ? { type: 'number' } : { type: 'string' };
  }
  switch (type) {
    case 'record':
    case 'error': {
      const name = fullName(String(node.name), (node.namespace as string | undefined) ?? namespace);
      const ns = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : undefined;
      named.set(name, 'open');
      const properties: Json = {};
      const fields = (node.fields as { name: string; type: AvroSchemaNode }[]) ?? [];
      for (const f of fields) properties[f.name] = convert(f.type, ns, named, decimalFormat);
      const out: Json = { type: 'object', properties, required: fields.map((f) => f.name) };
      named.set(name, out);
      return out;
    }
    case 'enum':
      return registerName(node, namespace, named, { type: 'string', enum: node.symbols });
    case 'fixed':
      return registerName(node, namespace, named, { type: 'string', contentEncoding: 'base64' });
    case 'array':
      return {
        type: 'array',
        items: convert(node.items as AvroSchemaNode, namespace, named, decimalFormat),
      };
    case 'map':
      return {
        type: 'object',
        additionalProperties: convert(
          node.values as AvroSchemaNode,
          namespace,
          named,
          decimalFormat,
        ),
      };
    default:
      // A primitive written as {"type": "long", "logicalType": …}, or a named reference.
      return convert(type, namespace, named, decimalFormat);
  }
}

function registerName(
  node: { [k: string]: unknown },
  namespace: string | undefined,
  named: Map<string, Json | 'open'>,
  out: Json,
): Json {
  const name = fullName(String(node.name), (node.namespace as string | undefined) ?? namespace);
  named.set(name, out);
  return out;
}

/** The name Avro's JSON encoding wraps a union branch in. */
function branchName(b: AvroSchemaNode, namespace: string | undefined): string {
  if (typeof b === 'string') return PRIMITIVES[b] ? b : fullName(b, namespace);
  if (Array.isArray(b)) return 'union';
  const t = b.type;
  if (
    (t === 'record' || t === 'error' || t === 'enum' || t === 'fixed') &&
    typeof b.name === 'string'
  ) {
    return fullName(b.name, (b.namespace as string | undefined) ?? namespace);
  }
  return typeof t === 'string' ? t : 'union';
}
