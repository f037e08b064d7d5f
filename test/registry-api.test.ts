// The schema registry as served by `freshet up`, driven by a published client nobody here wrote
// (@kafkajs/confluent-schema-registry): it registers Avro and JSON schemas, encodes and decodes
// messages in Confluent's wire format, and sees Confluent's errors. Freshet's own serde reads what
// the client wrote, and the other way round.
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExternalRegistry, WireSerde } from '../src/registry/index.js';
import { PlatformProcess, getJson, tempDataDir, waitFor } from './helpers/platform-process.js';

let platform: PlatformProcess & { url: string };
let base: string;
let client: SchemaRegistry;

beforeAll(async () => {
  const dataDir = await tempDataDir('freshet-registry-e2e-');
  platform = await PlatformProcess.start(dataDir, ['--rate', '5']);
  base = `${platform.url}/registry`;
  client = new SchemaRegistry({ host: base, clientId: 'freshet-e2e' });
});

afterAll(async () => {
  if (platform) {
    expect(await platform.interrupt()).toBe(0);
    await rm(dirname(platform.dataDir), { recursive: true, force: true });
  }
});

const order = {
  type: 'record',
  name: 'Order',
  namespace: 'retail.orders',
  fields: [
    { name: 'order_id', type: 'string' },
    { name: 'store_id', type: 'string' },
    { name: 'qty', type: 'int' },
    { name: 'channel', type: ['null', 'string'], default: null },
  ],
};

