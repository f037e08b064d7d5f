// JSON Schema compatibility as Confluent's registry decides it: a structural diff of the
// writer's schema (the "original") against the reader's (the "update"), where each kind of
// difference is compatible or not (Confluent's SchemaDiff and Difference.Type, default
// "strict" rules). The content model matters: an object is open (any extra property allowed),
// closed (additionalProperties: false) or partially open (patternProperties, or an
// additionalProperties schema). For instance, for BACKWARD (reader = new, writer = old):
//
//   - adding an optional property to a closed model is compatible, a required one is not
//     (unless it has a default);
//   - adding a property to an open model is incompatible (old data may hold that name with any
//     value), unless its schema is empty ({} or true);
//   - removing a property from an open model is compatible, from a closed one is not;
//   - widening (integer → number, a longer maxLength, more enum values, more anyOf branches) is
//     compatible, narrowing is not.
//
// Covered: type, string, number, enum/const, object (properties, required, additional and
// pattern properties, property dependencies, min/max properties), array (items, tuples,
// additionalItems / prefixItems, min/max items, uniqueItems), allOf/anyOf/oneOf (with
// criterion changes and a best matching of subschemas), not, local $ref (#/definitions,
// #/$defs, any JSON pointer into the same document, recursive ones included).
// Not covered (see README): references to other documents or subjects, if/then/else,
// unevaluatedProperties/Items, contains, propertyNames, dependentSchemas of 2019-09+.

type Json = unknown;
type Obj = Record<string, Json>;

export interface JsonDifference {
  type: string;
  /** JSON pointer in Confluent's form, e.g. "#/properties/b". */
  path: string;
}

/** The differences Confluent accepts (SchemaDiff.COMPATIBLE_CHANGES, strict rules). */
const COMPATIBLE = new Set([
  'ID_CHANGED',
  'DESCRIPTION_CHANGED',
  'TITLE_CHANGED',
  'DEFAULT_CHANGED',
  'SCHEMA_REMOVED',
  'TYPE_EXTENDED',
  'MAX_LENGTH_INCREASED',
  'MAX_LENGTH_REMOVED',
  'MIN_LENGTH_DECREASED',
  'MIN_LENGTH_REMOVED',
  'PATTERN_REMOVED',
  'MAXIMUM_INCREASED',
  'MAXIMUM_REMOVED',
  'MINIMUM_DECREASED',
  'MINIMUM_REMOVED',
  'EXCLUSIVE_MAXIMUM_INCREASED',
  'EXCLUSIVE_MAXIMUM_REMOVED',
  'EXCLUSIVE_MINIMUM_DECREASED',
  'EXCLUSIVE_MINIMUM_REMOVED',
  'MULTIPLE_OF_REDUCED',
  'MULTIPLE_OF_REMOVED',
  'REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED',
  'REQUIRED_ATTRIBUTE_REMOVED',
  'DEPENDENCY_ARRAY_NARROWED',
  'DEPENDENCY_ARRAY_REMOVED',
  'DEPENDENCY_SCHEMA_REMOVED',
  'MAX_PROPERTIES_INCREASED',
  'MAX_PROPERTIES_REMOVED',
  'MIN_PROPERTIES_DECREASED',
  'MIN_PROPERTIES_REMOVED',
  'ADDITIONAL_PROPERTIES_ADDED',
  'ADDITIONAL_PROPERTIES_EXTENDED',
  'PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL',
  'REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL',
  'OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
  'PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'MAX_ITEMS_INCREASED',
  'MAX_ITEMS_REMOVED',
  'MIN_ITEMS_DECREASED',
  'MIN_ITEMS_REMOVED',
  'UNIQUE_ITEMS_REMOVED',
  'ADDITIONAL_ITEMS_ADDED',
  'ADDITIONAL_ITEMS_EXTENDED',
  'ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL',
  'ITEM_ADDED_TO_CLOSED_CONTENT_MODEL',
  'ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  'ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL',
  'ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  'ENUM_ARRAY_EXTENDED',
  'COMBINED_TYPE_EXTENDED',
  'PRODUCT_TYPE_NARROWED',
  'SUM_TYPE_EXTENDED',
  'NOT_TYPE_NARROWED',
]);

