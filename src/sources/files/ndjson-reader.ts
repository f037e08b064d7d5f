// NDJSON drops: one JSON object per line, streamed line by line.

import { decodeUtf8, textRecords } from './text-file.js';
import { preview, type Row } from './rows.js';

export async function* readNdjson(path: string, opts: { maxBytes: number }): AsyncGenerator<Row> {
  for await (const rec of textRecords(path, { quotes: false, maxBytes: opts.maxBytes })) {
    const raw = preview(rec.bytes);
    if (rec.oversize) {
      yield {
        line: rec.line,
        raw,
        problem: { reason: `line of ${rec.size} bytes is over the limit of ${opts.maxBytes}` },
      };
      continue;
    }
    const text = decodeUtf8(rec.bytes);
    if (text === null) {
      yield { line: rec.line, raw, problem: { reason: 'not valid UTF-8' } };
      continue;
    }
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      yield { line: rec.line, raw, problem: { reason: `not JSON: ${(err as Error).message}` } };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      yield { line: rec.line, raw, problem: { reason: 'not a JSON object' } };
      continue;
    }
    yield { line: rec.line, value: value as Record<string, unknown> };
  }
}
