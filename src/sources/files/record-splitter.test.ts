import { describe, expect, it } from 'vitest';
import { splitRecords, type RawRecord } from './record-splitter.js';

async function split(text: string | Buffer, opts = { quotes: true, maxBytes: 1000 }, chunk = 0) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const chunks: Buffer[] = [];
  if (chunk === 0) chunks.push(bytes);
  else for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  const out: RawRecord[] = [];
  for await (const r of splitRecords(
    (async function* () {
      yield* chunks;
    })(),
    opts,
  ))
    out.push(r);
  return out;
}

describe('splitRecords', () => {
  const csv = '\ufeffa,b\r\n1,2\r\n"x\r\ny",3\r\n\r\n4,"5 ""q"""\r\n7,8';
  it('gives each record the physical line where it starts (BOM, CRLF, quoted newlines, blank lines)', async () => {
    for (const chunk of [0, 1, 3]) {
      const recs = await split(csv, { quotes: true, maxBytes: 1000 }, chunk);
      expect(recs.map((r) => [r.line, r.bytes.toString()])).toEqual([
        [1, 'a,b'],
        [2, '1,2'],
        [3, '"x\r\ny",3'],
        [6, '4,"5 ""q"""'],
        [7, '7,8'],
      ]);
    }
  });

  it('ignores quotes in NDJSON mode', async () => {
    const recs = await split('{"a":"\\""}\n{"b":1}\n', { quotes: false, maxBytes: 1000 });
    expect(recs.map((r) => r.line)).toEqual([1, 2]);
  });

  it('keeps only a preview of an oversize record and goes on with the next', async () => {
    const big = 'x'.repeat(100_000);
    const recs = await split(`${big}\nok\n`, { quotes: false, maxBytes: 1000 }, 4096);
    expect(recs).toHaveLength(2);
    expect(recs[0]!.oversize).toBe(true);
    expect(recs[0]!.size).toBe(100_001);
    expect(recs[0]!.bytes.length).toBeLessThanOrEqual(4096);
    expect(recs[1]).toMatchObject({ line: 2, oversize: false });
    expect(recs[1]!.bytes.toString()).toBe('ok');
  });

  it('flags a quote never closed', async () => {
    const recs = await split('a\n"open,1\n2\n3\n');
    expect(recs.at(-1)).toMatchObject({ line: 2, unterminatedQuote: true });
  });
});
