// Every error the log raises. Callers decide by class and by `retriable`, never by message text:
// a retriable error may succeed if the same call is made again later (after a backoff); a
// non-retriable one needs a change first (a different argument, a restart, an operator).

export interface LogErrorOptions {
  retriable?: boolean;
  cause?: unknown;
}

export class LogError extends Error {
  readonly retriable: boolean;

  constructor(message: string, opts: LogErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.retriable = opts.retriable ?? false;
  }
}

/** A topic name or partition count that the log cannot accept. */
export class InvalidTopicError extends LogError {
  constructor(
    readonly topic: string,
    reason: string,
  ) {
    super(`Invalid topic ${JSON.stringify(topic)}: ${reason}`);
  }
}

export class UnknownTopicError extends LogError {
  constructor(readonly topic: string) {
    super(`Topic ${JSON.stringify(topic)} does not exist; create it with createTopic() first.`);
  }
}

export class UnknownPartitionError extends LogError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly partitions: number,
  ) {
    super(
      `Topic ${JSON.stringify(topic)} has no partition ${partition}; ` +
        `it has ${partitions} (0..${partitions - 1}).`,
    );
  }
}

/**
 * A read asked for an offset the partition does not hold: before its start (deleted by
 * retention) or past its end. The consumer should reset to `startOffset` or `endOffset`.
 */
export class OffsetOutOfRangeError extends LogError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly startOffset: number,
    readonly endOffset: number,
  ) {
    super(
      `Offset ${offset} is out of range for ${topic}/${partition}, which holds ` +
        `[${startOffset}, ${endOffset}); ` +
        (offset < startOffset
          ? 'older records were deleted by retention, so resume from startOffset.'
          : 'resume from endOffset.'),
    );
  }
}

/** A record that is malformed (wrong types) — the caller must fix it; retrying will not help. */
export class InvalidRecordError extends LogError {
  constructor(
    readonly topic: string,
    reason: string,
  ) {
    super(`Invalid record for topic ${JSON.stringify(topic)}: ${reason}`);
  }
}

export class RecordTooLargeError extends LogError {
  constructor(
    readonly topic: string,
    readonly size: number,
    readonly maxRecordBytes: number,
  ) {
    super(
      `Record for topic ${JSON.stringify(topic)} is ${size} bytes as stored, over the limit of ` +
        `${maxRecordBytes} bytes (maxRecordBytes). Split it, store the payload elsewhere and ` +
        `send a reference, or raise maxRecordBytes.`,
    );
  }
}

/** Another live process holds the log directory. */
export class LogLockedError extends LogError {
  constructor(
    readonly dir: string,
    readonly holder: string,
    readonly lockFile: string,
  ) {
    super(
      `Another Freshet process is using ${dir} (${holder}). Stop it, or open a different ` +
        `directory. If you are sure no process uses it, delete ${lockFile}.`,
    );
  }
}

export class LogClosedError extends LogError {
  constructor() {
    super('The log is closed; open it again with EmbeddedLog.open().');
  }
}

/**
 * Data on disk that is not what the log wrote and is not a torn tail it can safely cut off
 * (that is repaired silently on open). Restore the directory from a backup or replay the
 * topic from its sources.
 */
export class LogCorruptionError extends LogError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(
      `Log data in ${path} is corrupt: ${reason}. Restore it from a backup, or delete the ` +
        `topic directory and replay the topic from its sources.`,
    );
  }
}

/**
 * Writing or syncing to disk failed. When `retriable`, the partition is consistent and the
 * same append may be tried again (for example after freeing disk space). When not, the
 * partition refuses further writes because the state of the file is unknown (a failed fsync
 * may have dropped data the kernel had accepted): close the log and open it again, which
 * recovers the partition from what is really on disk.
 */
export class LogStorageError extends LogError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    what: string,
    opts: LogErrorOptions,
  ) {
    super(
      `${what} failed for ${topic}/${partition}` +
        (opts.cause instanceof Error ? ` (${opts.cause.message})` : '') +
        (opts.retriable
          ? '; the partition is intact, so the append can be retried.'
          : '; the partition refuses writes until the log is closed and opened again.'),
      opts,
    );
  }
}
