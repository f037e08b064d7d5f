/**
 * Every error the lake raises. Callers branch on the class (never on the message) and read the
 * message to a person: each one says what happened and what to do next.
 */

export class LakeError extends Error {
  override name = 'LakeError';
  /** True when doing the same thing again later (on a fresh snapshot) may succeed. */
  readonly retriable: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A caller passed something the lake cannot accept (a bad key, table path or commit). */
export class InvalidArgumentError extends LakeError {
  override name = 'InvalidArgumentError';
}

/** The table folder has no Delta log (no commit and no checkpoint). */
export class TableNotFoundError extends LakeError {
  override name = 'TableNotFoundError';

  constructor(
    readonly tablePath: string,
    storeDescription: string,
  ) {
    super(
      `No Delta table at '${tablePath}' in ${storeDescription}: its _delta_log holds no commit. ` +
        `Check the path, or create the table first (DeltaTable.create).`,
    );
  }
}

/** Time travel asked for a version the log cannot reconstruct (too new, or cleaned up). */
export class VersionNotFoundError extends LakeError {
  override name = 'VersionNotFoundError';

  constructor(
    readonly tablePath: string,
    readonly version: number,
    detail: string,
  ) {
    super(`Version ${version} of table '${tablePath}' cannot be read: ${detail}`);
  }
}

/** A log file exists but cannot be understood, or the log has a hole. */
export class CorruptLogError extends LakeError {
  override name = 'CorruptLogError';

  constructor(
    readonly key: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The Delta log is damaged at '${key}': ${detail}. Restore the file from a backup or ` +
        `rewrite it from the data files; do not write to the table until it reads cleanly.`,
      options,
    );
  }
}

/** The table uses a protocol feature Freshet does not implement (yet). */
export class UnsupportedFeatureError extends LakeError {
  override name = 'UnsupportedFeatureError';

  constructor(
    readonly features: string[],
    readonly access: 'read' | 'write',
    tablePath?: string,
  ) {
    const where = tablePath === undefined ? 'This table' : `Table '${tablePath}'`;
    const list = features.join(', ');
    super(
      `${where} uses Delta feature${features.length > 1 ? 's' : ''} ${list}, which Freshet cannot ` +
        `${access} yet. ${
          access === 'read'
            ? 'Read it with an engine that supports them (Spark, delta-rs), or rewrite it without them.'
            : 'Write it with an engine that supports them, or disable the feature on the table.'
        }`,
    );
  }
}

/** Another writer changed what this commit depends on, or the table stayed too busy to commit. */
export class CommitConflictError extends LakeError {
  override name = 'CommitConflictError';
  override readonly retriable = true;

  constructor(
    readonly tablePath: string,
    readonly readVersion: number,
    detail: string,
  ) {
    super(
      `Commit to '${tablePath}' (read at version ${readVersion}) failed: ${detail}. ` +
        `Take a fresh snapshot and redo the transaction on top of it.`,
    );
  }
}

/** create() found the table already there with another schema or partitioning. */
export class SchemaMismatchError extends LakeError {
  override name = 'SchemaMismatchError';

  constructor(
    readonly tablePath: string,
    detail: string,
  ) {
    super(
      `Table '${tablePath}' already exists with a different definition: ${detail}. ` +
        `Use another table path, or change the table's schema with an explicit metadata commit.`,
    );
  }
}
