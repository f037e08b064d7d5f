// Splits a byte stream into records at newlines, tracking physical line numbers, with memory
// bounded by `maxBytes` per record however long a line is. In CSV mode a newline inside double
// quotes does not end the record (RFC 4180: quoted fields may hold line breaks); quote parity is
// all that matters, since an escaped quote ("") toggles twice. Field parsing is left to csv-parse,
// record by record, so one malformed record never takes the rest of the file with it.

import { PREVIEW_BYTES } from './rows.js';

export interface RawRecord {
  /** The physical line (1-based) where the record starts. */
  line: number;
  /** The record without its line ending; only the first PREVIEW_BYTES when `oversize`. */
  bytes: Buffer;
  /** Its full length in bytes (as counted up to its end, even when not kept). */
  size: number;
  oversize: boolean;
  /** CSV: the file ended inside a quoted field that began in this record. */
  unterminatedQuote: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

export async function* splitRecords(
  chunks: AsyncIterable<Buffer>,
  opts: { quotes: boolean; maxBytes: number },
): AsyncGenerator<RawRecord> {
  let parts: Buffer[] = [];
  let kept = 0;
  let size = 0;
  let oversize = false;
  let inQuote = false;
  let line = 1;
  let startLine = 1;
  let first = true; // the first record may begin with a byte order mark

  const take = (piece: Buffer) => {
    size += piece.length;
    if (oversize) return;
    if (size > opts.maxBytes) {
      // Keep a preview for quarantine, drop the rest as it streams by.
      oversize = true;
      const room = Math.max(0, PREVIEW_BYTES - kept);
      if (room > 0) parts.push(Buffer.from(piece.subarray(0, room)));
      kept += Math.min(room, piece.length);
      parts = [Buffer.concat(parts).subarray(0, PREVIEW_BYTES)];
      return;
    }
    parts.push(piece);
    kept += piece.length;
  };
  const finish = (unterminatedQuote: boolean): RawRecord | null => {
    let bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (!oversize) {
      // Strip the line ending (LF or CRLF); CRLF inside quoted fields stays in the value.
      let end = bytes.length;
      if (end > 0 && bytes[end - 1] === LF) end--;
      if (end > 0 && bytes[end - 1] === CR) end--;
      bytes = bytes.subarray(0, end);
    }
    if (first) {
      first = false;
      // A UTF-8 byte order mark is no part of the first field (it may span chunks, so here).
      if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
        bytes = bytes.subarray(3);
    }
    const record: RawRecord = { line: startLine, bytes, size, oversize, unterminatedQuote };
    parts = [];
    kept = 0;
    size = 0;
    oversize = false;
    startLine = line;
    // A blank line is no record (but it was counted, so later line numbers stay right).
    return bytes.length === 0 && !record.oversize ? null : record;
  };

  for await (const chunk of chunks) {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(LF, pos);
      const end = nl === -1 ? chunk.length : nl;
      if (opts.quotes) {
        for (
          let q = chunk.indexOf(QUOTE, pos);
          q !== -1 && q < end;
          q = chunk.indexOf(QUOTE, q + 1)
        )
          inQuote = !inQuote;
      }
      take(chunk.subarray(pos, nl === -1 ? end : nl + 1));
      if (nl === -1) break;
      pos = nl + 1;
      line++;
      if (!inQuote) {
        const record = finish(false);
        if (record) yield record;
      }
    }
  }
  if (size > 0) {
    const record = finish(inQuote);
    if (record) yield record;
  }
}
