import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedRegistry } from './embedded-registry.js';
import { InvalidSchemaError, InvalidSubjectError, RegistryStoreError } from './errors.js';
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
    const a = await registry.register('a-value', { schemaType: 'JSON', schema: v1 });
    const b = await registry.register('b-value', { schemaType: 'JSON', schema: v1 });
    const c = await registry.register('b-value', { schemaType: 'JSON', schema: v2 });
    expect([a.id, b.id, c.id]).toEqual([1, 1, 2]);
    expect([a.version, b.version, c.version]).toEqual([1, 1, 2]);
    expect(await registry.subjects()).toEqual(['a-value', 'b-value']);
  });

  it('serializes concurrent registrations', async () => {
    const registry = await EmbeddedRegistry.open(dir);
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

  it('reports a subject without a schema, and Avro validation as not implemented', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    expect(await registry.validate('none-value', {})).toMatchObject({ ok: false, schemaId: null });
    await registry.register('a-value', { schemaType: 'AVRO', schema: '"string"' });
    const result = await registry.validate('a-value', 'x');
    expect(result).toMatchObject({ ok: false, schemaId: 1 });
    expect(!result.ok && result.errors[0]).toMatch(/Avro validation not implemented yet/);
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
