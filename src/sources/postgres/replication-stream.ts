// The streaming half of logical replication on a `pg` replication connection (replication:
// 'database'): START_REPLICATION, the CopyBoth frames (XLogData 'w', primary keepalive 'k') and the
// standby status update 'r' that confirms a flush position.
//
// Why not a replication library: the one maintained option for pgoutput on npm confirms the last
// *received* position on a timer (not the last durable one), keeps LSNs as rounded strings and
// paces the stream on its own; a CDC source must confirm only what the log has made durable, so
// this ~100-line layer on `pg` keeps that decision here.

import pg from 'pg';
import { formatLsn, type Lsn } from './lsn.js';

/** Microseconds between the Unix epoch and PostgreSQL's epoch (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000n;

export interface StreamHandlers {
  /** One decoded change stream payload; `walStart` is the LSN of the WAL record it comes from. */
  onData(walStart: Lsn, walEnd: Lsn, payload: Buffer): void;
  /** The server's keepalive: everything up to `walEnd` has been sent. */
  onKeepalive(walEnd: Lsn, replyRequested: boolean): void;
}

/** Opens a replication connection (the caller sets host, port, user, database…). */
export async function connectReplication(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client({ ...config, replication: 'database' } as pg.ClientConfig);
  await client.connect();
  return client;
}

interface InternalConnection {
  on(event: 'copyData', fn: (msg: { chunk: Buffer }) => void): void;
  removeAllListeners(event: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  stream: NodeJS.ReadableStream & { pause(): void; resume(): void };
}

/**
 * One running START_REPLICATION. `done` settles when the server ends the stream or the
 * connection fails; `pause`/`resume` apply back-pressure on the socket so a slow log cannot make
 * the source buffer the whole WAL in memory.
 */
export class ReplicationStream {
  readonly done: Promise<void>;
  private readonly conn: InternalConnection;

  constructor(
    private readonly client: pg.Client,
    slot: string,
    startLsn: Lsn,
    publication: string,
    handlers: StreamHandlers,
  ) {
    this.conn = (client as unknown as { connection: InternalConnection }).connection;
    this.conn.on('copyData', ({ chunk }) => {
      const type = chunk[0];
      if (type === 0x77) {
        handlers.onData(chunk.readBigUInt64BE(1), chunk.readBigUInt64BE(9), chunk.subarray(25));
      } else if (type === 0x6b) {
        handlers.onKeepalive(chunk.readBigUInt64BE(1), chunk[17] === 1);
      }
    });
    const sql =
      `START_REPLICATION SLOT ${quoteIdent(slot)} LOGICAL ${formatLsn(startLsn)} ` +
      `(proto_version '1', publication_names ${quoteLiteral(publication)})`;
    this.done = client.query(sql).then(() => undefined);
    // An unhandled rejection is reported through `done`; this keeps Node from crashing first.
    this.done.catch(() => undefined);
  }

  /** Tells the server everything up to `flushed` is durable: it may recycle WAL before it. */
  sendStatus(flushed: Lsn, replyRequested = false): void {
    const msg = Buffer.alloc(34);
    msg[0] = 0x72; // 'r'
    msg.writeBigUInt64BE(flushed, 1); // written
    msg.writeBigUInt64BE(flushed, 9); // flushed
    msg.writeBigUInt64BE(flushed, 17); // applied
    msg.writeBigInt64BE((BigInt(Date.now()) - PG_EPOCH_MS) * 1000n, 25);
    msg[33] = replyRequested ? 1 : 0;
    this.conn.sendCopyFromChunk(msg);
  }

  pause(): void {
    this.conn.stream.pause();
  }

  resume(): void {
    this.conn.stream.resume();
  }

  /** Ends the connection; `done` settles (possibly with a "terminated" error, which is expected). */
  async close(): Promise<void> {
    this.conn.removeAllListeners('copyData');
    this.conn.stream.resume(); // a paused socket would never see the end that `end()` waits for
    await this.client.end().catch(() => undefined);
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
