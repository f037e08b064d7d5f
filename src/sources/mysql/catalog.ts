// What the source asks the server before capturing: whether the binlog is usable for CDC (a clear
// error naming the setting to change when not), what the captured tables look like, and where the
// binlog ends now.

import type { Connection, RowDataPacket } from 'mysql2/promise';
import { column, type MysqlTable } from './table-model.js';
import type { BinlogPosition } from './envelope.js';

export class MysqlSetupError extends Error {
  override name = 'MysqlSetupError';
}

export interface ServerInfo {
  version: string;
  mariadb: boolean;
  serverId: number;
}

/** Checks log_bin=ON, binlog_format=ROW and binlog_row_image=FULL; says which setting to change. */
export async function checkServer(sql: Connection): Promise<ServerInfo> {
  const [rows] = await sql.query<RowDataPacket[]>(
    'SELECT @@GLOBAL.log_bin AS log_bin, @@GLOBAL.binlog_format AS format, @@GLOBAL.binlog_row_image AS image, @@GLOBAL.server_id AS server_id, VERSION() AS version',
  );
  const r = rows[0]!;
  const problems: string[] = [];
  if (Number(r.log_bin) !== 1 && String(r.log_bin).toUpperCase() !== 'ON') {
    problems.push('binary logging is off: start the server with log_bin (e.g. --log-bin=binlog)');
  }
  if (String(r.format).toUpperCase() !== 'ROW') {
    problems.push(
      `binlog_format is ${String(r.format)}: set binlog_format=ROW (SET GLOBAL binlog_format='ROW' and in the server's configuration)`,
    );
  }
  if (String(r.image).toUpperCase() !== 'FULL') {
    problems.push(
      `binlog_row_image is ${String(r.image)}: set binlog_row_image=FULL, so updates and deletes carry the whole old row`,
    );
  }
  if (problems.length > 0) {
    throw new MysqlSetupError(`the server cannot be captured: ${problems.join('; ')}`);
  }
  const version = String(r.version);
  return { version, mariadb: /mariadb/i.test(version), serverId: Number(r.server_id) };
}

/** A captured table from information_schema; it needs a primary key (the event key). */
export async function describeTable(sql: Connection, name: string): Promise<MysqlTable> {
  const dot = name.indexOf('.');
  if (dot < 0) throw new MysqlSetupError(`table "${name}": name it as "<database>.<table>"`);
  const db = name.slice(0, dot);
  const table = name.slice(dot + 1);
  const [cols] = await sql.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
       ORDER BY ORDINAL_POSITION`,
    [db, table],
  );
  if (cols.length === 0) throw new MysqlSetupError(`table ${name} does not exist`);
  const [keys] = await sql.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS name FROM information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY'
      ORDER BY ORDINAL_POSITION`,
    [db, table],
  );
  const primaryKey = keys.map((k) => String(k.name));
  if (primaryKey.length === 0) {
    throw new MysqlSetupError(`table ${name} has no primary key; the source keys events by it`);
  }
  return {
    schema: db,
    table,
    primaryKey,
    columns: cols.map((c) =>
      column(
        String(c.name),
        String(c.dataType),
        String(c.columnType),
        primaryKey.includes(String(c.name)),
      ),
    ),
  };
}

/** Where the binlog ends now, and the server's GTID position (MariaDB) if it has one. */
export async function binlogHead(
  sql: Connection,
): Promise<{ position: BinlogPosition; gtid: string | null }> {
  const [rows] = await sql.query<RowDataPacket[]>('SHOW MASTER STATUS');
  const r = rows[0];
  if (!r) throw new MysqlSetupError('SHOW MASTER STATUS returned nothing: binary logging is off');
  let gtid: string | null = null;
  try {
    const [g] = await sql.query<RowDataPacket[]>('SELECT @@GLOBAL.gtid_binlog_pos AS gtid');
    gtid = g[0]?.gtid ? String(g[0].gtid) : null;
  } catch {
    gtid = r.Executed_Gtid_Set ? String(r.Executed_Gtid_Set) : null; // MySQL
  }
  return { position: { file: String(r.File), pos: Number(r.Position) }, gtid };
}

export function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}
