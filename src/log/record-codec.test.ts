import { describe, expect, it } from 'vitest';
import { decodeFrame, peekFrame, prepareRecord, writeFrame } from './record-codec.js';

function encode(offset: number, fields: Parameters<typeof prepareRecord>[0]): Buffer {
  const prepared = prepareRecord(fields);
  const buf = Buffer.alloc(prepared.frameBytes);
  expect(writeFrame(buf, 0, prepared, offset)).toBe(prepared.frameBytes);
  return buf;
}

describe('record codec', () => {
  it('round-trips every field', () => {
    const fields = {
      key: 'S0001',
      value: Buffer.from('{"qty":3}'),
      headers: { 'content-type': 'application/json', ünïcode: 'värde' },
      timestamp: 1_795_000_000_123,
    };
    const buf = encode(2 ** 40 + 7, fields);
    const frame = decodeFrame(buf, 0, buf.length);
    expect(frame).toEqual({
      kind: 'record',
      frameBytes: buf.length,
      record: { ...fields, offset: 2 ** 40 + 7 },
    });
    expect(peekFrame(buf, 0, buf.length)).toEqual({ offset: 2 ** 40 + 7, frameBytes: buf.length });
  });

  it('keeps a null key apart from an empty one, and negative timestamps', () => {
    for (const key of [null, '']) {
      const buf = encode(0, { key, value: Buffer.alloc(0), headers: {}, timestamp: -5 });
      const frame = decodeFrame(buf, 0, buf.length);
      expect(frame.kind === 'record' && frame.record.key).toBe(key);
      expect(frame.kind === 'record' && frame.record.timestamp).toBe(-5);
    }
  });

  it('keeps a header called __proto__', () => {
    const headers = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
    const buf = encode(0, { key: null, value: Buffer.alloc(1), headers, timestamp: 0 });
    const frame = decodeFrame(buf, 0, buf.length);
    expect(frame.kind === 'record' && Object.entries(frame.record.headers)).toEqual([
      ['__proto__', 'x'],
    ]);
  });

  it('reports a frame cut short as incomplete, with its size once the header is in', () => {
    const buf = encode(1, { key: 'k', value: Buffer.from('v'), headers: {}, timestamp: 1 });
    expect(decodeFrame(buf, 0, 5)).toEqual({ kind: 'incomplete', frameBytes: null });
    expect(decodeFrame(buf, 0, buf.length - 1)).toEqual({
      kind: 'incomplete',
      frameBytes: buf.length,
    });
  });

  it('detects a flipped bit anywhere in the body', () => {
    const buf = encode(1, {
      key: 'k',
      value: Buffer.from('value'),
      headers: { h: 'v' },
      timestamp: 1,
    });
    for (let i = 8; i < buf.length; i++) {
      const copy = Buffer.from(buf);
      copy[i] = copy[i]! ^ 0x10;
      expect(decodeFrame(copy, 0, copy.length).kind).toBe('corrupt');
    }
  });

  it('treats zeroed bytes as garbage, not as an empty record', () => {
    const zeros = Buffer.alloc(64);
    expect(decodeFrame(zeros, 0, zeros.length).kind).toBe('corrupt');
  });
});
