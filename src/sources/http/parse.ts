// Turns a request body into events: a JSON array (or {"records": [...]}) or NDJSON, one event per
// line. Every problem names where it is (array index or line number) so the sender can fix that
// record. Hostile input is bounded: invalid UTF-8, events past the size limit, nesting past the
// depth limit and "__proto__" keys (which pollute the prototype of any JS consumer that merges
// the object) are refused before anything reaches the registry or the log.

export interface ParsedEvent {
  /** Position in the batch, from 0. */
  index: number;
  /** NDJSON line number (from 1), when the body was NDJSON. */
  line?: number;
  value: unknown;
  /** The event as it is stored: the bytes the sender sent (JSON arrays: re-serialized). */
  json: string;
}

export interface ParseProblem {
  status: 400 | 413 | 422;
  reason: 'malformed' | 'too_large' | 'invalid';
  message: string;
  index?: number;
  line?: number;
  field?: string;
}

export interface ParseLimits {
  maxEventBytes: number;
  maxEvents: number;
  maxDepth: number;
}

export type ParseResult =
  { ok: true; events: ParsedEvent[] } | { ok: false; problem: ParseProblem };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decode(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** The first hostile shape in a parsed value: too deep, or a "__proto__" key. Iterative. */
export function checkShape(
  value: unknown,
  maxDepth: number,
): { field: string; reason: string } | null {
  const stack: Array<{ v: unknown; depth: number; path: string }> = [
    { v: value, depth: 0, path: '' },
  ];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) {
      return { field: path || '(root)', reason: `nests deeper than ${maxDepth} levels` };
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--)
        stack.push({ v: v[i], depth: depth + 1, path: `${path}/${i}` });
      continue;
    }
    for (const key of Object.keys(v)) {
      const at = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      if (key === '__proto__') {
        return { field: at, reason: 'the key "__proto__" is not accepted (prototype pollution)' };
      }
      stack.push({ v: (v as Record<string, unknown>)[key], depth: depth + 1, path: at });
    }
  }
  return null;
}

/**
 * Whether a line's parsed value can hold a hostile shape at all: it has at least `maxDepth`
 * brackets, the text "__proto__", or a \u escape (which could spell "__proto__"). Most lines
 * have none, and this scan costs far less than walking the parsed value.
 */
function mayBeHostile(text: string, maxDepth: number): boolean {
  if (text.includes('__proto__') || text.includes('\\u')) return true;
  let brackets = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 0x7b || c === 0x5b) && ++brackets >= maxDepth) return true;
  }
  return false;
}

function checkEvent(
  ev: ParsedEvent,
  limits: ParseLimits,
  where: string,
  shapeChecked = false,
): ParseProblem | null {
  const pos = { index: ev.index, ...(ev.line !== undefined ? { line: ev.line } : {}) };
  if (Buffer.byteLength(ev.json) > limits.maxEventBytes) {
    return {
      status: 413,
      reason: 'too_large',
      ...pos,
      message: `${where} is ${Buffer.byteLength(ev.json)} bytes; one event may be at most ${limits.maxEventBytes} bytes`,
    };
  }
  if (ev.value === null || typeof ev.value !== 'object' || Array.isArray(ev.value)) {
    return {
      status: 422,
      reason: 'invalid',
      ...pos,
      field: '(root)',
      message: `${where} must be a JSON object, got ${ev.value === null ? 'null' : Array.isArray(ev.value) ? 'an array' : typeof ev.value}`,
    };
  }
  const shape = shapeChecked ? null : checkShape(ev.value, limits.maxDepth);
  if (shape) {
    return {
      status: 422,
      reason: 'invalid',
      ...pos,
      field: shape.field,
      message: `${where}: ${shape.field} ${shape.reason}`,
    };
  }
  return null;
}

const tooMany = (limits: ParseLimits): ParseProblem => ({
  status: 413,
  reason: 'too_large',
  message: `the batch has more than ${limits.maxEvents} events; split it into smaller batches`,
});

export function parseNdjson(bytes: Buffer, limits: ParseLimits): ParseResult {
  const events: ParsedEvent[] = [];
  let start = 0;
  let line = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    line++;
    // A line's size is checked before it is decoded or parsed.
    if (end - start > limits.maxEventBytes + 1) {
      return {
        ok: false,
        problem: {
          status: 413,
          reason: 'too_large',
          line,
          index: events.length,
          message: `line ${line} is ${end - start} bytes; one event may be at most ${limits.maxEventBytes} bytes`,
        },
      };
    }
    const text = decode(bytes.subarray(start, end));
    start = end + 1;
    if (text === null) {
      return {
        ok: false,
        problem: {
          status: 400,
          reason: 'malformed',
          line,
          message: `line ${line} is not valid UTF-8`,
        },
      };
    }
    const trimmed = text.trim();
    if (trimmed === '') continue; // blank lines (and the final newline) carry no event
    if (events.length >= limits.maxEvents) return { ok: false, problem: tooMany(limits) };
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      return {
        ok: false,
        problem: {
          status: 400,
          reason: 'malformed',
          line,
          message: `line ${line} is not valid JSON: ${(err as Error).message}`,
        },
      };
    }
    const ev: ParsedEvent = { index: events.length, line, value, json: trimmed };
    const problem = checkEvent(ev, limits, `line ${line}`, !mayBeHostile(trimmed, limits.maxDepth));
    if (problem) return { ok: false, problem };
    events.push(ev);
  }
  return { ok: true, events };
}

export function parseJsonBatch(bytes: Buffer, limits: ParseLimits): ParseResult {
  const text = decode(bytes);
  if (text === null) {
    return {
      ok: false,
      problem: { status: 400, reason: 'malformed', message: 'the body is not valid UTF-8' },
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      problem: {
        status: 400,
        reason: 'malformed',
        message: `the body is not valid JSON: ${(err as Error).message}`,
      },
    };
  }
  const list = Array.isArray(body)
    ? body
    : body !== null &&
        typeof body === 'object' &&
        Array.isArray((body as { records?: unknown }).records)
      ? (body as { records: unknown[] }).records
      : null;
  if (!list) {
    return {
      ok: false,
      problem: {
        status: 400,
        reason: 'malformed',
        message: 'the body must be a JSON array of events or an object {"records": [...]}',
      },
    };
  }
  if (list.length > limits.maxEvents) return { ok: false, problem: tooMany(limits) };
  const events: ParsedEvent[] = [];
  for (let i = 0; i < list.length; i++) {
    const value = list[i];
    // Checked before serializing, so a deeply nested event never reaches JSON.stringify.
    const shape =
      value !== null && typeof value === 'object' ? checkShape(value, limits.maxDepth) : null;
    if (shape) {
      return {
        ok: false,
        problem: {
          status: 422,
          reason: 'invalid',
          index: i,
          field: shape.field,
          message: `record ${i}: ${shape.field} ${shape.reason}`,
        },
      };
    }
    const ev: ParsedEvent = { index: i, value, json: JSON.stringify(value) ?? 'null' };
    const problem = checkEvent(ev, limits, `record ${i}`, true);
    if (problem) return { ok: false, problem };
    events.push(ev);
  }
  return { ok: true, events };
}
