/** Errors of the engine part: DuckDB sessions and lake tables moved in and out of DuckDB. */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly options: { cause?: unknown; sql?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'EngineError';
  }
}

/** DuckDB refused a statement; carries the statement so callers can show file and line. */
export class QueryError extends EngineError {
  constructor(message: string, sql: string, cause: unknown) {
    super(message, { cause, sql });
    this.name = 'QueryError';
  }
}
