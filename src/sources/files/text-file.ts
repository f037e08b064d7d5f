// Reading a text drop (CSV, NDJSON) as records: streamed from disk in chunks, refused at once
// when it is binary, decoded as strict UTF-8 record by record.

import { createReadStream } from 'node:fs';
import { splitRecords, type RawRecord } from './record-splitter.js';
import { FileFormatError } from './rows.js';

const SNIFF_BYTES = 8192;

/** The file's chunks; throws FileFormatError when its first bytes hold a NUL (not text). */
async function* textChunks(path: string): AsyncGenerator<Buffer> {
  let first = true;
  for await (const chunk of createReadStream(path, {
    highWaterMark: 256 * 1024,
  }) as AsyncIterable<Buffer>) {
    if (first) {
      first = false;
      const head = chunk.subarray(0, SNIFF_BYTES);
      if (head.includes(0)) {
        throw new FileFormatError(
          'binary content (NUL bytes in the first 8 KiB): not a UTF-8 text file (UTF-16 is not supported either)',
          1,
          head.subarray(0, 256),
        );
      }
    }
    yield chunk;
  }
}

export function textRecords(
  path: string,
  opts: { quotes: boolean; maxBytes: number },
): AsyncGenerator<RawRecord> {
  return splitRecords(textChunks(path), opts);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The record's text, or null when it is not valid UTF-8. */
export function decodeUtf8(bytes: Buffer): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}
