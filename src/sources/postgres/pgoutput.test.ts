import { describe, expect, it } from 'vitest';
import { formatLsn, LsnFormatError, parseLsn } from './lsn.js';
import { decodePgOutput, PgOutputError, pgTimeToMillis } from './pgoutput.js';

/** Builds pgoutput messages byte by byte, as the server sends them. */
class W {
  private parts: Buffer[] = [];
  ch(c: string): this {
    this.parts.push(Buffer.from(c, 'latin1'));
    return this;
  }
  u8(n: number): this {
    this.parts.push(Buffer.from([n]));
    return this;
  }
  i16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.parts.push(b);
    return this;
  }
  i32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.parts.push(b);
    return this;
  }
  u64(n: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(n);
    this.parts.push(b);
    return this;
  }
  str(s: string): this {
    this.parts.push(Buffer.from(s), Buffer.from([0]));
    return this;
  }
  text(s: string): this {
    const b = Buffer.from(s);
    return this.ch('t').i32(b.length).raw(b);
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  get buf(): Buffer {
    return Buffer.concat(this.parts);
  }
}

describe('LSN', () => {
  it('round-trips X/Y text and 64-bit values', () => {
    expect(parseLsn('16/B374D848')).toBe(0x16b374d848n);
    expect(formatLsn(0x16b374d848n)).toBe('16/B374D848');
    expect(formatLsn(parseLsn('FFFFFFFF/FFFFFFFF'))).toBe('FFFFFFFF/FFFFFFFF');
    expect(() => parseLsn('16-B3')).toThrow(LsnFormatError);
  });
});

describe('pgoutput decoder', () => {
  it('decodes begin and commit with LSNs and timestamps', () => {
    const begin = decodePgOutput(new W().ch('B').u64(0x1000n).u64(1_000_000n).i32(742).buf);
    expect(begin).toEqual({
      tag: 'begin',
      finalLsn: 0x1000n,
      commitTimeMicros: 1_000_000n,
      xid: 742,
    });
    const commit = decodePgOutput(new W().ch('C').u8(0).u64(0x1000n).u64(0x1028n).u64(5n).buf);
    expect(commit).toEqual({
      tag: 'commit',
      commitLsn: 0x1000n,
      endLsn: 0x1028n,
      commitTimeMicros: 5n,
    });
    // 2000-01-01 + 1 s
    expect(pgTimeToMillis(1_000_000n)).toBe(946_684_801_000);
  });

  it('decodes a relation with key flags, types and type modifiers', () => {
    const buf = new W()
      .ch('R')
      .i32(16385)
      .str('public')
      .str('orders')
      .ch('d')
      .i16(2)
      .u8(1)
      .str('id')
      .i32(23)
      .i32(-1)
      .u8(0)
      .str('sku')
      .i32(1043)
      .i32(24).buf;
    expect(decodePgOutput(buf)).toEqual({
      tag: 'relation',
      relationId: 16385,
      schema: 'public',
      table: 'orders',
      replicaIdentity: 'd',
      columns: [
        { key: true, name: 'id', typeOid: 23, typeMod: -1 },
        { key: false, name: 'sku', typeOid: 1043, typeMod: 24 },
      ],
    });
  });

  it('decodes insert, update with old key or full row, delete, and the unchanged-TOAST marker', () => {
    const tuple = (w: W) => w.i16(3).text('1').ch('n').ch('u');
    const values = [{ kind: 'text', text: '1' }, { kind: 'null' }, { kind: 'unchanged' }];
    expect(decodePgOutput(tuple(new W().ch('I').i32(7).ch('N')).buf)).toEqual({
      tag: 'insert',
      relationId: 7,
      newTuple: values,
    });
    expect(decodePgOutput(tuple(new W().ch('U').i32(7).ch('N')).buf)).toMatchObject({
      tag: 'update',
      oldTuple: null,
      oldKind: null,
      newTuple: values,
    });
    expect(decodePgOutput(tuple(tuple(new W().ch('U').i32(7).ch('O')).ch('N')).buf)).toMatchObject({
      tag: 'update',
      oldKind: 'full',
      oldTuple: values,
    });
    expect(decodePgOutput(tuple(new W().ch('D').i32(7).ch('K')).buf)).toEqual({
      tag: 'delete',
      relationId: 7,
      oldKind: 'key',
      oldTuple: values,
    });
  });

  it('decodes multi-byte text by its byte length', () => {
    const msg = decodePgOutput(new W().ch('I').i32(1).ch('N').i16(1).text('₹ 500 — चाय').buf);
    expect(msg).toMatchObject({ newTuple: [{ kind: 'text', text: '₹ 500 — चाय' }] });
  });

  it('decodes truncate options, logical messages and types', () => {
    expect(decodePgOutput(new W().ch('T').i32(2).u8(3).i32(7).i32(8).buf)).toEqual({
      tag: 'truncate',
      relationIds: [7, 8],
      cascade: true,
      restartIdentity: true,
    });
    const m = decodePgOutput(
      new W().ch('M').u8(0).u64(9n).str('freshet.heartbeat').i32(2).raw(Buffer.from('hi')).buf,
    );
    expect(m).toMatchObject({ tag: 'message', transactional: false, prefix: 'freshet.heartbeat' });
    expect(decodePgOutput(new W().ch('Y').i32(99).str('public').str('mood').buf)).toEqual({
      tag: 'type',
      typeOid: 99,
      schema: 'public',
      name: 'mood',
    });
  });

  it('refuses truncated, unknown and binary-format messages with a clear error', () => {
    expect(() => decodePgOutput(new W().ch('B').u64(1n).buf)).toThrow(/ended early/);
    expect(() => decodePgOutput(new W().ch('S').buf)).toThrow(PgOutputError);
    expect(() => decodePgOutput(new W().ch('I').i32(1).ch('N').i16(1).ch('b').buf)).toThrow(
      /binary/,
    );
    expect(() => decodePgOutput(new W().ch('R').i32(1).raw(Buffer.from('pub')).buf)).toThrow(
      /terminating zero/,
    );
  });
});
