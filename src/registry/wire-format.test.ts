import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedRegistry } from './embedded-registry.js';
import { decodeWire, encodeWire, WireFormatError, WireSerde } from './wire-format.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-wire-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sale = {
  type: 'record',
  name: 'Sale',
  fields: [
    { name: 'store_id', type: 'string' },
    { name: 'qty', type: 'int' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};

describe('wire format', () => {
  it('frames a payload as magic byte 0 + big-endian id + payload', () => {
    const framed = encodeWire(0x01020304, Buffer.from('hi'));
    expect([...framed]).toEqual([0, 1, 2, 3, 4, 0x68, 0x69]);
    expect(decodeWire(framed)).toEqual({ schemaId: 0x01020304, payload: Buffer.from('hi') });
    expect(() => encodeWire(-1, Buffer.alloc(0))).toThrow(WireFormatError);
  });

  it('refuses a wrong magic byte and a short message with a clear error', () => {
    expect(() => decodeWire(Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow(
      /unknown magic byte 1 \(0x01\).*starts with 0/,
    );
    expect(() => decodeWire(Buffer.from('{"a":1}'))).toThrow(/unknown magic byte 123/);
    expect(() => decodeWire(Buffer.from([0, 0, 1]))).toThrow(/3 bytes is too short/);
  });

  it('encodes Avro binary that a plain Avro decoder reads, and decodes it back', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    const { id } = await registry.register('sales-value', {
      schemaType: 'AVRO',
      schema: JSON.stringify(sale),
    });
    const serde = new WireSerde(registry);
    const value = { store_id: 'S0001', qty: 3, note: 'gift' };
    const bytes = await serde.serialize('sales-value', value);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(id);
    expect(avro.Type.forSchema(sale as avro.Schema).fromBuffer(bytes.subarray(5))).toEqual(value);
    expect(await serde.deserialize(bytes)).toEqual({ schemaId: id, schemaType: 'AVRO', value });

    // A reader on a newer schema resolves the old bytes (a default fills the new field).
    const newer = {
      ...sale,
      fields: [...sale.fields, { name: 'channel', type: 'string', default: 'pos' }],
    };
    expect((await serde.deserialize(bytes, { readerSchema: JSON.stringify(newer) })).value).toEqual(
      { ...value, channel: 'pos' },
    );

    await expect(serde.serialize('sales-value', { store_id: 'S1', qty: 'x' })).rejects.toThrow(
      /value does not match schema id 1: \/qty: must be int, got "x"$/,
    );
  });

  it('encodes JSON Schema values as UTF-8 JSON', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    const schema = JSON.stringify({
      type: 'object',
      required: ['a'],
      properties: { a: { type: 'integer' } },
    });
    const { id } = await registry.register('j-value', { schemaType: 'JSON', schema });
    const serde = new WireSerde(registry);
    const bytes = await serde.serialize('j-value', { a: 1 });
    expect(bytes.subarray(5).toString()).toBe('{"a":1}');
    expect(await serde.deserialize(bytes)).toEqual({
      schemaId: id,
      schemaType: 'JSON',
      value: { a: 1 },
    });
    await expect(serde.serialize('j-value', { a: 'x' })).rejects.toThrow(/\/a: must be integer/);
  });

  it('names an unknown schema id, and an unknown subject', async () => {
    const registry = await EmbeddedRegistry.open(dir);
    const serde = new WireSerde(registry);
    await expect(serde.deserialize(encodeWire(42, Buffer.from('x')))).rejects.toMatchObject({
      errorCode: 40403,
      message: expect.stringMatching(/schema id 42, which the registry does not have/),
    });
    await expect(serde.serialize('nothing-value', {})).rejects.toMatchObject({ errorCode: 40401 });
    // A failed look-up is not cached: once registered, the id decodes.
    const { id } = await registry.register('x-value', { schemaType: 'AVRO', schema: '"string"' });
    const bytes = encodeWire(id, avro.Type.forSchema('string').toBuffer('ok'));
    expect((await serde.deserialize(bytes)).value).toBe('ok');
  });
});