export function isCompatibleDifference(d: JsonDifference): boolean {
  return COMPATIBLE.has(d.type);
}

type Criterion = 'allOf' | 'anyOf' | 'oneOf';

/** A schema reduced to what the diff looks at; `raw` is the (dereferenced) schema object. */
type Node =
  | { k: 'empty'; raw: Obj }
  | { k: 'false'; raw: Obj }
  | { k: 'combined'; raw: Obj; crit: Criterion; subs: Json[] }
  | { k: 'not'; raw: Obj; sub: Json }
  | { k: 'enum'; raw: Obj; values: Json[] }
  | { k: 'const'; raw: Obj; value: Json }
  | { k: 'object' | 'array' | 'string' | 'boolean' | 'null'; raw: Obj }
  | { k: 'number'; raw: Obj; integer: boolean };

const OBJECT_KEYS = [
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'minProperties',
  'maxProperties',
  'dependencies',
];
const ARRAY_KEYS = [
  'items',
  'prefixItems',
  'additionalItems',
  'minItems',
  'maxItems',
  'uniqueItems',
];
const STRING_KEYS = ['minLength', 'maxLength', 'pattern'];
const NUMBER_KEYS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'];
const CRITERIA: Criterion[] = ['allOf', 'anyOf', 'oneOf'];

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: Obj, keys: string[]) => keys.some((k) => k in o);

/** Canonical JSON (sorted keys), to compare enum values and subschemas by content. */
function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** One schema document, with its local $refs resolvable. */
class Doc {
  constructor(readonly root: Json) {}

  /** Follows local $refs ("#", "#/definitions/x", "#/$defs/x", any pointer). */
  deref(schema: Json): Json {
    let s = schema;
    for (let hops = 0; hops < 32 && isObj(s) && typeof s.$ref === 'string'; hops++) {
      const ref = s.$ref;
      if (!ref.startsWith('#')) return {};
      let target: Json = this.root;
      for (const raw of ref.slice(1).split('/').filter(Boolean)) {
        const seg = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
        target = isObj(target) || Array.isArray(target) ? (target as Obj)[seg] : undefined;
      }
      if (target === undefined) return {};
      s = target;
    }
    return s;
  }

  node(schema: Json): Node {
    const s = this.deref(schema);
    if (s === true) return { k: 'empty', raw: {} };
    if (s === false) return { k: 'false', raw: {} };
    if (!isObj(s)) return { k: 'empty', raw: {} };
    const present = CRITERIA.filter((c) => Array.isArray(s[c]));
    if (present.length > 0) {
      const rest: Obj = { ...s };
      for (const c of present) delete rest[c];
      const restMatters =
        'type' in rest ||
        'enum' in rest ||
        'const' in rest ||
        'not' in rest ||
        has(rest, [...OBJECT_KEYS, ...ARRAY_KEYS, ...STRING_KEYS, ...NUMBER_KEYS]);
      if (present.length === 1 && !restMatters) {
        const crit = present[0]!;
        return { k: 'combined', raw: s, crit, subs: s[crit] as Json[] };
      }
      // Several criteria, or a typed schema with a criterion: all of them must hold.
      const subs: Json[] = present.map((c) => ({ [c]: s[c] }));
      if (restMatters) subs.unshift(rest);
      return { k: 'combined', raw: s, crit: 'allOf', subs };
    }
    if (Array.isArray(s.type) && s.type.length !== 1) {
      if (s.type.length === 0) return { k: 'false', raw: s };
      return {
        k: 'combined',
        raw: s,
        crit: 'anyOf',
        subs: s.type.map((t) => ({ ...s, type: t })),
      };
    }
    if ('enum' in s && Array.isArray(s.enum)) return { k: 'enum', raw: s, values: s.enum };
    if ('const' in s) return { k: 'const', raw: s, value: s.const };
    if ('not' in s) return { k: 'not', raw: s, sub: s.not };
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    switch (type) {
      case 'object':
      case 'array':
      case 'string':
      case 'boolean':
      case 'null':
        return { k: type, raw: s };
      case 'number':
      case 'integer':
        return { k: 'number', raw: s, integer: type === 'integer' };
    }
    if (has(s, OBJECT_KEYS)) return { k: 'object', raw: s };
    if (has(s, ARRAY_KEYS)) return { k: 'array', raw: s };
    if (has(s, STRING_KEYS)) return { k: 'string', raw: s };
    if (has(s, NUMBER_KEYS)) return { k: 'number', raw: s, integer: false };
    return { k: 'empty', raw: s };
  }
}

