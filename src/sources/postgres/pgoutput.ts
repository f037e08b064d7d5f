// A decoder for the messages of PostgreSQL's built-in logical decoding plugin `pgoutput`
// (protocol version 1, text tuple format): https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html
// Pure functions on buffers, so every message shape is unit-tested without a server.

import type { Lsn } from './lsn.js';

/** Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01). */
const PG_EPOCH_MICROS = 946_684_800_000_000n;

/** A column value in a tuple: SQL NULL, an unchanged TOASTed value the server did not send, or text. */
export type TupleValue = { kind: 'null' } | { kind: 'unchanged' } | { kind: 'text'; text: string };

export interface RelationColumn {
  name: string;
  typeOid: number;
  typeMod: number;
  /** Part of the replica identity (the primary key by default). */
  key: boolean;
}

export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: Lsn; commitTimeMicros: bigint; xid: number }
  | { tag: 'commit'; commitLsn: Lsn; endLsn: Lsn; commitTimeMicros: bigint }
  | {
      tag: 'relation';
      relationId: number;
      schema: string;
      table: string;
      /** d = default (primary key), n = nothing, f = full, i = index. */
      replicaIdentity: string;
      columns: RelationColumn[];
    }
  | { tag: 'insert'; relationId: number; newTuple: TupleValue[] }
  | {
      tag: 'update';
      relationId: number;
      /** The old row: the key columns only ('K') or the whole row ('O', REPLICA IDENTITY FULL). */
      oldTuple: TupleValue[] | null;
      oldKind: 'key' | 'full' | null;
      newTuple: TupleValue[];
    }
  | {
      tag: 'delete';
      relationId: number;
      oldTuple: TupleValue[];
      oldKind: 'key' | 'full';
    }
  | { tag: 'truncate'; relationIds: number[]; cascade: boolean; restartIdentity: boolean }
  | { tag: 'type'; typeOid: number; schema: string; name: string }
  | { tag: 'origin'; lsn: Lsn; name: string }
  | { tag: 'message'; transactional: boolean; lsn: Lsn; prefix: string; content: Buffer };

export class PgOutputError extends Error {
  override name = 'PgOutputError';
}

/** Converts a PostgreSQL timestamp (microseconds since 2000-01-01) to Unix epoch milliseconds. */
export function pgTimeToMillis(micros: bigint): number {
  return Number((micros + PG_EPOCH_MICROS) / 1000n);
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new PgOutputError(
        `pgoutput message ended early: needed ${n} bytes at ${this.pos} of ${this.buf.length}`,
      );
    }
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new PgOutputError('pgoutput string without its terminating zero byte');
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

function readTuple(r: Reader): TupleValue[] {
  const n = r.i16();
  const values: TupleValue[] = [];
  for (let i = 0; i < n; i++) {
    const kind = String.fromCharCode(r.u8());
    if (kind === 'n') values.push({ kind: 'null' });
    else if (kind === 'u') values.push({ kind: 'unchanged' });
    else if (kind === 't') values.push({ kind: 'text', text: r.bytes(r.i32()).toString('utf8') });
    else {
      throw new PgOutputError(
        `pgoutput tuple column ${i} has format '${kind}'; only text ('t') is requested (binary 'b' needs protocol 2 with binary on)`,
      );
    }
  }
  return values;
}

/** Decodes one pgoutput message (the payload of one XLogData). */
export function decodePgOutput(buf: Buffer): PgOutputMessage {
  const r = new Reader(buf);
  const tag = String.fromCharCode(r.u8());
  switch (tag) {
    case 'B':
      return { tag: 'begin', finalLsn: r.u64(), commitTimeMicros: r.i64(), xid: r.u32() };
    case 'C': {
      r.u8(); // flags, unused
      return { tag: 'commit', commitLsn: r.u64(), endLsn: r.u64(), commitTimeMicros: r.i64() };
    }
    case 'R': {
      const relationId = r.u32();
      const schema = r.cstring();
      const table = r.cstring();
      const replicaIdentity = String.fromCharCode(r.u8());
      const n = r.i16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < n; i++) {
        const flags = r.u8();
        columns.push({
          key: (flags & 1) === 1,
          name: r.cstring(),
          typeOid: r.u32(),
          typeMod: r.i32(),
        });
      }
      return { tag: 'relation', relationId, schema, table, replicaIdentity, columns };
    }
    case 'I': {
      const relationId = r.u32();
      const marker = String.fromCharCode(r.u8());
      if (marker !== 'N') throw new PgOutputError(`pgoutput insert: expected 'N', got '${marker}'`);
      return { tag: 'insert', relationId, newTuple: readTuple(r) };
    }
    case 'U': {
      const relationId = r.u32();
      let marker = String.fromCharCode(r.u8());
      let oldTuple: TupleValue[] | null = null;
      let oldKind: 'key' | 'full' | null = null;
      if (marker === 'K' || marker === 'O') {
        oldKind = marker === 'K' ? 'key' : 'full';
        oldTuple = readTuple(r);
        marker = String.fromCharCode(r.u8());
      }
      if (marker !== 'N') throw new PgOutputError(`pgoutput update: expected 'N', got '${marker}'`);
      return { tag: 'update', relationId, oldTuple, oldKind, newTuple: readTuple(r) };
    }
    case 'D': {
      const relationId = r.u32();
      const marker = String.fromCharCode(r.u8());
      if (marker !== 'K' && marker !== 'O') {
        throw new PgOutputError(`pgoutput delete: expected 'K' or 'O', got '${marker}'`);
      }
      return {
        tag: 'delete',
        relationId,
        oldKind: marker === 'K' ? 'key' : 'full',
        oldTuple: readTuple(r),
      };
    }
    case 'T': {
      const n = r.i32();
      const options = r.u8();
      const relationIds: number[] = [];
      for (let i = 0; i < n; i++) relationIds.push(r.u32());
      return {
        tag: 'truncate',
        relationIds,
        cascade: (options & 1) === 1,
        restartIdentity: (options & 2) === 2,
      };
    }
    case 'Y':
      return { tag: 'type', typeOid: r.u32(), schema: r.cstring(), name: r.cstring() };
    case 'O':
      return { tag: 'origin', lsn: r.u64(), name: r.cstring() };
    case 'M': {
      const transactional = (r.u8() & 1) === 1;
      const lsn = r.u64();
      const prefix = r.cstring();
      const content = r.bytes(r.i32());
      return { tag: 'message', transactional, lsn, prefix, content };
    }
    default:
      throw new PgOutputError(
        `unknown pgoutput message '${tag}' (0x${buf[0]?.toString(16)}); streaming of in-progress transactions (protocol 2+) is not requested, so this should not happen`,
      );
  }
}
