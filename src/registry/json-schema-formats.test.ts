import { describe, expect, it } from 'vitest';
import { FORMATS } from './json-schema-formats.js';

describe('JSON Schema formats', () => {
  it.each([
    ['date-time', '2026-11-24T21:03:05.120+05:30', true],
    ['date-time', '2026-11-24T15:33:05Z', true],
    ['date-time', '2026-11-24 15:33:05z', true],
    ['date-time', '2026-11-24T21:03:05', false],
    ['date-time', '2026-13-01T00:00:00Z', false],
    ['date', '2024-02-29', true],
    ['date', '2026-02-29', false],
    ['date', '2026-04-31', false],
    ['time', '23:59:60+05:30', true],
    ['time', '24:00:00Z', false],
    ['uuid', '123e4567-e89b-12d3-a456-426614174000', true],
    ['uuid', '123e4567e89b12d3a456426614174000', false],
    ['email', 'store.manager@example.co.in', true],
    ['email', 'no-at-sign', false],
    ['uri', 'https://example.com/a?b=c', true],
    ['uri', '/relative/path', false],
    ['ipv4', '10.0.0.1', true],
    ['ipv4', '10.0.0.256', false],
    ['ipv6', '::1', true],
  ] as const)('%s %s -> %s', (format, value, ok) => {
    expect(FORMATS[format]!(value)).toBe(ok);
  });
});
