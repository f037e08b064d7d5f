import { describe, expect, it } from 'vitest';
import { checkCompatibility, parseCompatibilityLevel } from './compatibility.js';
import type { CompatibilityLevel, SchemaType } from './schema-registry.js';

const avro = (fields: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'record', name: 'User', namespace: 'shop', fields, ...extra });
const json = (schema: unknown) => JSON.stringify(schema);

/** Checks `next` against `history` (oldest first) under `level`; returns the messages. */
function check(
  level: CompatibilityLevel,
  schemaType: SchemaType,
  history: string[],
  next: string,
): string[] {
  return checkCompatibility(
    level,
    { schemaType, schema: next },
    history.map((schema, i) => ({ schemaType, schema, version: i + 1 })),
  );
}

const LEVELS = ['BACKWARD', 'FORWARD', 'FULL', 'NONE'] as const;
type Expect = Record<(typeof LEVELS)[number], boolean>;
const ok = (b: boolean, f: boolean): Expect => ({
  BACKWARD: b,
  FORWARD: f,
  FULL: b && f,
  NONE: true,
});

const id = { name: 'id', type: 'int' };
const name = { name: 'name', type: 'string' };
const colour = (symbols: string[], dflt?: string) => ({
  name: 'colour',
  type: { type: 'enum', name: 'Colour', symbols, ...(dflt ? { default: dflt } : {}) },
});

// [description, old, new, expected per level, an errorType the failing direction reports]
const AVRO_CASES: Array<[string, string, string, Expect, string?]> = [
  ['same schema', avro([id, name]), avro([id, name]), ok(true, true)],
  ['field added with a default', avro([id]), avro([id, { ...name, default: '' }]), ok(true, true)],
  [
    'field added without a default',
    avro([id]),
    avro([id, name]),
    ok(false, true),
    'READER_FIELD_MISSING_DEFAULT_VALUE',
  ],
  ['field removed (it had no default)', avro([id, name]), avro([id]), ok(true, false)],
  [
    'field removed (it had a default)',
    avro([id, { ...name, default: 'x' }]),
    avro([id]),
    ok(true, true),
  ],
  [
    'int promoted to long',
    avro([id]),
    avro([{ name: 'id', type: 'long' }]),
    ok(true, false),
    'TYPE_MISMATCH',
  ],
  [
    'long narrowed to int',
    avro([{ name: 'id', type: 'long' }]),
    avro([id]),
    ok(false, true),
    'TYPE_MISMATCH',
  ],
  ['int to float', avro([id]), avro([{ name: 'id', type: 'float' }]), ok(true, false)],
  [
    'long to double',
    avro([{ name: 'id', type: 'long' }]),
    avro([{ name: 'id', type: 'double' }]),
    ok(true, false),
  ],
  [
    'double to float',
    avro([{ name: 'x', type: 'double' }]),
    avro([{ name: 'x', type: 'float' }]),
    ok(false, true),
  ],
  [
    'string to bytes and back',
    avro([name]),
    avro([{ name: 'name', type: 'bytes' }]),
    ok(true, true),
  ],
  [
    'string to int',
    avro([name]),
    avro([{ name: 'name', type: 'int' }]),
    ok(false, false),
    'TYPE_MISMATCH',
  ],
  [
    'enum symbol added',
    avro([colour(['RED', 'GREEN'])]),
    avro([colour(['RED', 'GREEN', 'BLUE'])]),
    ok(true, false),
    'MISSING_ENUM_SYMBOLS',
  ],
  [
    'enum symbol added, the old reader has a default',
    avro([colour(['RED', 'GREEN'], 'RED')]),
    avro([colour(['RED', 'GREEN', 'BLUE'], 'RED')]),
    ok(true, true),
  ],
  [
    'enum symbol removed',
    avro([colour(['RED', 'GREEN'])]),
    avro([colour(['RED'])]),
    ok(false, true),
    'MISSING_ENUM_SYMBOLS',
  ],
  [
    'field made nullable (union added)',
    avro([name]),
    avro([{ name: 'name', type: ['null', 'string'], default: null }]),
    ok(true, false),
    'TYPE_MISMATCH',
  ],
  [
    'union branch removed',
    avro([{ name: 'v', type: ['null', 'string', 'int'] }]),
    avro([{ name: 'v', type: ['null', 'string'] }]),
    ok(false, true),
    'MISSING_UNION_BRANCH',
  ],
  [
    'union branch promoted (int → long inside the union)',
    avro([{ name: 'v', type: ['null', 'int'] }]),
    avro([{ name: 'v', type: ['null', 'long'] }]),
    ok(true, false),
  ],
  [
    'nested record gains a field without a default',
    avro([{ name: 'address', type: { type: 'record', name: 'Address', fields: [name] } }]),
    avro([
      {
        name: 'address',
        type: { type: 'record', name: 'Address', fields: [name, { name: 'pin', type: 'string' }] },
      },
    ]),
    ok(false, true),
    'READER_FIELD_MISSING_DEFAULT_VALUE',
  ],
  [
    'record renamed',
    avro([id]),
    JSON.stringify({ type: 'record', name: 'Customer', fields: [id] }),
    ok(false, false),
    'NAME_MISMATCH',
  ],
  [
    'record renamed with an alias for the old name',
    avro([id]),
    JSON.stringify({
      type: 'record',
      name: 'Customer',
      namespace: 'shop',
      aliases: ['User'],
      fields: [id],
    }),
    ok(true, false),
  ],
  [
    'field renamed with an alias',
    avro([id, name]),
    avro([id, { name: 'full_name', type: 'string', aliases: ['name'] }]),
    ok(true, false),
  ],
  [
    'namespace changed (names compare unqualified, as Java does)',
    avro([id]),
    avro([id], { namespace: 'retail' }),
    ok(true, true),
  ],
  [
    'fixed size changed',
    avro([{ name: 'h', type: { type: 'fixed', name: 'Hash', size: 16 } }]),
    avro([{ name: 'h', type: { type: 'fixed', name: 'Hash', size: 32 } }]),
    ok(false, false),
    'FIXED_SIZE_MISMATCH',
  ],
  [
    'array items promoted, map values narrowed',
    avro([
      { name: 'a', type: { type: 'array', items: 'int' } },
      { name: 'm', type: { type: 'map', values: 'double' } },
    ]),
    avro([
      { name: 'a', type: { type: 'array', items: 'long' } },
      { name: 'm', type: { type: 'map', values: 'float' } },
    ]),
    ok(false, false),
  ],
  [
    'a named type referenced by name changes everywhere it is used',
    avro([
      { name: 'home', type: { type: 'record', name: 'Address', fields: [name] } },
      { name: 'work', type: 'Address' },
    ]),
    avro([
      {
        name: 'home',
        type: {
          type: 'record',
          name: 'Address',
          fields: [name, { name: 'pin', type: 'string', default: '' }],
        },
      },
      { name: 'work', type: 'Address' },
    ]),
    ok(true, true),
  ],
  [
    'recursive type',
    avro([id, { name: 'next', type: ['null', 'User'], default: null }]),
    avro([id, { name: 'next', type: ['null', 'User'], default: null }, { ...name, default: '' }]),
    ok(true, true),
  ],
];

