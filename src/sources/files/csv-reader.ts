// CSV drops: records split by the quote-aware splitter (exact start lines, bounded memory),
// fields parsed by csv-parse one record at a time. Values stay strings here; the source converts
// them to the schema's types.

import { parse } from 'csv-parse/sync';
import { decodeUtf8, textRecords } from './text-file.js';
import { FileFormatError, preview, type Row } from './rows.js';

export interface CsvOptions {
  /** Field delimiter. Default ','. */
  delimiter?: string;
  /** The first record names the columns. Default true. */
  header?: boolean;
  /** Column names when there is no header (or to override it). */
  columns?: string[];
}

export async function* readCsv(
  path: string,
  opts: CsvOptions & { maxBytes: number },
): AsyncGenerator<Row> {
  const delimiter = opts.delimiter ?? ',';
  let columns: string[] | null = opts.header === false ? (opts.columns ?? null) : null;
  let headerSeen = opts.header === false;
  for await (const rec of textRecords(path, { quotes: true, maxBytes: opts.maxBytes })) {
    const raw = preview(rec.bytes);
    if (rec.unterminatedQuote) {
      throw new FileFormatError(
        `a quoted field opened on line ${rec.line} is never closed: the ${rec.size} bytes from there to the end of the file are not read`,
        rec.line,
        raw,
      );
    }
    if (rec.oversize) {
      if (!headerSeen)
        throw new FileFormatError('the header record is over the size limit', 1, raw);
      yield {
        line: rec.line,
        raw,
        problem: { reason: `record of ${rec.size} bytes is over the limit of ${opts.maxBytes}` },
      };
      continue;
    }
    const text = decodeUtf8(rec.bytes);
    if (text === null) {
      if (!headerSeen) throw new FileFormatError('the header record is not valid UTF-8', 1, raw);
      yield { line: rec.line, raw, problem: { reason: 'not valid UTF-8' } };
      continue;
    }
    let fields: string[];
    try {
      fields = splitFields(text, delimiter);
    } catch (err) {
      if (!headerSeen)
        throw new FileFormatError(`the header record: ${(err as Error).message}`, rec.line, raw);
      // csv-parse counts lines within the one record it saw: the file's line is ours.
      const reason = (err as Error).message.replace(/ at line \d+/, '');
      yield { line: rec.line, raw, problem: { reason } };
      continue;
    }
    if (!headerSeen) {
      headerSeen = true;
      columns = opts.columns ?? fields.map((f) => f.trim());
      continue;
    }
    const names = columns ?? fields.map((_, i) => `column_${i + 1}`);
    if (fields.length !== names.length) {
      yield {
        line: rec.line,
        raw,
        problem: { reason: `${fields.length} fields where the header has ${names.length}` },
      };
      continue;
    }
    const value: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) value[names[i]!] = fields[i];
    yield { line: rec.line, value };
  }
}

/** One record's fields. Without a quote a plain split is exact; quoted ones go to csv-parse. */
function splitFields(text: string, delimiter: string): string[] {
  if (!text.includes('"')) return text.split(delimiter);
  const parsed = parse(text, { delimiter, relax_column_count: true }) as string[][];
  if (parsed.length !== 1) throw new Error(`a record that parses as ${parsed.length} records`);
  return parsed[0]!;
}