class Diff {
  readonly diffs: JsonDifference[] = [];

  constructor(
    readonly o: Doc,
    readonly u: Doc,
    readonly path: string[],
    /** Original schemas being compared further up (recursive $refs). */
    readonly stack: Json[],
  ) {}

  sub(): Diff {
    return new Diff(this.o, this.u, [...this.path], [...this.stack]);
  }

  get compatible(): boolean {
    return this.diffs.every(isCompatibleDifference);
  }

  add(type: string, ...more: string[]): void {
    this.diffs.push({ type, path: '#/' + [...this.path, ...more].join('/') });
  }

  at<T>(segment: string, fn: () => T): T {
    this.path.push(segment);
    try {
      return fn();
    } finally {
      this.path.pop();
    }
  }

  /** Compares in a fresh context, so the caller decides what to keep of its findings. */
  trial(o: Json, u: Json): Diff {
    const d = this.sub();
    d.compare(o, u);
    return d;
  }

  compare(original: Json | undefined, update: Json | undefined): void {
    if (original === undefined && update === undefined) return;
    if (original === undefined) return this.add('SCHEMA_ADDED');
    if (update === undefined) return this.add('SCHEMA_REMOVED');
    const oRaw = this.o.deref(original);
    const on = this.o.node(original);
    const un = this.u.node(update);

    // One side a combination, the other not: a matching branch may be enough.
    if (un.k === 'combined' && on.k !== 'combined') {
      if (un.subs.length === 1) {
        const t = this.trial(original, un.subs[0]);
        if (t.compatible) return void this.diffs.push(...t.diffs);
      } else if (un.crit !== 'allOf') {
        for (const s of un.subs) {
          const t = this.trial(original, s);
          if (t.compatible) {
            this.diffs.push(...t.diffs);
            return this.add('SUM_TYPE_EXTENDED');
          }
        }
      }
    }
    if (on.k === 'combined' && un.k !== 'combined') {
      if (on.subs.length === 1) {
        const t = this.trial(on.subs[0], update);
        if (t.compatible) return void this.diffs.push(...t.diffs);
      } else if (on.crit === 'allOf') {
        for (const s of on.subs) {
          const t = this.trial(s, update);
          if (t.compatible) {
            this.diffs.push(...t.diffs);
            return this.add('PRODUCT_TYPE_NARROWED');
          }
        }
      }
    }
    if (on.k !== un.k) {
      // Anything may become the empty schema; nothing was ever written with `false`.
      if (on.k !== 'false' && un.k !== 'empty') this.add('TYPE_CHANGED');
      return;
    }
    if (this.stack.includes(oRaw)) return;
    this.stack.push(oRaw);
    try {
      this.annotations(on.raw, un.raw);
      switch (on.k) {
        case 'string':
          return this.strings(on.raw, un.raw);
        case 'number':
          return this.numbers(on, un as typeof on);
        case 'const':
          if (canonical(on.value) !== canonical((un as typeof on).value)) {
            this.add('ENUM_ARRAY_CHANGED', 'const');
          }
          return;
        case 'enum':
          return this.enums(on.values, (un as typeof on).values);
        case 'combined':
          return this.combined(on, un as typeof on);
        case 'not':
          return this.at('not', () => {
            // `not` turns the direction around.
            const swapped = new Diff(this.u, this.o, [...this.path], []);
            swapped.compare((un as typeof on).sub, on.sub);
            this.add(swapped.compatible ? 'NOT_TYPE_NARROWED' : 'NOT_TYPE_EXTENDED');
          });
        case 'object':
          return this.objects(on.raw, un.raw);
        case 'array':
          return this.arrays(on.raw, un.raw);
      }
    } finally {
      this.stack.pop();
    }
  }