async function raw(method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the registry REST API served by freshet up', () => {
  it("guards the platform's own topics: the retail schemas are there", async () => {
    const subjects = await waitFor('the retail subjects', async () => {
      const s = await getJson<string[]>(`${base}/subjects`);
      return s.includes('pos.transactions-value') ? s : undefined;
    });
    expect(subjects).toContain('inventory.counts-value');
    const latest = await getJson<{ schemaType: string; version: number }>(
      `${base}/subjects/pos.transactions-value/versions/latest`,
    );
    expect(latest).toMatchObject({ schemaType: 'JSON', version: 1 });
  });

  it('registers Avro, encodes and decodes through the client, and Freshet reads the bytes', async () => {
    const { id } = await client.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(order) },
      { subject: 'orders-value', compatibility: COMPATIBILITY.BACKWARD },
    );
    expect(id).toBeGreaterThan(0);
    // The client set the subject's level after its first registration.
    expect(await getJson(`${base}/config/orders-value`)).toEqual({
      compatibilityLevel: 'BACKWARD',
    });
    expect(await client.getLatestSchemaId('orders-value')).toBe(id);
    expect(
      await client.getRegistryIdBySchema('orders-value', {
        type: SchemaType.AVRO,
        schema: JSON.stringify(order),
      }),
    ).toBe(id);

    const value = { order_id: 'o-1', store_id: 'S0001', qty: 2, channel: 'app' };
    const bytes = await client.encode(id, value);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(id);
    expect(await client.decode(bytes)).toEqual(value);

    const serde = new WireSerde(new ExternalRegistry(base));
    expect(await serde.deserialize(bytes)).toMatchObject({ schemaId: id, value });
    const ours = await serde.serialize('orders-value', { ...value, qty: 3 });
    expect(await client.decode(ours)).toEqual({ ...value, qty: 3 });

    // A compatible evolution (a field with a default) is a new version; a consumer on it reads
    // the old bytes.
    const v2 = {
      ...order,
      fields: [...order.fields, { name: 'priority', type: 'int', default: 0 }],
    };
    const second = await client.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(v2) },
      { subject: 'orders-value' },
    );
    expect(second.id).toBeGreaterThan(id);
    expect(await getJson(`${base}/subjects/orders-value/versions`)).toEqual([1, 2]);
    expect(
      (await serde.deserialize(bytes, { readerSchema: JSON.stringify(v2) })).value,
    ).toMatchObject({ ...value, priority: 0 });
  });

  it('refuses an incompatible change under BACKWARD with a 409 and the reason', async () => {
    const breaking = {
      ...order,
      fields: [...order.fields, { name: 'loyalty_id', type: 'string' }],
    };
    const attempt = client.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(breaking) },
      { subject: 'orders-value' },
    );
    await expect(attempt).rejects.toMatchObject({ status: 409 });
    await expect(attempt).rejects.toThrow(/READER_FIELD_MISSING_DEFAULT_VALUE.*loyalty_id/);

    const verdict = await raw(
      'POST',
      '/compatibility/subjects/orders-value/versions/latest?verbose=true',
      { schema: JSON.stringify(breaking) },
    );
    expect(verdict).toMatchObject({ status: 200, body: { is_compatible: false } });
    expect(verdict.body.messages).toEqual(
      expect.arrayContaining([expect.stringContaining("additionalInfo:'loyalty_id'")]),
    );
    const direct = await raw('POST', '/subjects/orders-value/versions', {
      schema: JSON.stringify(breaking),
    });
    expect(direct).toMatchObject({ status: 409, body: { error_code: 409 } });
  });

  it('registers JSON Schema, validates and round-trips values through the client', async () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1 } },
      required: ['sku', 'qty'],
      additionalProperties: false,
    };
    const { id } = await client.register(
      { type: SchemaType.JSON, schema: JSON.stringify(schema) },
      { subject: 'lines-value' },
    );
    const bytes = await client.encode(id, { sku: 'SKU1', qty: 4 });
    expect(JSON.parse(bytes.subarray(5).toString())).toEqual({ sku: 'SKU1', qty: 4 });
    expect(await client.decode(bytes)).toEqual({ sku: 'SKU1', qty: 4 });
    await expect(client.encode(id, { sku: 'SKU1', qty: 0 })).rejects.toThrow();
    expect(await getJson(`${base}/schemas/ids/${id}`)).toEqual({
      schemaType: 'JSON',
      schema: JSON.stringify(schema),
    });

    // Closed content model: adding a required property is incompatible, an optional one is not.
    const required = {
      ...schema,
      properties: { ...schema.properties, note: { type: 'string' } },
      required: [...schema.required, 'note'],
    };
    await expect(
      client.register(
        { type: SchemaType.JSON, schema: JSON.stringify(required) },
        { subject: 'lines-value' },
      ),
    ).rejects.toThrow(/REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL/);
    const optional = { ...required, required: schema.required };
    const next = await client.register(
      { type: SchemaType.JSON, schema: JSON.stringify(optional) },
      { subject: 'lines-value' },
    );
    expect(next.id).toBeGreaterThan(id);
  });

  it('answers 404s with the right error_code, in the client too', async () => {
    expect(await raw('GET', '/subjects/no-such-subject/versions')).toMatchObject({
      status: 404,
      body: { error_code: 40401 },
    });
    expect(await raw('GET', '/subjects/orders-value/versions/99')).toMatchObject({
      status: 404,
      body: { error_code: 40402 },
    });
    expect(await raw('GET', '/schemas/ids/99999')).toMatchObject({
      status: 404,
      body: { error_code: 40403 },
    });
    expect(await raw('GET', '/subjects/orders-value/versions/0')).toMatchObject({
      status: 422,
      body: { error_code: 42202 },
    });
    expect(await raw('PUT', '/config/orders-value', { compatibility: 'MOSTLY' })).toMatchObject({
      status: 422,
      body: { error_code: 42203 },
    });
    await expect(client.getLatestSchemaId('no-such-subject')).rejects.toMatchObject({
      status: 404,
    });
    const unknown = Buffer.from([0, 0, 0, 0x30, 0x39, 1, 2]);
    await expect(client.decode(unknown)).rejects.toThrow(/Schema 12345 not found/);
  });

  it('deletes a subject softly, then permanently', async () => {
    await client.register(
      {
        type: SchemaType.AVRO,
        schema: JSON.stringify({ type: 'enum', name: 'K', symbols: ['A'] }),
      },
      { subject: 'kinds-value' },
    );
    expect(await raw('DELETE', '/subjects/kinds-value?permanent=true')).toMatchObject({
      status: 404,
      body: { error_code: 40405 },
    });
    expect((await fetch(`${base}/subjects/kinds-value`, { method: 'DELETE' })).status).toBe(200);
    expect(await getJson<string[]>(`${base}/subjects`)).not.toContain('kinds-value');
    expect(await getJson<string[]>(`${base}/subjects?deleted=true`)).toContain('kinds-value');
    const res = await fetch(`${base}/subjects/kinds-value?permanent=true`, { method: 'DELETE' });
    expect(await res.json()).toEqual([1]);
    expect(await getJson<string[]>(`${base}/subjects?deleted=true`)).not.toContain('kinds-value');
  });
});
