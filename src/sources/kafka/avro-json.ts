// Avro values as JSON, the way Confluent's JsonConverter writes what its AvroConverter read:
// - records → objects, arrays → arrays, maps → objects, enums → their symbol string;
// - unions of null and one type → the value itself (or null); other ambiguous unions (two records,
//   a string and an enum…) → `{ "<branch name>": value }`, as Avro's own JSON encoding does;
// - bytes and fixed → base64 strings (JsonConverter's encoding of Connect bytes);
// - decimal (bytes or fixed with logicalType decimal) → per `decimalFormat`: 'base64' of the
//   unscaled two's-complement bytes (JsonConverter's default, decimal.format=BASE64), 'numeric'
//   (decimal.format=NUMERIC: a JSON number, which may lose digits past 2^53), or 'string'
//   (exact digits, e.g. "1234.50"; Freshet's default, since lake readers cast it losslessly);
// - date, time-millis/micros, timestamp-millis/micros and every other logical type → the
//   underlying number (days since epoch, ms or µs), as JsonConverter writes Connect's Date,
//   Time and Timestamp; longs beyond 2^53 lose precision (avsc reads longs as JS numbers);
// - NaN and ±Infinity (no JSON form) → the strings "NaN", "Infinity", "-Infinity".

import avro from 'avsc';

export type DecimalFormat = 'base64' | 'numeric' | 'string';

/** Parses a writer schema with decimals converted as asked. */
export function avroTypeFor(schemaText: string, decimalFormat: DecimalFormat): avro.Type {
  const schema = JSON.parse(schemaText) as avro.Schema;
  return avro.Type.forSchema(schema, {
    wrapUnions: 'auto',
    logicalTypes: { decimal: decimalClass(decimalFormat) },
  });
}

/** Decodes one Avro binary payload (no container header) into JSON-ready values. */
export function avroToJson(type: avro.Type, payload: Buffer): unknown {
  // fromBuffer refuses trailing bytes, which is the check we want: a payload that is longer than
  // its schema says was not written with this schema.
  return jsonReady(type.fromBuffer(payload));
}

function decimalClass(format: DecimalFormat) {
  return class Decimal extends avro.types.LogicalType {
    private readonly scale: number;
    constructor(schema: avro.Schema, opts?: avro.ForSchemaOptions) {
      super(schema, opts);
      const s = (schema as { scale?: unknown }).scale;
      this.scale = typeof s === 'number' && Number.isInteger(s) && s >= 0 ? s : 0;
    }
    override _fromValue(val: unknown): unknown {
      const buf = val as Buffer;
      if (format === 'base64') return buf.toString('base64');
      const text = decimalText(buf, this.scale);
      return format === 'numeric' ? Number(text) : text;
    }
    override _toValue(val: unknown): unknown {
      return val; // only decoding is needed here
    }
    override _resolve(): undefined {
      return undefined;
    }
  };
}

/** The decimal a two's-complement big-endian unscaled value and a scale stand for. */
export function decimalText(unscaled: Buffer, scale: number): string {
  let n = 0n;
  for (const b of unscaled) n = (n << 8n) | BigInt(b);
  if (unscaled.length > 0 && unscaled[0]! & 0x80) n -= 1n << BigInt(unscaled.length * 8);
  const negative = n < 0n;
  let digits = (negative ? -n : n).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/** Buffers to base64, non-finite numbers to strings, avsc record instances to plain objects. */
function jsonReady(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(jsonReady);
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonReady(x);
    return out;
  }
  return v;
}
