import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedRegistry } from './embedded-registry.js';
import {
  IncompatibleSchemaError,
  InvalidSchemaError,
  InvalidSubjectError,
  RegistryStoreError,
  SubjectNotFoundError,
  VersionNotFoundError,
} from './errors.js';
import { subjectForTopic } from './subject-naming.js';

let dir: string;

const transaction = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://freshet.dev/schemas/pos.transactions',
  type: 'object',
  required: ['event_id', 'store_id', 'kind', 'lines'],
  properties: {
    event_id: { type: 'string' },
    event_ts: { type: 'string', format: 'date-time' },
    store_id: { type: 'string', pattern: '^S\\d{4}$' },
    kind: { enum: ['sale', 'return'] },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        required: ['sku', 'qty'],
        additionalProperties: false,
        properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1 } },
      },
    },
  },
};
const v1 = JSON.stringify(transaction);
const v2 = JSON.stringify({ ...transaction, required: [...transaction.required, 'event_ts'] });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-registry-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('EmbeddedRegistry', () => {
  it('registers versions, and the same schema again is the same version and id', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    await registry.setCompatibility('NONE'); // these versions do not evolve compatibly
    const subject = subjectForTopic('pos.transactions');
    expect(subject).toBe('pos.transactions-value');

    const first = await registry.register(subject, { schemaType: 'JSON', schema: v1 });
    expect(first).toEqual({ subject, version: 1, id: 1, schemaType: 'JSON', schema: v1 });
    // Whitespace does not make a schema different.
    const again = await registry.register(subject, {
      schemaType: 'JSON',
      schema: JSON.stringify(transaction, null, 4),
    });
    expect(again).toEqual(first);
    const second = await registry.register(subject, { schemaType: 'JSON', schema: v2 });
    expect(second).toMatchObject({ version: 2, id: 2 });
    // Re-registering an older version returns it, not a new version.
    expect(await registry.register(subject, { schemaType: 'JSON', schema: v1 })).toEqual(first);

    expect(await registry.latest(subject)).toEqual(second);
    expect(await registry.versions(subject)).toEqual([1, 2]);
    expect(await registry.getById(1)).toEqual(first);
    expect(await registry.getById(99)).toBeNull();
    expect(await registry.latest('nothing-value')).toBeNull();
    expect(await registry.versions('nothing-value')).toEqual([]);
  });

  it('gives a schema the same id in every subject, and ids grow globally', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    await registry.setCompatibility('NONE'); // these versions do not evolve compatibly
    const a = await registry.register('a-value', { schemaType: 'JSON', schema: v1 });
    const b = await registry.register('b-value', { schemaType: 'JSON', schema: v1 });
    const c = await registry.register('b-value', { schemaType: 'JSON', schema: v2 });
    expect([a.id, b.id, c.id]).toEqual([1, 1, 2]);
    expect([a.version, b.version, c.version]).toEqual([1, 1, 2]);
    expect(await registry.subjects()).toEqual(['a-value', 'b-value']);
  });

  it('serializes concurrent registrations', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    await registry.setCompatibility('NONE'); // these versions do not evolve compatibly
    const schemas = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({ type: 'object', properties: { [`f${i}`]: { type: 'string' } } }),
    );
    const results = await Promise.all(
      schemas.map((schema) => registry.register('s', { schemaType: 'JSON', schema })),
    );
    expect(results.map((r) => r.version)).toEqual(schemas.map((_, i) => i + 1));
    expect(new Set(results.map((r) => r.id)).size).toBe(20);
  });

  it('keeps everything across reopen, and continues ids and versions', async () => {
    let registry = await EmbeddedRegistry.open(dir);
    await registry.setCompatibility('NONE', 't-value');
    await registry.register('t-value', { schemaType: 'JSON', schema: v1 });
    await registry.register('t-value', { schemaType: 'JSON', schema: v2 });
    const avro = JSON.stringify({
      type: 'record',
      name: 'Store',
      fields: [{ name: 'id', type: 'string' }],
    });
    await registry.register('stores-value', { schemaType: 'AVRO', schema: avro });

    registry = await EmbeddedRegistry.open(dir);
    expect(await registry.subjects()).toEqual(['stores-value', 't-value']);
    expect(await registry.versions('t-value')).toEqual([1, 2]);
    expect(await registry.getById(3)).toMatchObject({
      subject: 'stores-value',
      schemaType: 'AVRO',
    });
    expect(await registry.register('t-value', { schemaType: 'JSON', schema: v1 })).toMatchObject({
      version: 1,
      id: 1,
    });
    const next = await registry.register('t-value', {
      schemaType: 'JSON',
      schema: JSON.stringify({ type: 'object' }),
    });
    expect(next).toMatchObject({ version: 3, id: 4 });
    expect((await registry.validate('t-value', [])).ok).toBe(false);
    const file = JSON.parse(await readFile(join(dir, 'schemas.json'), 'utf8')) as {
      schemas: unknown[];
    };
    expect(file.schemas).toHaveLength(4);
  });

  it('validates values against the latest schema, naming field paths', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    await registry.setCompatibility('NONE'); // these versions do not evolve compatibly
    const subject = 'pos.transactions-value';
    await registry.register(subject, { schemaType: 'JSON', schema: v1 });
    const good = {
      event_id: 'sim-1-0',
      event_ts: '2026-11-24T21:03:05.120+05:30',
      store_id: 'S0001',
      kind: 'sale',
      lines: [{ sku: 'SKU00001', qty: 2 }],
    };
    expect(await registry.validate(subject, good)).toEqual({ ok: true, schemaId: 1 });

    const bad = {
      event_ts: '2026-02-30T10:00:00+05:30',
      store_id: 'X1',
      kind: 'refund',
      lines: [{ sku: 'SKU00001', qty: 2 }, { sku: 'SKU00002', qty: 0, colour: 'red' }, { qty: 1 }],
    };
    const result = await registry.validate(subject, bad);
    expect(result.ok).toBe(false);
    expect(result.schemaId).toBe(1);
    expect(!result.ok && [...result.errors].sort()).toEqual(
      [
        '/event_id: is required',
        '/event_ts: must match format "date-time"',
        '/store_id: must match pattern "^S\\d{4}$"',
        '/kind: must be one of ["sale","return"]',
        '/lines/1/qty: must be >= 1',
        '/lines/1/colour: is not allowed (the schema does not define this property)',
        '/lines/2/sku: is required',
      ].sort(),
    );
    const root = await registry.validate(subject, 'not an object');
    expect(!root.ok && root.errors).toEqual(['(root): must be object']);

    // A new version takes over validation.
    await registry.register(subject, { schemaType: 'JSON', schema: v2 });
    const { event_ts: _, ...withoutTs } = good;
    expect(await registry.validate(subject, withoutTs)).toEqual({
      ok: false,
      schemaId: 2,
      errors: ['/event_ts: is required'],
    });
  });

  it('reports a subject without a schema, and validates Avro values with paths', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    expect(await registry.validate('none-value', {})).toMatchObject({ ok: false, schemaId: null });
    await registry.register('a-value', { schemaType: 'AVRO', schema: '"string"' });
    expect(await registry.validate('a-value', 'x')).toEqual({ ok: true, schemaId: 1 });
    const store = JSON.stringify({
      type: 'record',
      name: 'Store',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'skus', type: { type: 'array', items: 'long' } },
        { name: 'city', type: ['null', 'string'], default: null },
      ],
    });
    await registry.register('stores-value', { schemaType: 'AVRO', schema: store });
    expect(await registry.validate('stores-value', { id: 'S1', skus: [1, 2] })).toMatchObject({
      ok: true,
    });
    const result = await registry.validate('stores-value', { skus: [1, 'two'], city: 3 });
    expect(result).toMatchObject({ ok: false, schemaId: 2 });
    expect(!result.ok && result.errors).toEqual([
      '/id: is required',
      '/skus/1: must be long, got "two"',
      '/city: must be null | string, got 3',
    ]);
  });

  it('refuses invalid schemas with code 42201, and bad subjects', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    const invalid: Array<[string, 'JSON' | 'AVRO', RegExp]> = [
      ['{"type": "object",', 'JSON', /not valid JSON/],
      ['{"type": "strin"}', 'JSON', /type/],
      ['{"type": "object", "required": "id"}', 'JSON', /required/],
      ['[1, 2]', 'JSON', /must be an object/],
      ['{"$schema": "http://json-schema.org/draft-04/schema#"}', 'JSON', /unsupported "\$schema"/],
      ['{"$ref": "other.json"}', 'JSON', /other\.json/],
      ['{"name": "x"}', 'AVRO', /"type"/],
      ['not json', 'AVRO', /not valid JSON/],
    ];
    for (const [schema, schemaType, reason] of invalid) {
      const attempt = registry.register('s-value', { schemaType, schema });
      await expect(attempt).rejects.toBeInstanceOf(InvalidSchemaError);
      await expect(attempt).rejects.toMatchObject({ errorCode: 42201, retriable: false });
      await expect(attempt).rejects.toThrow(reason);
    }
    await expect(
      registry.register('s-value', {
        schemaType: 'PROTOBUF' as 'JSON',
        schema: 'syntax = "proto3";',
      }),
    ).rejects.toThrow(/not supported/);
    await expect(
      registry.register('', { schemaType: 'JSON', schema: '{}' }),
    ).rejects.toBeInstanceOf(InvalidSubjectError);
    expect(await registry.subjects()).toEqual([]);
  });

  it('accepts draft-07 (the default), draft-06 and 2019-09 schemas and unknown keywords', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    const schemas = [
      { type: 'object', properties: { n: { type: 'integer', maximum: 3 } }, javaType: 'x.Y' },
      { $schema: 'http://json-schema.org/draft-07/schema#', properties: { n: { maximum: 3 } } },
      { $schema: 'http://json-schema.org/draft-06/schema#', properties: { n: { maximum: 3 } } },
      {
        $schema: 'https://json-schema.org/draft/2019-09/schema',
        properties: { n: { maximum: 3 } },
      },
    ];
    for (const [i, schema] of schemas.entries()) {
      await registry.register(`s${i}`, { schemaType: 'JSON', schema: JSON.stringify(schema) });
      expect(await registry.validate(`s${i}`, { n: 2 })).toMatchObject({ ok: true });
      expect(await registry.validate(`s${i}`, { n: 4 })).toMatchObject({
        ok: false,
        errors: ['/n: must be <= 3'],
      });
    }
  });

  it('refuses to open a damaged file rather than start empty', async () => {
    await writeFile(join(dir, 'schemas.json'), '{"format": 1, "schemas": [{"subject": 1}]}');
    await expect(EmbeddedRegistry.open(dir)).rejects.toBeInstanceOf(RegistryStoreError);
    await writeFile(join(dir, 'schemas.json'), '{ truncated');
    await expect(EmbeddedRegistry.open(dir)).rejects.toMatchObject({ errorCode: 50001 });
  });
});