  private annotations(o: Obj, u: Obj): void {
    const pairs: Array<[string, string]> = [
      ['$id', 'ID_CHANGED'],
      ['title', 'TITLE_CHANGED'],
      ['description', 'DESCRIPTION_CHANGED'],
      ['default', 'DEFAULT_CHANGED'],
    ];
    for (const [key, type] of pairs) {
      if (canonical(o[key]) !== canonical(u[key])) this.add(type);
    }
  }

  private bound(key: string, o: Json, u: Json, kinds: [string, string, string, string]): void {
    const a = typeof o === 'number' ? o : undefined;
    const b = typeof u === 'number' ? u : undefined;
    if (a === b) return;
    if (a === undefined) this.add(kinds[0], key);
    else if (b === undefined) this.add(kinds[1], key);
    else this.add(a < b ? kinds[2] : kinds[3], key);
  }

  private strings(o: Obj, u: Obj): void {
    this.bound('maxLength', o.maxLength, u.maxLength, [
      'MAX_LENGTH_ADDED',
      'MAX_LENGTH_REMOVED',
      'MAX_LENGTH_INCREASED',
      'MAX_LENGTH_DECREASED',
    ]);
    this.bound('minLength', o.minLength, u.minLength, [
      'MIN_LENGTH_ADDED',
      'MIN_LENGTH_REMOVED',
      'MIN_LENGTH_INCREASED',
      'MIN_LENGTH_DECREASED',
    ]);
    if (o.pattern !== u.pattern) {
      if (o.pattern === undefined) this.add('PATTERN_ADDED', 'pattern');
      else if (u.pattern === undefined) this.add('PATTERN_REMOVED', 'pattern');
      else this.add('PATTERN_CHANGED', 'pattern');
    }
  }

  private numbers(o: Node & { k: 'number' }, u: Node & { k: 'number' }): void {
    const [a, b] = [o.raw, u.raw];
    this.bound('maximum', a.maximum, b.maximum, [
      'MAXIMUM_ADDED',
      'MAXIMUM_REMOVED',
      'MAXIMUM_INCREASED',
      'MAXIMUM_DECREASED',
    ]);
    this.bound('minimum', a.minimum, b.minimum, [
      'MINIMUM_ADDED',
      'MINIMUM_REMOVED',
      'MINIMUM_INCREASED',
      'MINIMUM_DECREASED',
    ]);
    this.bound('exclusiveMaximum', a.exclusiveMaximum, b.exclusiveMaximum, [
      'EXCLUSIVE_MAXIMUM_ADDED',
      'EXCLUSIVE_MAXIMUM_REMOVED',
      'EXCLUSIVE_MAXIMUM_INCREASED',
      'EXCLUSIVE_MAXIMUM_DECREASED',
    ]);
    this.bound('exclusiveMinimum', a.exclusiveMinimum, b.exclusiveMinimum, [
      'EXCLUSIVE_MINIMUM_ADDED',
      'EXCLUSIVE_MINIMUM_REMOVED',
      'EXCLUSIVE_MINIMUM_INCREASED',
      'EXCLUSIVE_MINIMUM_DECREASED',
    ]);
    const [m, n] = [a.multipleOf, b.multipleOf];
    if (m !== n) {
      if (typeof m !== 'number') this.add('MULTIPLE_OF_ADDED', 'multipleOf');
      else if (typeof n !== 'number') this.add('MULTIPLE_OF_REMOVED', 'multipleOf');
      else if (isMultiple(n, m)) this.add('MULTIPLE_OF_EXPANDED', 'multipleOf');
      else if (isMultiple(m, n)) this.add('MULTIPLE_OF_REDUCED', 'multipleOf');
      else this.add('MULTIPLE_OF_CHANGED', 'multipleOf');
    }
    if (o.integer !== u.integer) this.add(o.integer ? 'TYPE_EXTENDED' : 'TYPE_NARROWED');
  }

