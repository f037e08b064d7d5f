// Every error the schema registry raises. Each carries the Confluent Schema Registry error code
// it corresponds to, so the REST API (issue 5) can answer exactly as Confluent does, and a
// `retriable` flag: retriable errors may succeed on a later attempt, the others need a change.

export interface RegistryErrorOptions {
  retriable?: boolean;
  cause?: unknown;
}

export class RegistryError extends Error {
  readonly retriable: boolean;

  constructor(
    message: string,
    /** Confluent's error code (e.g. 42201), also the REST API's `error_code`. */
    readonly errorCode: number,
    opts: RegistryErrorOptions = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.retriable = opts.retriable ?? false;
  }
}

/** The schema is not valid for its type (Confluent 42201). Fix the schema and register again. */
export class InvalidSchemaError extends RegistryError {
  static readonly ERROR_CODE = 42201;

  constructor(
    readonly subject: string,
    reason: string,
    cause?: unknown,
  ) {
    super(
      `Invalid schema for subject ${JSON.stringify(subject)}: ${reason}. ` +
        'Fix the schema and register it again.',
      InvalidSchemaError.ERROR_CODE,
      { cause },
    );
  }
}

/** A subject name the registry cannot accept (Confluent 42208). */
export class InvalidSubjectError extends RegistryError {
  static readonly ERROR_CODE = 42208;

  constructor(readonly subject: string) {
    super(
      `Subject ${JSON.stringify(subject)} is not valid: use a non-empty name without control ` +
        'characters, such as "<topic>-value" (see subjectForTopic).',
      InvalidSubjectError.ERROR_CODE,
    );
  }
}

/**
 * Reading or writing the registry's file failed (Confluent 50001). Retriable when writing
 * failed (the registry is unchanged; try again once the disk is writable); not when the file
 * on disk cannot be understood (restore it from a backup).
 */
export class RegistryStoreError extends RegistryError {
  static readonly ERROR_CODE = 50001;

  constructor(
    readonly path: string,
    what: string,
    opts: RegistryErrorOptions,
  ) {
    super(
      `${what} ${path} failed` +
        (opts.cause instanceof Error ? ` (${opts.cause.message})` : '') +
        (opts.retriable
          ? '; nothing was changed, so the call can be retried.'
          : '; restore the file from a backup, or move it away to start an empty registry.'),
      RegistryStoreError.ERROR_CODE,
      opts,
    );
  }
}