describe('Avro compatibility (schema resolution)', () => {
  for (const [what, oldSchema, newSchema, expected, errorType] of AVRO_CASES) {
    it(what, () => {
      const all: string[] = [];
      for (const level of LEVELS) {
        const messages = check(level, 'AVRO', [oldSchema], newSchema);
        expect({ level, compatible: messages.length === 0 }).toEqual({
          level,
          compatible: expected[level],
        });
        all.push(...messages);
      }
      if (errorType) expect(all.join('\n')).toContain(`errorType:'${errorType}'`);
    });
  }

  it('words messages as Confluent does, with the old version and the level', () => {
    const messages = check('BACKWARD', 'AVRO', [avro([id])], avro([id, name]));
    expect(messages).toEqual([
      "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'name' at path " +
        "'/fields/1' in the new schema has no default value and is missing in the old schema', " +
        "additionalInfo:'name'}",
      '{oldSchemaVersion: 1}',
      `{oldSchema: '${avro([id])}'}`,
      "{compatibility: 'BACKWARD'}",
    ]);
    const forward = check('FORWARD', 'AVRO', [avro([id, name])], avro([id]));
    expect(forward[0]).toContain(
      "The field 'name' at path '/fields/1' in the old schema has no default value and is missing in the new schema",
    );
    const type = check('BACKWARD', 'AVRO', [avro([name])], avro([{ name: 'name', type: 'int' }]));
    expect(type[0]).toBe(
      "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in " +
        "the new schema does not match with the old schema', additionalInfo:'reader type: INT " +
        "not compatible with writer type: STRING'}",
    );
  });
});

