// What a file reader hands the source: one row per record of the file, good or bad, each with
// the line it came from (the physical line where a CSV/NDJSON record starts; the 1-based row
// number in a Parquet file). A bad record is a row too, so it reaches quarantine in file order
// and the position saved after it covers it: nothing is skipped silently.

export interface RowProblem {
  reason: string;
  /** The field (column) at fault, when one is. */
  field?: string;
}

export type Row =
  | { line: number; value: Record<string, unknown> }
  | { line: number; problem: RowProblem; raw: Buffer };

/**
 * The file cannot be read on from `line` on (binary content, a truncated Parquet footer, a quote
 * never closed): what came before it has flowed; the file is recorded as done with this error.
 */
export class FileFormatError extends Error {
  override name = 'FileFormatError';
  constructor(
    message: string,
    readonly line: number,
    readonly raw: Buffer = Buffer.alloc(0),
  ) {
    super(message);
  }
}

/** At most this much of a bad record is kept in quarantine (a 50 MB line is not copied whole). */
export const PREVIEW_BYTES = 4096;

export function preview(bytes: Buffer): Buffer {
  return bytes.length <= PREVIEW_BYTES ? bytes : bytes.subarray(0, PREVIEW_BYTES);
}
