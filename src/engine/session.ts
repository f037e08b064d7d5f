import {
  DuckDBConnection,
  DuckDBInstance,
  StatementType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { EngineError, QueryError } from './errors.js';
import { toJsonValue, type JsonValue } from './values.js';

export type Row = Record<string, JsonValue>;

export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: Row[];
}

/** Quotes an identifier for DuckDB (schema, table or column name). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal for DuckDB. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export interface SessionOptions {
  /** DuckDB worker threads; default: DuckDB's own choice (the number of cores). */
  threads?: number;
  /** Memory limit such as '4GB'; default: DuckDB's (80% of RAM). */
  memoryLimit?: string;
  /**
   * A database file (as dbt-duckdb's `path`), for `freshet models` run outside the platform.
   * The platform itself always uses memory (invariant 1).
   */
  path?: string;
}

/**
 * One in-memory DuckDB database. Freshet keeps no durable state in DuckDB (invariant 1: the lake
 * is the source of truth), so the database lives in memory and is rebuilt from the lake on start.
 * Several connections share it: the model runner writes on one, the API reads on others, and
 * DuckDB's MVCC gives readers the last committed state while a run is in progress.
 */
export class Session {
  private constructor(
    readonly instance: DuckDBInstance,
    readonly connection: Connection,
  ) {}

  static async open(opts: SessionOptions = {}): Promise<Session> {
    const config: Record<string, string> = {};
    if (opts.threads) config.threads = String(opts.threads);
    if (opts.memoryLimit) config.memory_limit = opts.memoryLimit;
    const instance = await DuckDBInstance.create(opts.path ?? ':memory:', config);
    const conn = await Connection.open(instance);
    // Parquet footers are read again and again by the 1 s model loop; caching them avoids re-reading
    // every file's metadata on every run.
    await conn.run('SET parquet_metadata_cache = true');
    return new Session(instance, conn);
  }

  /** A new connection to the same database (for a reader that must not wait on the writer). */
  connect(): Promise<Connection> {
    return Connection.open(this.instance);
  }

  close(): void {
    this.connection.close();
    this.instance.closeSync();
  }
}

/** A DuckDB connection with Freshet's conventions: errors carry the SQL, results are plain JSON. */
export class Connection {
  /**
   * Milliseconds spent inside DuckDB by this connection's statements, so that callers (the model
   * runner, benchmarks) can tell their own overhead from the database's work.
   */
  execMs = 0;

  private constructor(readonly raw: DuckDBConnection) {}

  static async open(instance: DuckDBInstance): Promise<Connection> {
    const raw = await instance.connect();
    await raw.run("SET TimeZone = 'UTC'");
    return new Connection(raw);
  }

  /** Runs a statement; returns the rows it inserted, updated or deleted (0 for others). */
  async run(sql: string, params?: DuckDBValue[]): Promise<number> {
    const started = performance.now();
    try {
      const result = await this.raw.run(sql, params);
      return result.rowsChanged;
    } catch (err) {
      throw new QueryError(errorMessage(err), sql, err);
    } finally {
      this.execMs += performance.now() - started;
    }
  }

  async query(sql: string, params?: DuckDBValue[]): Promise<QueryResult> {
    const started = performance.now();
    try {
      const reader = await this.raw.runAndReadAll(sql, params);
      this.execMs += performance.now() - started;
      const names = reader.columnNames();
      const types = reader.columnTypes().map((t) => t.toString());
      const out: Row[] = [];
      for (const values of reader.getRows()) {
        const row: Row = {};
        for (let i = 0; i < names.length; i++)
          row[names[i]!] = toJsonValue(values[i] as DuckDBValue);
        out.push(row);
      }
      return { columns: names.map((name, i) => ({ name, type: types[i]! })), rows: out };
    } catch (err) {
      this.execMs += performance.now() - started;
      throw new QueryError(errorMessage(err), sql, err);
    }
  }

  /**
   * Runs one query that only reads (SELECT, EXPLAIN, or a CTE ending in SELECT). Anything that
   * would change a table, a setting or a file is refused before it runs.
   */
  async readOnlyQuery(sql: string): Promise<QueryResult> {
    let count: number;
    try {
      count = (await this.raw.extractStatements(sql)).count;
    } catch (err) {
      throw new QueryError(errorMessage(err), sql, err);
    }
    if (count !== 1) throw new EngineError(`expected exactly one SQL statement, got ${count}`);
    let type: StatementType;
    try {
      const prepared = await this.raw.prepare(sql);
      type = prepared.statementType;
      prepared.destroySync();
    } catch (err) {
      throw new QueryError(errorMessage(err), sql, err);
    }
    if (type !== StatementType.SELECT && type !== StatementType.EXPLAIN) {
      throw new EngineError(
        'only read-only queries (SELECT, WITH … SELECT, EXPLAIN) are allowed here',
      );
    }
    return this.query(sql);
  }

  async rows(sql: string, params?: DuckDBValue[]): Promise<Row[]> {
    return (await this.query(sql, params)).rows;
  }

  /** Runs `fn` in one transaction: everything it does commits together or not at all. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.run('BEGIN TRANSACTION');
    try {
      const result = await fn();
      await this.run('COMMIT');
      return result;
    } catch (err) {
      await this.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  close(): void {
    this.raw.closeSync();
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