  private enums(o: Json[], u: Json[]): void {
    const os = new Set(o.map(canonical));
    const us = new Set(u.map(canonical));
    const uHasAllO = [...os].every((v) => us.has(v));
    const oHasAllU = [...us].every((v) => os.has(v));
    if (uHasAllO && oHasAllU) return;
    this.add(
      uHasAllO ? 'ENUM_ARRAY_EXTENDED' : oHasAllU ? 'ENUM_ARRAY_NARROWED' : 'ENUM_ARRAY_CHANGED',
      'enum',
    );
  }

  private combined(o: Node & { k: 'combined' }, u: Node & { k: 'combined' }): void {
    if (o.crit !== u.crit) {
      const single = (n: typeof o) => n.subs.length === 1;
      const extended =
        u.crit === 'anyOf' ||
        (single(o) && single(u)) ||
        (single(o) && u.crit === 'oneOf') ||
        (single(u) && o.crit === 'allOf');
      if (!extended) return this.add('COMBINED_TYPE_CHANGED');
      this.add('COMBINED_TYPE_EXTENDED');
    }
    const dedupe = (subs: Json[]) => {
      const seen = new Set<string>();
      return subs.filter((s) => {
        const key = canonical(s);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    };
    const os = dedupe(o.subs);
    const us = dedupe(u.subs);
    if (os.length < us.length) {
      this.add(u.crit === 'allOf' ? 'PRODUCT_TYPE_EXTENDED' : 'SUM_TYPE_EXTENDED');
    } else if (os.length > us.length) {
      this.add(o.crit === 'allOf' ? 'PRODUCT_TYPE_NARROWED' : 'SUM_TYPE_NARROWED');
    }
    // Which update subschema can stand for which original one; then a maximum matching.
    const edges = os.map((s, i) =>
      this.at(`${o.crit}/${i}`, () =>
        us.flatMap((t, j) => (this.trial(s, t).compatible ? [j] : [])),
      ),
    );
    if (maxMatching(edges, us.length) < Math.min(os.length, us.length)) {
      this.add('COMBINED_TYPE_SUBSCHEMAS_CHANGED');
    }
  }

  private objects(o: Obj, u: Obj): void {
    const oProps = isObj(o.properties) ? o.properties : {};
    const uProps = isObj(u.properties) ? u.properties : {};
    const oReq = new Set(Array.isArray(o.required) ? (o.required as string[]) : []);
    const uReq = new Set(Array.isArray(u.required) ? (u.required as string[]) : []);
    const hasDefault = (s: Json) => {
      const d = this.u.deref(s);
      return (isObj(d) && 'default' in d) || (isObj(s) && 'default' in s);
    };

    this.at('required', () => {
      for (const key of Object.keys(oProps)) {
        if (!(key in uProps)) continue;
        if (oReq.has(key) && !uReq.has(key)) this.add('REQUIRED_ATTRIBUTE_REMOVED', key);
        else if (!oReq.has(key) && uReq.has(key)) {
          this.add(
            hasDefault(uProps[key])
              ? 'REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED'
              : 'REQUIRED_ATTRIBUTE_ADDED',
            key,
          );
        }
      }
    });

    const oModel = contentModel(o);
    const uModel = contentModel(u);
    this.at('properties', () => {
      const keys = [...new Set([...Object.keys(oProps), ...Object.keys(uProps)])];
      for (const key of keys) {
        this.at(key, () => {
          const os = oProps[key];
          const us = uProps[key];
          if (os !== undefined && us === undefined) {
            if (uModel.open) return this.add('PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL');
            const partial = partialSchema(uModel, key);
            if (partial !== undefined) {
              const t = this.trial(os, partial);
              this.diffs.push(...t.diffs);
              return this.add(
                t.compatible
                  ? 'PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL'
                  : 'PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
              );
            }
            return this.add(
              this.o.deref(os) === false
                ? 'PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL'
                : 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
            );
          }
          if (os === undefined && us !== undefined) {
            if (oModel.open) {
              return this.add(
                this.u.node(us).k === 'empty'
                  ? 'PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL'
                  : 'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
              );
            }
            const partial = partialSchema(oModel, key);
            if (partial !== undefined) {
              const t = this.trial(partial, us);
              this.diffs.push(...t.diffs);
              this.add(
                t.compatible
                  ? 'PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL'
                  : 'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
              );
            }
            if (uReq.has(key)) {
              return this.add(
                hasDefault(us)
                  ? 'REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL'
                  : 'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
              );
            }
            return this.add('OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL');
          }
          this.compare(os, us);
        });
      }
    });

    this.at('dependencies', () => {
      const od = isObj(o.dependencies) ? o.dependencies : {};
      const ud = isObj(u.dependencies) ? u.dependencies : {};
      for (const key of new Set([...Object.keys(od), ...Object.keys(ud)])) {
        this.at(key, () => {
          const a = od[key];
          const b = ud[key];
          if (Array.isArray(a) || Array.isArray(b)) {
            if (b === undefined) return this.add('DEPENDENCY_ARRAY_REMOVED');
            if (a === undefined) return this.add('DEPENDENCY_ARRAY_ADDED');
            const as = new Set((a as Json[]).map(canonical));
            const bs = new Set((b as Json[]).map(canonical));
            const bHasA = [...as].every((v) => bs.has(v));
            const aHasB = [...bs].every((v) => as.has(v));
            if (bHasA && aHasB) return;
            return this.add(
              bHasA
                ? 'DEPENDENCY_ARRAY_EXTENDED'
                : aHasB
                  ? 'DEPENDENCY_ARRAY_NARROWED'
                  : 'DEPENDENCY_ARRAY_CHANGED',
            );
          }
          if (b === undefined) return this.add('DEPENDENCY_SCHEMA_REMOVED');
          if (a === undefined) return this.add('DEPENDENCY_SCHEMA_ADDED');
          this.compare(a, b);
        });
      }
    });

    this.at('additionalProperties', () => {
      if (oModel.permits !== uModel.permits) {
        this.add(uModel.permits ? 'ADDITIONAL_PROPERTIES_ADDED' : 'ADDITIONAL_PROPERTIES_REMOVED');
      } else if (oModel.additional === undefined && uModel.additional !== undefined) {
        this.add('ADDITIONAL_PROPERTIES_NARROWED');
      } else if (oModel.additional !== undefined && uModel.additional === undefined) {
        this.add('ADDITIONAL_PROPERTIES_EXTENDED');
      } else if (oModel.additional !== undefined) {
        this.compare(oModel.additional, uModel.additional);
      }
    });

    this.bound('maxProperties', o.maxProperties, u.maxProperties, [
      'MAX_PROPERTIES_ADDED',
      'MAX_PROPERTIES_REMOVED',
      'MAX_PROPERTIES_INCREASED',
      'MAX_PROPERTIES_DECREASED',
    ]);
    this.bound('minProperties', o.minProperties, u.minProperties, [
      'MIN_PROPERTIES_ADDED',
      'MIN_PROPERTIES_REMOVED',
      'MIN_PROPERTIES_INCREASED',
      'MIN_PROPERTIES_DECREASED',
    ]);
  }

  private arrays(o: Obj, u: Obj): void {
    const oa = arrayModel(o);
    const ua = arrayModel(u);
    this.at('items', () => {
      if (oa.all !== undefined || ua.all !== undefined) this.compare(oa.all, ua.all);
    });
    const common = Math.min(oa.tuple.length, ua.tuple.length);
    for (let i = 0; i < common; i++)
      this.at(`items/${i}`, () => this.compare(oa.tuple[i], ua.tuple[i]));
    for (let i = common; i < oa.tuple.length; i++) {
      this.at(`items/${i}`, () => {
        if (ua.open) return this.add('ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL');
        if (ua.additional !== undefined) {
          const t = this.trial(oa.tuple[i], ua.additional);
          this.diffs.push(...t.diffs);
          return this.add(
            t.compatible
              ? 'ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL'
              : 'ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
          );
        }
        this.add(
          this.o.deref(oa.tuple[i]) === false
            ? 'ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL'
            : 'ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL',
        );
      });
    }
    for (let i = common; i < ua.tuple.length; i++) {
      this.at(`items/${i}`, () => {
        if (oa.open) {
          return this.add(
            this.u.node(ua.tuple[i]).k === 'empty'
              ? 'ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL'
              : 'ITEM_ADDED_TO_OPEN_CONTENT_MODEL',
          );
        }
        if (oa.additional !== undefined) {
          const t = this.trial(oa.additional, ua.tuple[i]);
          this.diffs.push(...t.diffs);
          return this.add(
            t.compatible
              ? 'ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL'
              : 'ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
          );
        }
        this.add('ITEM_ADDED_TO_CLOSED_CONTENT_MODEL');
      });
    }
    this.at('additionalItems', () => {
      if (oa.permits !== ua.permits) {
        this.add(oa.permits ? 'ADDITIONAL_ITEMS_REMOVED' : 'ADDITIONAL_ITEMS_ADDED');
      } else if (oa.additional === undefined && ua.additional !== undefined) {
        this.add('ADDITIONAL_ITEMS_NARROWED');
      } else if (oa.additional !== undefined && ua.additional === undefined) {
        this.add('ADDITIONAL_ITEMS_EXTENDED');
      } else if (oa.additional !== undefined) {
        this.compare(oa.additional, ua.additional);
      }
    });
    this.bound('maxItems', o.maxItems, u.maxItems, [
      'MAX_ITEMS_ADDED',
      'MAX_ITEMS_REMOVED',
      'MAX_ITEMS_INCREASED',
      'MAX_ITEMS_DECREASED',
    ]);
    this.bound('minItems', o.minItems, u.minItems, [
      'MIN_ITEMS_ADDED',
      'MIN_ITEMS_REMOVED',
      'MIN_ITEMS_INCREASED',
      'MIN_ITEMS_DECREASED',
    ]);
    if (Boolean(o.uniqueItems) !== Boolean(u.uniqueItems)) {
      this.add(o.uniqueItems ? 'UNIQUE_ITEMS_REMOVED' : 'UNIQUE_ITEMS_ADDED', 'uniqueItems');
    }
  }
}

function isMultiple(a: number, b: number): boolean {
  if (b === 0) return false;
  const q = a / b;
  return Math.abs(q - Math.round(q)) < 1e-9;
}

interface ContentModel {
  /** Extra properties allowed at all. */
  permits: boolean;
  /** The schema extra properties must match (partially open), when one is given. */
  additional: Json | undefined;
  patterns: Array<[string, Json]>;
  /** Open: anything extra allowed, with no schema and no pattern. */
  open: boolean;
}

function contentModel(o: Obj): ContentModel {
  const ap = o.additionalProperties;
  const permits = ap !== false;
  const additional = isObj(ap) && Object.keys(ap).length > 0 ? ap : undefined;
  const patterns = isObj(o.patternProperties) ? Object.entries(o.patternProperties) : [];
  return {
    permits,
    additional,
    patterns,
    open: permits && additional === undefined && patterns.length === 0,
  };
}

function partialSchema(m: ContentModel, key: string): Json | undefined {
  for (const [pattern, schema] of m.patterns) {
    try {
      if (new RegExp(pattern, 'u').test(key)) return schema;
    } catch {
      // A pattern JavaScript cannot compile covers nothing.
    }
  }
  return m.additional;
}

interface ArrayModel {
  all: Json | undefined;
  tuple: Json[];
  permits: boolean;
  additional: Json | undefined;
  open: boolean;
}

function arrayModel(a: Obj): ArrayModel {
  let all: Json | undefined;
  let tuple: Json[] = [];
  let extra: Json | undefined;
  if (Array.isArray(a.prefixItems)) {
    // 2020-12: prefixItems is the tuple, items what follows it.
    tuple = a.prefixItems;
    extra = a.items;
  } else if (Array.isArray(a.items)) {
    tuple = a.items;
    extra = a.additionalItems;
  } else {
    all = a.items;
  }
  const permits = extra !== false;
  const additional = isObj(extra) && Object.keys(extra).length > 0 ? extra : undefined;
  return { all, tuple, permits, additional, open: permits && additional === undefined };
}

function maxMatching(edges: number[][], right: number): number {
  const owner: Array<number | undefined> = new Array(right).fill(undefined);
  const augment = (l: number, seen: boolean[]): boolean => {
    for (const r of edges[l]!) {
      if (seen[r]) continue;
      seen[r] = true;
      const current = owner[r];
      if (current === undefined || augment(current, seen)) {
        owner[r] = l;
        return true;
      }
    }
    return false;
  };
  let matched = 0;
  for (let l = 0; l < edges.length; l++) if (augment(l, new Array(right).fill(false))) matched++;
  return matched;
}

/** Every difference between the writer's schema and the reader's, compatible ones included. */
export function jsonSchemaDifferences(reader: Json, writer: Json): JsonDifference[] {
  const d = new Diff(new Doc(writer), new Doc(reader), [], []);
  d.compare(writer, reader);
  return d.diffs;
}

/** The reasons `reader` cannot read what `writer` allowed; [] when it can. */
export function jsonSchemaIncompatibilities(reader: Json, writer: Json): JsonDifference[] {
  return jsonSchemaDifferences(reader, writer).filter((d) => !isCompatibleDifference(d));
}

/** One incompatibility in Confluent's words; `a` names the reader, `b` the writer. */
export function describeJsonDifference(d: JsonDifference, a: string, b: string): string {
  const p = d.path;
  const t = d.type;
  let text: string;
  if (t.endsWith('_ADDED') && !t.includes('CONTENT_MODEL') && t !== 'SCHEMA_ADDED') {
    text = `The keyword at path '${p}' in the ${a} schema is not present in the ${b} schema`;
  } else if (t === 'ADDITIONAL_ITEMS_REMOVED' || t === 'ADDITIONAL_PROPERTIES_REMOVED') {
    text = `The keyword at path '${p}' in the ${a} schema is not present in the ${b} schema`;
  } else if (t.endsWith('_INCREASED') || t === 'MULTIPLE_OF_EXPANDED') {
    text = `The value at path '${p}' in the ${a} schema is more than its value in the ${b} schema`;
  } else if (t.endsWith('_DECREASED')) {
    text = `The value at path '${p}' in the ${a} schema is less than its value in the ${b} schema`;
  } else if (
    t === 'PATTERN_CHANGED' ||
    t === 'MULTIPLE_OF_CHANGED' ||
    t === 'DEPENDENCY_ARRAY_CHANGED'
  ) {
    text = `The value at path '${p}' is different between the ${a} and ${b} schema`;
  } else if (t.endsWith('_NARROWED') && t !== 'TYPE_NARROWED') {
    text = `An array or combined type at path '${p}' has fewer elements in the ${a} schema than the ${b} schema`;
  } else if (t.endsWith('_EXTENDED')) {
    text = `An array or combined type at path '${p}' has more elements in the ${a} schema than the ${b} schema`;
  } else if (
    t === 'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL' ||
    t === 'ITEM_ADDED_TO_OPEN_CONTENT_MODEL'
  ) {
    text = `The ${a} schema has an open content model and has a property or item at path '${p}' which is missing in the ${b} schema`;
  } else if (t === 'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL') {
    text = `The ${a} schema has an unopen content model and has a required property at path '${p}' which is missing in the ${b} schema`;
  } else if (
    t === 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL' ||
    t === 'ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL'
  ) {
    text = `The ${a} has a closed content model and is missing a property or item present at path '${p}' in the ${b} schema`;
  } else if (
    t.startsWith('PROPERTY_REMOVED_NOT_COVERED') ||
    t.startsWith('ITEM_REMOVED_NOT_COVERED')
  ) {
    text = `A property or item is missing in the ${a} schema but present at path '${p}' in the ${b} schema and is not covered by its partially open content model`;
  } else if (t.startsWith('PROPERTY_ADDED_NOT_COVERED') || t.startsWith('ITEM_ADDED_NOT_COVERED')) {
    text = `The ${a} schema has a property or item at path '${p}' which is missing in the ${b} schema and is not covered by its partially open content model`;
  } else {
    text = `A type at path '${p}' is different between the ${a} schema and the ${b} schema`;
  }
  return `{errorType:'${t}', description:'${text}'}`;
}