describe('transitive levels', () => {
  // v1 → v2 adds `name` with a default; v3 drops the default. v3 reads v2 data (v2 always
  // wrote `name`), but not v1 data.
  const v1 = avro([id]);
  const v2 = avro([id, { ...name, default: 'x' }]);
  const v3 = avro([id, name]);

  it('BACKWARD passes against the latest; BACKWARD_TRANSITIVE fails against v1', () => {
    expect(check('BACKWARD', 'AVRO', [v1, v2], v3)).toEqual([]);
    const messages = check('BACKWARD_TRANSITIVE', 'AVRO', [v1, v2], v3);
    expect(messages).toContain('{oldSchemaVersion: 1}');
    expect(messages.join()).toContain('READER_FIELD_MISSING_DEFAULT_VALUE');
  });

  it('FORWARD passes against the latest; FORWARD_TRANSITIVE fails against v1', () => {
    // v1 reads `name` without a default; v2 gives it one; v3 stops writing it.
    const f1 = avro([id, name]);
    const f2 = avro([id, { ...name, default: 'x' }]);
    const f3 = avro([id]);
    expect(check('FORWARD', 'AVRO', [f1, f2], f3)).toEqual([]);
    expect(check('FORWARD_TRANSITIVE', 'AVRO', [f1, f2], f3)).toContain('{oldSchemaVersion: 1}');
    expect(check('FULL', 'AVRO', [f1, f2], f3)).toEqual([]);
    expect(check('FULL_TRANSITIVE', 'AVRO', [f1, f2], f3)).toContain('{oldSchemaVersion: 1}');
  });

  it('JSON Schema: an enum narrowed then re-widened passes the latest, not the first', () => {
    const e = (values: string[]) =>
      json({ type: 'object', properties: { k: { enum: values } }, additionalProperties: false });
    const history = [e(['a', 'b', 'c']), e(['a'])];
    expect(check('BACKWARD', 'JSON', [e(['a', 'b', 'c'])], e(['a']))).not.toEqual([]);
    // Registered under NONE, then the level tightened: the new version is fine against v2 only.
    expect(check('BACKWARD', 'JSON', history, e(['a', 'b']))).toEqual([]);
    expect(check('BACKWARD_TRANSITIVE', 'JSON', history, e(['a', 'b']))).toContain(
      '{oldSchemaVersion: 1}',
    );
  });

  it('NONE and an empty history accept anything; a change of type never is compatible', () => {
    expect(check('FULL_TRANSITIVE', 'AVRO', [], v3)).toEqual([]);
    expect(check('NONE', 'AVRO', [v1], '"string"')).toEqual([]);
    expect(
      checkCompatibility('BACKWARD', { schemaType: 'JSON', schema: '{}' }, [
        { schemaType: 'AVRO', schema: v1, version: 1 },
      ]),
    ).toContain('Incompatible because of different schema type');
  });

  it('parses levels in any case and refuses unknown ones with 42203', () => {
    expect(parseCompatibilityLevel('backward_transitive')).toBe('BACKWARD_TRANSITIVE');
    expect(() => parseCompatibilityLevel('SIDEWAYS')).toThrow(
      expect.objectContaining({ errorCode: 42203 }),
    );
  });
});

const closed = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const open = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  properties,
  required,
});
const str = { type: 'string' };

