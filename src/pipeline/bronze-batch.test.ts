import { describe, expect, it } from 'vitest';
import { encodeWire } from '../registry/index.js';
import { bronzePayload } from './bronze-batch.js';

describe('bronzePayload', () => {
  const json = Buffer.from('{"event_id":"e1"}');

  it('keeps a plain JSON record as it is', () => {
    expect(bronzePayload({ value: json, headers: { a: '1' } })).toEqual({
      payload: '{"event_id":"e1"}',
      headers: '{"a":"1"}',
    });
  });

  it('takes the JSON out of a Confluent frame and keeps its schema id', () => {
    expect(bronzePayload({ value: encodeWire(42, json), headers: {} })).toEqual({
      payload: '{"event_id":"e1"}',
      headers: '{"freshet.schema-id":"42"}',
    });
    // A header the producer set wins over the frame's id (they agree for Freshet's own events).
    expect(
      JSON.parse(
        bronzePayload({ value: encodeWire(42, json), headers: { 'freshet.schema-id': '7' } })
          .headers,
      ),
    ).toEqual({ 'freshet.schema-id': '7' });
  });

  it('leaves bytes too short to be a frame alone', () => {
    expect(bronzePayload({ value: Buffer.from([0, 1]), headers: {} }).payload).toBe('\u0000\u0001');
  });
});
