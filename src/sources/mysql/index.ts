// MySQL / MariaDB change data capture (row-based binlog, Debezium envelope).
export { MysqlCdcSource, MYSQL_QUARANTINE_TOPIC, MysqlSetupError } from './mysql-cdc-source.js';
export type {
  MysqlCdcSourceOptions,
  MysqlCdcStatus,
  MysqlConnectionOptions,
} from './mysql-cdc-source.js';
export type { MysqlChangeEvent, BinlogPosition } from './envelope.js';
export { ValueConversionError as MysqlValueConversionError } from './values.js';