describe('EmbeddedRegistry: deletes, levels, compatibility', () => {
  const user = (fields: unknown[]) =>
    JSON.stringify({
      type: 'record',
      name: 'User',
      fields: [{ name: 'id', type: 'int' }, ...fields],
    });
  const s1 = user([]);
  const s2 = user([{ name: 'name', type: 'string', default: '' }]);
  const s3 = user([
    { name: 'name', type: 'string', default: '' },
    { name: 'n', type: 'long', default: 0 },
  ]);
  const avro = (schema: string) => ({ schemaType: 'AVRO' as const, schema });

  it('soft-deletes versions (ids still resolve), then deletes them permanently', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    await registry.register('u-value', avro(s1));
    await registry.register('u-value', avro(s2));
    await registry.register('u-value', avro(s3));

    await expect(registry.deleteVersion('u-value', 2, { permanent: true })).rejects.toMatchObject({
      errorCode: 40407,
    });
    expect(await registry.deleteVersion('u-value', 2)).toBe(2);
    await expect(registry.deleteVersion('u-value', 2)).rejects.toMatchObject({ errorCode: 40406 });
    expect(await registry.versions('u-value')).toEqual([1, 3]);
    expect(await registry.versions('u-value', { deleted: true })).toEqual([1, 2, 3]);
    await expect(registry.getVersion('u-value', 2)).rejects.toBeInstanceOf(VersionNotFoundError);
    expect(await registry.getVersion('u-value', 2, { deleted: true })).toMatchObject({ id: 2 });
    expect(await registry.getById(2)).toMatchObject({ schema: s2 });
    expect(await registry.subjectVersionsForId(2)).toEqual([]);
    expect(await registry.subjectVersionsForId(2, { deleted: true })).toEqual([
      { subject: 'u-value', version: 2 },
    ]);
    await expect(registry.lookup('u-value', avro(s2))).rejects.toMatchObject({ errorCode: 40403 });
    expect(await registry.lookup('u-value', avro(s2), { deleted: true })).toMatchObject({
      version: 2,
    });

    // 'latest' deletes the latest live version; re-registering a deleted schema is a new
    // version with the same id, as Confluent.
    expect(await registry.deleteVersion('u-value', 'latest')).toBe(3);
    expect((await registry.latest('u-value'))?.version).toBe(1);
    expect(await registry.register('u-value', avro(s3))).toMatchObject({ version: 4, id: 3 });

    expect(await registry.deleteVersion('u-value', 2, { permanent: true })).toBe(2);
    expect(await registry.versions('u-value', { deleted: true })).toEqual([1, 3, 4]);
    expect(await registry.getById(2)).toBeNull();
    await expect(registry.getVersion('u-value', 9)).rejects.toMatchObject({ errorCode: 40402 });
    await expect(registry.getVersion('none', 1)).rejects.toBeInstanceOf(SubjectNotFoundError);
    await expect(registry.getVersion('u-value', 0)).rejects.toMatchObject({ errorCode: 42202 });
    await expect(registry.deleteVersion('none', 1)).rejects.toMatchObject({ errorCode: 40401 });
  });

  it('soft-deletes a subject, then permanently; ids are never reused', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    await registry.register('a-value', avro(s1));
    await registry.register('a-value', avro(s2));
    await registry.register('b-value', avro(s2));
    await expect(registry.deleteSubject('a-value', { permanent: true })).rejects.toMatchObject({
      errorCode: 40405,
    });
    expect(await registry.deleteSubject('a-value')).toEqual([1, 2]);
    await expect(registry.deleteSubject('a-value')).rejects.toMatchObject({ errorCode: 40404 });
    expect(await registry.subjects()).toEqual(['b-value']);
    expect(await registry.subjects({ deleted: true })).toEqual(['a-value', 'b-value']);
    expect(await registry.latest('a-value')).toBeNull();
    expect(await registry.validate('a-value', { id: 1 })).toMatchObject({ ok: false });
    expect(await registry.deleteSubject('a-value', { permanent: true })).toEqual([1, 2]);
    expect(await registry.subjects({ deleted: true })).toEqual(['b-value']);
    // Schema 1 was only in a-value; schema 2 lives on in b-value.
    expect(await registry.getById(1)).toBeNull();
    expect(await registry.getById(2)).toMatchObject({ subject: 'b-value' });
    // A subject deleted for good starts again at version 1, with a fresh id.
    expect(await registry.register('a-value', avro(s1))).toMatchObject({ version: 1, id: 3 });
    await expect(registry.deleteSubject('zzz')).rejects.toMatchObject({ errorCode: 40401 });
  });

  it('checks the subject level, else the global one (BACKWARD by default)', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    const breaking = user([{ name: 'name', type: 'string' }]);
    expect(await registry.getCompatibility()).toBe('BACKWARD');
    expect(await registry.getCompatibility('u-value')).toBeNull();
    await registry.register('u-value', avro(s1));
    const refused = registry.register('u-value', avro(breaking));
    await expect(refused).rejects.toBeInstanceOf(IncompatibleSchemaError);
    await expect(refused).rejects.toMatchObject({ errorCode: 409 });
    await expect(refused).rejects.toThrow(
      /incompatible with an earlier schema for subject "u-value", details: \[\{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'/,
    );
    expect(await registry.testCompatibility('u-value', avro(breaking))).toMatchObject({
      compatible: false,
    });

    await registry.setCompatibility('FORWARD', 'u-value');
    expect(await registry.getCompatibility('u-value')).toBe('FORWARD');
    expect(await registry.register('u-value', avro(breaking))).toMatchObject({ version: 2 });
    expect(await registry.deleteCompatibility('u-value')).toBe('FORWARD');
    expect(await registry.getCompatibility('u-value')).toBeNull();
    await expect(registry.setCompatibility('SOMETIMES' as 'NONE', 'u-value')).rejects.toMatchObject(
      { errorCode: 42203 },
    );

    // Against one version: v1 cannot read data of a schema without `id`… under BACKWARD the
    // new schema must read v2's data, which always has `name`.
    const noDefault = user([
      { name: 'name', type: 'string' },
      { name: 'x', type: 'int', default: 0 },
    ]);
    expect(await registry.testCompatibility('u-value', avro(noDefault), 2)).toEqual({
      compatible: true,
      messages: [],
    });
    expect((await registry.testCompatibility('u-value', avro(noDefault), 1)).compatible).toBe(
      false,
    );
    await expect(registry.testCompatibility('u-value', avro(noDefault), 7)).rejects.toMatchObject({
      errorCode: 40402,
    });
    expect(await registry.testCompatibility('new-value', avro(noDefault))).toEqual({
      compatible: true,
      messages: [],
    });

    await registry.setCompatibility('NONE');
    expect(await registry.getCompatibility()).toBe('NONE');
    const reopened = await EmbeddedRegistry.open(dir);
    expect(await reopened.getCompatibility()).toBe('NONE');
  });

  it('keeps deletes and levels across reopen, and reads a format-1 file', async () => {
    await writeFile(
      join(dir, 'schemas.json'),
      JSON.stringify({
        format: 1,
        schemas: [{ subject: 'x', version: 1, id: 7, schemaType: 'AVRO', schema: s1 }],
      }),
    );
    let registry = await EmbeddedRegistry.open(dir);
    expect(await registry.register('x', avro(s2))).toMatchObject({ version: 2, id: 8 });
    await registry.deleteVersion('x', 1);
    await registry.setCompatibility('FULL', 'x');
    registry = await EmbeddedRegistry.open(dir);
    expect(await registry.versions('x')).toEqual([2]);
    expect(await registry.getCompatibility('x')).toBe('FULL');
    expect(await registry.register('y', avro('"int"'))).toMatchObject({ id: 9 });
  });
});
