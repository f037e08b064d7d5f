// Avro schemas, for now only accepted and stored. The registry checks that the text is an Avro
// schema in shape (JSON: a type name, a union array, or an object with "type"); full parsing,
// canonical form, value validation and compatibility checks come with issue 5.

/** Returns why `text` cannot be an Avro schema, or null if it looks like one. */
export function avroSchemaProblem(text: string): string | null {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  if (typeof schema === 'string') return schema.length > 0 ? null : 'empty type name';
  if (Array.isArray(schema)) return schema.length > 0 ? null : 'empty union';
  if (typeof schema === 'object' && schema !== null && 'type' in schema) return null;
  return 'an Avro schema must be a type name, a union array, or an object with a "type"';
}