const JSON_CASES: Array<[string, unknown, unknown, Expect, string?]> = [
  ['same schema', closed({ a: str }), closed({ a: str }), ok(true, true)],
  [
    'closed model: optional property added',
    closed({ a: str }),
    closed({ a: str, b: str }),
    ok(true, false),
    'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  ],
  [
    'closed model: required property added',
    closed({ a: str }),
    closed({ a: str, b: str }, ['b']),
    ok(false, false),
    'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
  ],
  [
    'closed model: required property with a default added',
    closed({ a: str }),
    closed({ a: str, b: { ...str, default: '' } }, ['b']),
    ok(true, false),
  ],
  [
    'closed model: property removed',
    closed({ a: str, b: str }),
    closed({ a: str }),
    ok(false, true),
    'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  ],
  [
    'open model: property added',
    open({ a: str }),
    open({ a: str, b: str }),
    ok(false, true),
    'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
  ],
  [
    'open model: property with an empty schema added',
    open({ a: str }),
    open({ a: str, b: {} }),
    ok(true, true),
  ],
  [
    'open model: property removed',
    open({ a: str, b: str }),
    open({ a: str }),
    ok(true, false),
    'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
  ],
  [
    'open model closed',
    open({ a: str }),
    closed({ a: str }),
    ok(false, true),
    'ADDITIONAL_PROPERTIES_REMOVED',
  ],
  [
    'partially open model: added property covered by patternProperties',
    { ...closed({ a: str }), patternProperties: { '^x_': str } },
    { ...closed({ a: str, x_b: str }), patternProperties: { '^x_': str } },
    ok(true, true),
  ],
  [
    'partially open model: added property not covered',
    { ...closed({ a: str }), patternProperties: { '^x_': str } },
    { ...closed({ a: str, x_b: { type: 'integer' } }), patternProperties: { '^x_': str } },
    ok(false, false),
    'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
  ],
  [
    'property made required',
    closed({ a: str, b: str }),
    closed({ a: str, b: str }, ['b']),
    ok(false, true),
    'REQUIRED_ATTRIBUTE_ADDED',
  ],
  [
    'integer widened to number',
    closed({ n: { type: 'integer' } }),
    closed({ n: { type: 'number' } }),
    ok(true, false),
    'TYPE_NARROWED',
  ],
  [
    'string to integer',
    closed({ n: str }),
    closed({ n: { type: 'integer' } }),
    ok(false, false),
    'TYPE_CHANGED',
  ],
  [
    'maxLength increased',
    closed({ a: { ...str, maxLength: 5 } }),
    closed({ a: { ...str, maxLength: 10 } }),
    ok(true, false),
    'MAX_LENGTH_DECREASED',
  ],
  [
    'pattern added',
    closed({ a: str }),
    closed({ a: { ...str, pattern: '^S' } }),
    ok(false, true),
    'PATTERN_ADDED',
  ],
  [
    'minimum raised',
    closed({ n: { type: 'integer', minimum: 0 } }),
    closed({ n: { type: 'integer', minimum: 1 } }),
    ok(false, true),
    'MINIMUM_INCREASED',
  ],
  [
    'enum extended',
    closed({ k: { enum: ['a'] } }),
    closed({ k: { enum: ['a', 'b'] } }),
    ok(true, false),
    'ENUM_ARRAY_NARROWED',
  ],
  [
    'made nullable with a type array',
    closed({ a: str }),
    closed({ a: { type: ['string', 'null'] } }),
    ok(true, false),
  ],
  [
    'oneOf branch added',
    closed({ a: { oneOf: [str, { type: 'integer' }] } }),
    closed({ a: { oneOf: [str, { type: 'integer' }, { type: 'boolean' }] } }),
    ok(true, false),
    'SUM_TYPE_NARROWED',
  ],
  [
    'array items narrowed',
    closed({ l: { type: 'array', items: { type: 'number' } } }),
    closed({ l: { type: 'array', items: { type: 'integer' } } }),
    ok(false, true),
    'TYPE_NARROWED',
  ],
  [
    'recursive $ref, with a compatible change inside',
    {
      definitions: {
        node: closed({ v: str, next: { $ref: '#/definitions/node' } }),
      },
      $ref: '#/definitions/node',
    },
    {
      definitions: {
        node: closed({ v: { ...str, maxLength: 9 }, next: { $ref: '#/definitions/node' } }),
      },
      $ref: '#/definitions/node',
    },
    ok(false, true),
    'MAX_LENGTH_ADDED',
  ],
  ['anything to the empty schema', closed({ a: str }), {}, ok(true, false), 'TYPE_CHANGED'],
];

describe('JSON Schema compatibility (Confluent rules)', () => {
  for (const [what, oldSchema, newSchema, expected, errorType] of JSON_CASES) {
    it(what, () => {
      const all: string[] = [];
      for (const level of LEVELS) {
        const messages = check(level, 'JSON', [json(oldSchema)], json(newSchema));
        expect({ level, compatible: messages.length === 0 }).toEqual({
          level,
          compatible: expected[level],
        });
        all.push(...messages);
      }
      if (errorType) expect(all.join('\n')).toContain(`errorType:'${errorType}'`);
    });
  }

  it('names the path and the direction in the message', () => {
    const messages = check(
      'BACKWARD',
      'JSON',
      [json(closed({ a: str }))],
      json(closed({ a: str, b: str }, ['b'])),
    );
    expect(messages[0]).toBe(
      "{errorType:'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', description:'The new " +
        'schema has an unopen content model and has a required property at path ' +
        "'#/properties/b' which is missing in the old schema'}",
    );
  });
});
