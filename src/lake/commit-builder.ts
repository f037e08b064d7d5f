import { randomUUID } from 'node:crypto';
import type { Action, CommitInfo, MetadataAction, ProtocolAction } from './actions.js';
import { InvalidArgumentError } from './errors.js';
import { fileKey } from './log-replay.js';
import { parseSchema, validateSchema } from './schema.js';
import type { Snapshot } from './snapshot.js';
import { checkWritable } from './table-features.js';
import { isAppendOnly } from './table-properties.js';

/** Recorded as commitInfo.engineInfo in every commit Freshet writes. */
export const ENGINE_INFO = 'Freshet/0.1';

export interface CommitOptions {
  /** Operation name for the table history, e.g. 'WRITE', 'CREATE TABLE', 'MERGE'. */
  operation: string;
  /** Shown in the table history; non-string values are stored JSON-encoded, as Spark does. */
  operationParameters?: Record<string, unknown>;
  /** The snapshot version the transaction read; -1 to create the table. */
  readVersion: number;
  /** Application progress to record atomically with the data (one txn action each). */
  txns?: { appId: string; version: number }[];
  /** Only new data was added, nothing read. Default: derived from the actions. */
  isBlindAppend?: boolean;
  /** Extra commitInfo fields (e.g. operationMetrics); Freshet's own fields take precedence. */
  commitInfo?: Record<string, unknown>;
  /** Paths of files the transaction read: a concurrent removal of one of them conflicts. */
  readPaths?: string[];
  /** The result depends on the whole table: a concurrent non-append change conflicts. */
  readWholeTable?: boolean;
}

/**
 * Checks a transaction before any attempt to commit it: well-formed actions, a table Freshet may
 * write, the table's own rules (partition values, append-only). Throws InvalidArgumentError or
 * UnsupportedFeatureError; nothing here depends on concurrent writers.
 */
export function validateCommit(
  actions: readonly Action[],
  opts: CommitOptions,
  base: Snapshot,
  tablePath: string,
): void {
  if (typeof opts.operation !== 'string' || opts.operation.trim() === '') {
    throw new InvalidArgumentError('A commit needs an operation name (e.g. "WRITE").');
  }
  if (!Number.isInteger(opts.readVersion) || opts.readVersion < -1) {
    throw new InvalidArgumentError(
      `readVersion must be an integer >= -1, got ${opts.readVersion}.`,
    );
  }
  if (opts.readVersion > base.version) {
    throw new InvalidArgumentError(
      `readVersion ${opts.readVersion} is newer than the latest version ${base.version} of '${tablePath}'; ` +
        `pass the version of the snapshot the transaction read.`,
    );
  }

  let protocol: ProtocolAction | undefined;
  let metadata: MetadataAction | undefined;
  for (const a of actions) {
    if ('commitInfo' in a) {
      throw new InvalidArgumentError(
        'Pass commitInfo fields through opts.commitInfo, not as an action.',
      );
    }
    if ('protocol' in a) {
      if (protocol)
        throw new InvalidArgumentError('A commit may hold at most one protocol action.');
      protocol = a.protocol;
    }
    if ('metaData' in a) {
      if (metadata)
        throw new InvalidArgumentError('A commit may hold at most one metaData action.');
      metadata = a.metaData;
    }
  }
  if (opts.readVersion === -1 && (!protocol || !metadata)) {
    throw new InvalidArgumentError(
      `Table '${tablePath}' does not exist yet: its first commit needs protocol and metaData actions (use DeltaTable.create).`,
    );
  }
  if (metadata) validateMetadata(metadata);
  const effectiveProtocol = protocol ?? base.protocol;
  const effectiveMetadata = metadata ?? base.metadata;
  checkWritable(effectiveProtocol, effectiveMetadata, tablePath);

  validateFileActions(actions, effectiveMetadata, tablePath);
  validateTxns(actions, opts);

  // Creating a table counts as a blind append (as in Spark); changing an existing one does not.
  const blindAppendBreakers = actions.filter(
    (a) => 'remove' in a || (opts.readVersion >= 0 && ('metaData' in a || 'protocol' in a)),
  );
  if (opts.isBlindAppend === true && blindAppendBreakers.length > 0) {
    throw new InvalidArgumentError(
      'isBlindAppend is true but the commit removes files or changes the table metadata.',
    );
  }
}

/** Blind append unless told otherwise: only data-adding files, nothing read. */
export function resolveBlindAppend(actions: readonly Action[], opts: CommitOptions): boolean {
  if (opts.isBlindAppend !== undefined) return opts.isBlindAppend;
  if (opts.readWholeTable || (opts.readPaths?.length ?? 0) > 0) return false;
  return actions.every((a) => ('add' in a && a.add.dataChange) || 'txn' in a);
}

/** The txn actions for `opts.txns`, stamped with the time of the commit. */
export function txnActions(opts: CommitOptions, now: number): Action[] {
  return (opts.txns ?? []).map((t) => ({
    txn: { appId: t.appId, version: t.version, lastUpdated: now },
  }));
}

