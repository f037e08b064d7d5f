// The few JSON paths a pull source needs: dotted names into a page ("data.items",
// "meta.next_cursor"); "" or "$" is the page itself. Own properties only, so a path can never
// reach into Object.prototype.

export function getPath(value: unknown, path: string): unknown {
  const trimmed = path.replace(/^\$\.?/, '');
  if (trimmed === '') return value;
  let at: unknown = value;
  for (const name of trimmed.split('.')) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, name)) return undefined;
    at = (at as Record<string, unknown>)[name];
  }
  return at;
}
