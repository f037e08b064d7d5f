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

/** No live version of the subject exists (Confluent 40401). */
export class SubjectNotFoundError extends RegistryError {
  static readonly ERROR_CODE = 40401;

  constructor(readonly subject: string) {
    super(`Subject '${subject}' not found.`, SubjectNotFoundError.ERROR_CODE);
  }
}

/** The subject has no such version, or it was soft-deleted (Confluent 40402). */
export class VersionNotFoundError extends RegistryError {
  static readonly ERROR_CODE = 40402;

  constructor(
    readonly subject: string,
    readonly version: number | 'latest',
  ) {
    super(`Version ${version} not found.`, VersionNotFoundError.ERROR_CODE);
  }
}

/** No schema has this id, or the schema is not registered under the subject (Confluent 40403). */
export class SchemaNotFoundError extends RegistryError {
  static readonly ERROR_CODE = 40403;

  constructor(detail: string) {
    super(detail, SchemaNotFoundError.ERROR_CODE);
  }
}

/** A soft delete of a subject that is already soft-deleted (Confluent 40404). */
export class SubjectSoftDeletedError extends RegistryError {
  static readonly ERROR_CODE = 40404;

  constructor(readonly subject: string) {
    super(
      `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`,
      SubjectSoftDeletedError.ERROR_CODE,
    );
  }
}

/** A permanent delete of a subject that was not soft-deleted first (Confluent 40405). */
export class SubjectNotSoftDeletedError extends RegistryError {
  static readonly ERROR_CODE = 40405;

  constructor(readonly subject: string) {
    super(
      `Subject '${subject}' was not deleted first before being permanently deleted`,
      SubjectNotSoftDeletedError.ERROR_CODE,
    );
  }
}

/** A soft delete of a version that is already soft-deleted (Confluent 40406). */
export class VersionSoftDeletedError extends RegistryError {
  static readonly ERROR_CODE = 40406;

  constructor(
    readonly subject: string,
    readonly version: number,
  ) {
    super(
      `Subject '${subject}' Version ${version} was soft deleted. Set permanent=true to delete permanently`,
      VersionSoftDeletedError.ERROR_CODE,
    );
  }
}

/** A permanent delete of a version that was not soft-deleted first (Confluent 40407). */
export class VersionNotSoftDeletedError extends RegistryError {
  static readonly ERROR_CODE = 40407;

  constructor(
    readonly subject: string,
    readonly version: number,
  ) {
    super(
      `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`,
      VersionNotSoftDeletedError.ERROR_CODE,
    );
  }
}

/** The subject has no compatibility level of its own (Confluent 40408). */
export class SubjectConfigNotFoundError extends RegistryError {
  static readonly ERROR_CODE = 40408;

  constructor(readonly subject: string) {
    super(
      `Subject '${subject}' does not have subject-level compatibility configured`,
      SubjectConfigNotFoundError.ERROR_CODE,
    );
  }
}

/**
 * The schema breaks the subject's compatibility level (Confluent's HTTP 409, error code 409).
 * `messages` are Confluent-style details, one per incompatibility.
 */
export class IncompatibleSchemaError extends RegistryError {
  static readonly ERROR_CODE = 409;

  constructor(
    readonly subject: string,
    readonly messages: string[],
  ) {
    super(
      `Schema being registered is incompatible with an earlier schema for subject "${subject}", ` +
        `details: [${messages.join(', ')}]`,
      IncompatibleSchemaError.ERROR_CODE,
    );
  }
}

/** A version that is neither a positive 32-bit integer nor "latest" (Confluent 42202). */
export class InvalidVersionError extends RegistryError {
  static readonly ERROR_CODE = 42202;

  constructor(readonly version: string) {
    super(
      `The specified version '${version}' is not a valid version id. Allowed values are ` +
        'between [1, 2^31-1] and the string "latest"',
      InvalidVersionError.ERROR_CODE,
    );
  }
}

/** An unknown compatibility level (Confluent 42203). */
export class InvalidCompatibilityLevelError extends RegistryError {
  static readonly ERROR_CODE = 42203;

  constructor(readonly level: unknown) {
    super(
      `Invalid compatibility level ${JSON.stringify(level)}. Valid values are none, backward, ` +
        'forward, full, backward_transitive, forward_transitive, and full_transitive',
      InvalidCompatibilityLevelError.ERROR_CODE,
    );
  }
}
