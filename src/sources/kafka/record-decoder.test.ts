import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedRegistry, encodeWire, RegistryError } from '../../registry/index.js';
import { decimalText } from './avro-json.js';
import { BadRecordError, RecordDecoder } from './record-decoder.js';

const priceSchema = {
  type: 'record',
  name: 'Price',
  namespace: 'test',
  fields: [
    { name: 'sku', type: 'string' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
    { name: 'raw', type: 'bytes' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
  ],
};

let dir: string;
let registry: EmbeddedRegistry;
let priceId: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-kafka-decoder-'));
  registry = await EmbeddedRegistry.open(dir);
  priceId = (
    await registry.register('prices-value', {
      schemaType: 'AVRO',
      schema: JSON.stringify(priceSchema),
    })
  ).id;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function unscaled(n: bigint, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  let v = n < 0n ? (1n << BigInt(bytes * 8)) + n : n;
  for (let i = bytes - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

describe('decimalText', () => {
  it('reads two’s-complement unscaled values with their scale', () => {
    expect(decimalText(unscaled(123450n, 3), 2)).toBe('1234.50');
    expect(decimalText(unscaled(-5n, 2), 2)).toBe('-0.05');
    expect(decimalText(unscaled(7n, 1), 0)).toBe('7');
  });
});

describe('RecordDecoder', () => {
  // Without logicalTypes, avsc writes decimals as their underlying bytes (as a producer does).
  const plain = avro.Type.forSchema(priceSchema as avro.Schema);
  const value = {
    sku: 'SKU-1',
    amount: unscaled(123450n, 3),
    raw: Buffer.from([1, 2, 255]),
    at: 1_700_000_000_123,
    note: 'hi',
    kind: 'B',
  };

  it('converts Confluent Avro as JsonConverter does (decimal as exact string, bytes base64)', async () => {
    const d = new RecordDecoder({ format: 'avro', sourceRegistry: registry });
    const out = await d.value(encodeWire(priceId, plain.toBuffer(value)));
    expect(out).toEqual({
      kind: 'value',
      sourceSchemaId: priceId,
      value: {
        sku: 'SKU-1',
        amount: '1234.50',
        raw: Buffer.from([1, 2, 255]).toString('base64'),
        at: 1_700_000_000_123,
        note: 'hi',
        kind: 'B',
      },
    });
    const b64 = new RecordDecoder({
      format: 'auto',
      sourceRegistry: registry,
      decimalFormat: 'base64',
    });
    const v = (await b64.value(encodeWire(priceId, plain.toBuffer(value)))) as {
      value: { amount: string };
    };
    expect(v.value.amount).toBe(unscaled(123450n, 3).toString('base64'));
  });

  it('unwraps the JSON converter’s schema+payload form and keeps tombstones', async () => {
    const d = new RecordDecoder({ format: 'json' });
    const wrapped = {
      schema: { type: 'struct', fields: [] },
      payload: { op: 'c', after: { id: 1 } },
    };
    expect(await d.value(Buffer.from(JSON.stringify(wrapped)))).toEqual({
      kind: 'value',
      sourceSchemaId: null,
      value: { op: 'c', after: { id: 1 } },
    });
    expect(
      await d.key(Buffer.from(JSON.stringify({ schema: { type: 'struct' }, payload: { id: 1 } }))),
    ).toBe('{"id":1}');
    expect(await d.value(null)).toEqual({ kind: 'tombstone' });
    // An object that merely has a "payload" field is kept as it is.
    expect(await d.value(Buffer.from('{"payload":1,"x":2}'))).toMatchObject({
      value: { payload: 1, x: 2 },
    });
  });

  it('refuses garbage, unknown schema ids and mismatched payloads with a reason', async () => {
    const d = new RecordDecoder({ format: 'auto', sourceRegistry: registry });
    await expect(d.value(Buffer.from('not json'))).rejects.toThrow(BadRecordError);
    await expect(d.value(encodeWire(424242, Buffer.from([1])))).rejects.toThrow(
      /unknown schema id 424242/,
    );
    await expect(d.value(encodeWire(priceId, Buffer.from([1, 2, 3])))).rejects.toThrow(
      /does not decode with its writer schema id/,
    );
    await expect(
      new RecordDecoder({ format: 'json-sr', sourceRegistry: registry }).value(
        encodeWire(priceId, Buffer.from('{}')),
      ),
    ).rejects.toThrow(/an Avro schema, but the source reads JSON Schema/);
  });

  it('lets a registry that does not answer through as a retriable error (pause, not quarantine)', async () => {
    const down = {
      getById: () => Promise.reject(new RegistryError('down', 50001, { retriable: true })),
    } as unknown as EmbeddedRegistry;
    const d = new RecordDecoder({ format: 'avro', sourceRegistry: down });
    const err = await d.value(encodeWire(priceId, plain.toBuffer(value))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).not.toBeInstanceOf(BadRecordError);
  });

  it('reads Confluent JSON Schema framing (json-sr and auto) and framed keys', async () => {
    const { id } = await registry.register('stock-value', {
      schemaType: 'JSON',
      schema: JSON.stringify({ type: 'object', properties: { qty: { type: 'integer' } } }),
    });
    const framed = encodeWire(id, Buffer.from('{"qty":4}'));
    for (const format of ['json-sr', 'auto'] as const) {
      const d = new RecordDecoder({ format, sourceRegistry: registry });
      expect(await d.value(framed)).toEqual({
        kind: 'value',
        value: { qty: 4 },
        sourceSchemaId: id,
      });
      expect(await d.key(framed)).toBe('{"qty":4}');
    }
    // The plain JSON format does not look for framing: a framed value is not JSON.
    await expect(new RecordDecoder({ format: 'json' }).value(framed)).rejects.toThrow(/not JSON/);
  });
});
