import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedRegistry, encodeWire } from '../../registry/index.js';
import { avroToJsonSchema } from './avro-json-schema.js';
import { RecordDecoder } from './record-decoder.js';

// A Debezium-like envelope: nested records reused by name, a decimal, bytes, an enum, an array,
// a map, optional fields and a recursive type.
const schema = {
  type: 'record',
  name: 'Envelope',
  namespace: 'erp.public.orders',
  fields: [
    {
      name: 'before',
      type: [
        'null',
        {
          type: 'record',
          name: 'Value',
          fields: [
            { name: 'id', type: 'long' },
            {
              name: 'total',
              type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 },
            },
            { name: 'tags', type: { type: 'array', items: 'string' } },
            { name: 'attrs', type: { type: 'map', values: 'int' } },
            { name: 'state', type: { type: 'enum', name: 'State', symbols: ['OPEN', 'SHIPPED'] } },
            { name: 'blob', type: ['null', 'bytes'], default: null },
            { name: 'created', type: { type: 'long', logicalType: 'timestamp-micros' } },
          ],
        },
      ],
      default: null,
    },
    { name: 'after', type: ['null', 'Value'], default: null },
    { name: 'op', type: 'string' },
    { name: 'next', type: ['null', 'Envelope'], default: null },
  ],
};

let dir: string;
let registry: EmbeddedRegistry;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-kafka-avro-json-schema-'));
  registry = await EmbeddedRegistry.open(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('avroToJsonSchema', () => {
  it('describes exactly the JSON the Avro converter makes, so Freshet’s registry accepts the events and refuses others', async () => {
    const { id } = await registry.register('src-value', {
      schemaType: 'AVRO',
      schema: JSON.stringify(schema),
    });
    const json = avroToJsonSchema(JSON.stringify(schema), 'string');
    await registry.register('orders-value', { schemaType: 'JSON', schema: JSON.stringify(json) });
    const row = {
      id: 7,
      total: Buffer.from([0x30, 0x39]), // 12345 → "123.45"
      tags: ['a'],
      attrs: { x: 1 },
      state: 'OPEN',
      blob: Buffer.from('hi'),
      created: 1_700_000_000_000_000,
    };
    const type = avro.Type.forSchema(schema as avro.Schema);
    const decoder = new RecordDecoder({ format: 'avro', sourceRegistry: registry });
    const decoded = await decoder.value(
      encodeWire(id, type.toBuffer({ before: null, after: row, op: 'c', next: null })),
    );
    const value = (decoded as { value: Record<string, unknown> }).value;
    expect((value.after as { total: string }).total).toBe('123.45');
    expect(await registry.validate('orders-value', value)).toMatchObject({ ok: true });
    const wrong = { ...value, after: { ...(value.after as object), state: 'LOST' } };
    const verdict = await registry.validate('orders-value', wrong);
    expect(verdict.ok).toBe(false);
    const missing = { before: null, after: null, next: null };
    expect((await registry.validate('orders-value', missing)).ok).toBe(false);
  });
});
