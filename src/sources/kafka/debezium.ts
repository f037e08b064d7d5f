// Debezium's events as its Kafka Connect JsonConverter writes them with schemas.enable=true:
// `{"schema": {...connect schema...}, "payload": <the event>}`. Freshet keeps the payload (the
// change-event envelope: before, after, source, op, ts_ms, transaction) and drops the inline
// schema, which Freshet's registry replaces. Anything else is returned as it is.

/** True for the converter's `{schema, payload}` wrapper (exactly those two keys, schema an object). */
export function isSchemaPayload(
  v: unknown,
): v is { schema: Record<string, unknown>; payload: unknown } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  if (keys.length !== 2 || !keys.includes('schema') || !keys.includes('payload')) return false;
  const schema = (v as { schema: unknown }).schema;
  return (
    typeof schema === 'object' &&
    schema !== null &&
    typeof (schema as { type?: unknown }).type === 'string'
  );
}

/** The payload of a `{schema, payload}` wrapper, or the value itself. */
export function unwrapSchemaPayload(v: unknown): unknown {
  return isSchemaPayload(v) ? v.payload : v;
}