/**
 * The commit file's actions in the order readers expect: commitInfo first (required when
 * in-commit timestamps are on, harmless otherwise), then protocol and metadata, then the rest.
 */
export function commitFileActions(
  actions: readonly Action[],
  opts: CommitOptions,
  isBlindAppend: boolean,
  now: number,
): Action[] {
  const commitInfo: CommitInfo = {
    ...opts.commitInfo,
    timestamp: now,
    operation: opts.operation,
    operationParameters: stringValues(opts.operationParameters ?? {}),
    ...(opts.readVersion >= 0 ? { readVersion: opts.readVersion } : {}),
    isolationLevel: 'WriteSerializable',
    isBlindAppend,
    engineInfo: ENGINE_INFO,
    txnId: randomUUID(),
  };
  const rank = (a: Action): number => ('protocol' in a ? 0 : 'metaData' in a ? 1 : 2);
  const ordered = [...actions].sort((a, b) => rank(a) - rank(b));
  return [{ commitInfo }, ...ordered];
}

/**
 * Spark reads operationParameters as a map of strings (and writes e.g. partitionBy as '["day"]'),
 * so other values are JSON-encoded the same way; null stays null.
 */
function stringValues(params: Record<string, unknown>): Record<string, string | null> {
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) => [
      k,
      v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v),
    ]),
  );
}

function validateMetadata(metadata: MetadataAction): void {
  if (typeof metadata.id !== 'string' || metadata.id === '') {
    throw new InvalidArgumentError('metaData.id must be a non-empty string (a GUID).');
  }
  if (metadata.format?.provider !== 'parquet') {
    throw new InvalidArgumentError('Freshet writes only tables whose format provider is parquet.');
  }
  validateSchema(parseSchema(metadata.schemaString), metadata.partitionColumns);
}

function validateFileActions(
  actions: readonly Action[],
  metadata: MetadataAction,
  tablePath: string,
): void {
  const partitionColumns = metadata.partitionColumns;
  const added = new Set<string>();
  const removed = new Set<string>();
  const appendOnly = isAppendOnly(metadata.configuration);
  for (const a of actions) {
    if ('add' in a) {
      const add = a.add;
      checkPath(add.path);
      if (!Number.isInteger(add.size) || add.size < 0) {
        throw new InvalidArgumentError(
          `add '${add.path}': size must be a byte count, got ${add.size}.`,
        );
      }
      checkPartitionValues(add.path, add.partitionValues, partitionColumns);
      const key = fileKey(add.path, add.deletionVector);
      if (added.has(key))
        throw new InvalidArgumentError(`File '${add.path}' is added twice in one commit.`);
      added.add(key);
    } else if ('remove' in a) {
      const remove = a.remove;
      checkPath(remove.path);
      const key = fileKey(remove.path, remove.deletionVector);
      if (removed.has(key)) {
        throw new InvalidArgumentError(`File '${remove.path}' is removed twice in one commit.`);
      }
      removed.add(key);
      if (appendOnly && remove.dataChange) {
        throw new InvalidArgumentError(
          `Table '${tablePath}' is append-only (delta.appendOnly=true): it cannot remove '${remove.path}'. ` +
            `Only appends and compactions (dataChange=false) are allowed.`,
        );
      }
    }
  }
  for (const key of added) {
    if (removed.has(key)) {
      throw new InvalidArgumentError(
        `File '${key}' is both added and removed in one commit; give the new file a new name.`,
      );
    }
  }
}

function validateTxns(actions: readonly Action[], opts: CommitOptions): void {
  const appIds = new Set<string>();
  const all = [...actions.flatMap((a) => ('txn' in a ? [a.txn] : [])), ...(opts.txns ?? [])];
  for (const t of all) {
    if (typeof t.appId !== 'string' || t.appId === '') {
      throw new InvalidArgumentError('A txn needs a non-empty appId.');
    }
    if (!Number.isSafeInteger(t.version)) {
      throw new InvalidArgumentError(
        `txn '${t.appId}': version must be an integer, got ${t.version}.`,
      );
    }
    if (appIds.has(t.appId)) {
      throw new InvalidArgumentError(`txn appId '${t.appId}' appears twice in one commit.`);
    }
    appIds.add(t.appId);
  }
}

function checkPath(path: string): void {
  if (typeof path !== 'string' || path === '' || path.startsWith('/')) {
    throw new InvalidArgumentError(
      `Invalid file path '${path}': use a path relative to the table root (see DeltaTable.stageDataFile).`,
    );
  }
}

function checkPartitionValues(
  path: string,
  values: Readonly<Record<string, string | null>>,
  partitionColumns: readonly string[],
): void {
  const keys = Object.keys(values ?? {});
  const expected = new Set(partitionColumns);
  const missing = partitionColumns.filter((c) => !(c in (values ?? {})));
  const extra = keys.filter((k) => !expected.has(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new InvalidArgumentError(
      `File '${path}' has partition values for [${keys.join(', ')}] but the table is partitioned by ` +
        `[${partitionColumns.join(', ')}]: every file needs exactly one value (or null) per partition column.`,
    );
  }
}
