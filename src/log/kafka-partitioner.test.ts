import { describe, expect, it } from 'vitest';
import { kafkaPartition, murmur2 } from './kafka-partitioner.js';

// Expected hashes from Apache Kafka's own test (clients UtilsTest.testMurmur2) and from
// kafkajs's fixtures generated with the Java client.
const KAFKA_MURMUR2: Array<[string | Buffer, number]> = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  [Buffer.from([0x61, 0x62, 0x63]), 479470107],
  ['0', 971027396],
  ['1', -1993445489],
  ['128', -326012175],
];

describe('murmur2', () => {
  it.each(KAFKA_MURMUR2)('hashes %s as Kafka does', (input, expected) => {
    expect(murmur2(typeof input === 'string' ? Buffer.from(input) : input)).toBe(expected);
  });
});

describe('kafkaPartition', () => {
  it('is toPositive(murmur2) % n, not Math.abs', () => {
    // -973932308 & 0x7fffffff = 1173551340; Math.abs would give 973932308.
    expect(kafkaPartition('21', 2_000_000_000)).toBe(1173551340);
    expect(kafkaPartition('21', 7)).toBe(1173551340 % 7);
    expect(kafkaPartition('0', 10)).toBe(971027396 % 10);
  });

  it('hashes the UTF-8 bytes of the key', () => {
    const key = 'स्टोर-१';
    expect(kafkaPartition(key, 1_000_003)).toBe(
      (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % 1_000_003,
    );
  });

  it('is stable and within range', () => {
    for (let i = 0; i < 1000; i++) {
      const p = kafkaPartition(`S${i}`, 6);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(6);
      expect(kafkaPartition(`S${i}`, 6)).toBe(p);
    }
  });

  it('refuses a partition count that is not a positive integer', () => {
    expect(() => kafkaPartition('k', 0)).toThrow(RangeError);
    expect(() => kafkaPartition('k', 1.5)).toThrow(RangeError);
  });
});
