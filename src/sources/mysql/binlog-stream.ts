// One binlog-dump connection, through @vlasky/zongji: a pure-JavaScript binlog client on mysql2
// (MIT, maintained, no native or downloaded binaries) that decodes row events for MySQL and
// MariaDB, including MariaDB's GTID events. Chosen over writing the binlog protocol here: row
// images need a decoder for every column type, which zongji already has and tests. What zongji
// lacks (durable positions, reconnects, flow control tied to the log) lives in the source.
//
// `done` settles when the connection ends: resolved after close(), rejected when the server went
// away or refused the dump; the source then reconnects from its confirmed position.

import ZongJi, { type AnyBinlogEvent } from '@vlasky/zongji';
import type { ConnectionOptions } from 'mysql2';
import type { BinlogPosition } from './envelope.js';

const EVENTS = [
  'rotate',
  'mariadbgtid',
  'gtid',
  'query',
  'xid',
  'tablemap',
  'writerows',
  'updaterows',
  'deleterows',
  'heartbeat',
];

export class BinlogStream {
  readonly done: Promise<void>;
  private readonly zongji: ZongJi;
  private closed = false;
  private settle!: (err?: unknown) => void;

  constructor(
    connection: ConnectionOptions,
    from: BinlogPosition,
    replicaServerId: number,
    tables: Record<string, string[]>,
    onEvent: (e: AnyBinlogEvent) => void,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      let settled = false;
      this.settle = (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err && !this.closed) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve();
      };
    });
    this.zongji = new ZongJi({ ...connection, dateStrings: true, timezone: 'Z' });
    this.zongji.on('binlog', onEvent);
    this.zongji.on('error', (err) => {
      this.settle(err);
      this.close();
    });
    this.zongji.on('ready', () => {
      // A server shutdown may end the dump connection without an error.
      this.zongji.connection?.once('end', () =>
        this.settle(new Error('the server ended the binlog connection')),
      );
    });
    this.zongji.start({
      serverId: replicaServerId,
      filename: from.file,
      position: from.pos,
      includeEvents: EVENTS,
      includeSchema: tables,
    });
  }

  pause(): void {
    this.zongji.connection?.pause();
  }

  resume(): void {
    this.zongji.connection?.resume();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.zongji.stop();
    } catch {
      // already stopped
    }
    this.settle();
  }
}
