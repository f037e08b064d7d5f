// Parquet drops, read with hyparquet (pure JavaScript, no native build, no download at install):
// one row group at a time, so memory follows the row group, not the file. A row's "line" is its
// 1-based row number. Codecs: uncompressed, snappy, gzip, brotli, zstd, lz4 (hyparquet-compressors,
// also pure JavaScript apart from a WebAssembly snappy shipped inside the package).

import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { FileFormatError, type Row } from './rows.js';

export async function* readParquet(path: string, opts: { fromLine: number }): AsyncGenerator<Row> {
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  const file = await asyncBufferFromFile(path);
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (err) {
    throw new FileFormatError(`not a readable Parquet file: ${(err as Error).message}`, 0);
  }
  // DATE columns decode to midnight UTC Dates: they are kept as 'YYYY-MM-DD', not timestamps.
  const dates = new Set(
    metadata.schema
      .filter((e) => e.converted_type === 'DATE' || e.logical_type?.type === 'DATE')
      .map((e) => e.name),
  );
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const groupEnd = groupStart + Number(group.num_rows);
    const rowStart = Math.max(groupStart, opts.fromLine - 1);
    if (rowStart < groupEnd) {
      let rows: Record<string, unknown>[];
      try {
        rows = await parquetReadObjects({
          file,
          metadata,
          rowStart,
          rowEnd: groupEnd,
          compressors,
        });
      } catch (err) {
        throw new FileFormatError(
          `rows ${rowStart + 1}-${groupEnd} cannot be read: ${(err as Error).message}`,
          rowStart + 1,
        );
      }
      for (let i = 0; i < rows.length; i++) {
        yield { line: rowStart + i + 1, value: jsonRow(rows[i]!, dates) };
      }
    }
    groupStart = groupEnd;
  }
}

/** Parquet values as JSON can carry them: INT64 as a number when exact, dates as ISO text. */
function jsonRow(row: Record<string, unknown>, dates: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    out[k] = dates.has(k) && v instanceof Date ? v.toISOString().slice(0, 10) : jsonValue(v);
  }
  return out;
}

function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') {
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  }
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = jsonValue(x);
    return out;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v;
}
