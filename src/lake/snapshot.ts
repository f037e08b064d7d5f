import type {
  AddFile,
  DomainMetadataAction,
  MetadataAction,
  ProtocolAction,
  RemoveFile,
  TxnAction,
} from './actions.js';
import { ReplayState } from './log-replay.js';
import { parseSchema, serializeSchema, type StructType } from './schema.js';
import { CorruptLogError, InvalidArgumentError } from './errors.js';

/** The state of a table at one version. Immutable: a newer version is a new Snapshot. */
export interface Snapshot {
  /** -1 for a table with no commits. */
  readonly version: number;
  readonly schema: StructType;
  readonly partitionColumns: string[];
  /** The metaData action in force. */
  readonly metadata: MetadataAction;
  readonly protocol: ProtocolAction;
  /** Active files after log replay, in commit order. */
  readonly files: AddFile[];
  /** Commit time of `version` in ms since the epoch (0 for the empty snapshot). */
  readonly timestamp: number;
  /** Remove tombstones not yet vacuumed (all of them; checkpoints drop the expired ones). */
  readonly tombstones: RemoveFile[];
  /** Latest txn version recorded for appId (exactly-once writers resume after it). */
  txnVersion(appId: string): number | undefined;
  /** All txn actions, keyed by appId. */
  txns(): ReadonlyMap<string, TxnAction>;
  /** The configuration string of a live metadata domain. */
  domainMetadata(domain: string): string | undefined;
  /** All live metadata domains. */
  domains(): DomainMetadataAction[];
  /** The commitInfo of the commit at `version`, if it has one. */
  commitInfo(): Record<string, unknown> | undefined;
}

/** A snapshot backed by a finished ReplayState. */
export class TableSnapshot implements Snapshot {
  readonly schema: StructType;
  private filesCache: AddFile[] | undefined;

  constructor(
    readonly state: ReplayState,
    readonly timestamp: number,
    readonly logKey: string,
    previous?: TableSnapshot,
  ) {
    if (!state.protocol || !state.metadata) {
      throw new CorruptLogError(
        logKey,
        `version ${state.version} has no ${state.protocol ? 'metaData' : 'protocol'} action in its history`,
      );
    }
    // Schemas change rarely; reuse the previous parse when the schemaString is the same object.
    this.schema =
      previous && previous.state.metadata?.schemaString === state.metadata.schemaString
        ? previous.schema
        : parseLoggedSchema(state.metadata.schemaString, logKey);
  }

  get version(): number {
    return this.state.version;
  }

  get metadata(): MetadataAction {
    return this.state.metadata!;
  }

  get protocol(): ProtocolAction {
    return this.state.protocol!;
  }

  get partitionColumns(): string[] {
    return this.metadata.partitionColumns;
  }

  get files(): AddFile[] {
    this.filesCache ??= Object.freeze(this.state.files.valuesArray()) as AddFile[];
    return this.filesCache;
  }

  get tombstones(): RemoveFile[] {
    return this.state.tombstones.valuesArray();
  }

  txnVersion(appId: string): number | undefined {
    return this.state.txns.get(appId)?.version;
  }

  txns(): ReadonlyMap<string, TxnAction> {
    return this.state.txns;
  }

  domainMetadata(domain: string): string | undefined {
    return this.state.domains.get(domain)?.configuration;
  }

  domains(): DomainMetadataAction[] {
    return [...this.state.domains.values()];
  }

  commitInfo(): Record<string, unknown> | undefined {
    return this.state.commitInfo;
  }
}

/**
 * The snapshot of a table that has no commit yet (version -1): no files, no columns. It lets a
 * writer treat "not created" like any other version: commit with readVersion -1 creates version 0.
 */
export class EmptySnapshot implements Snapshot {
  readonly version = -1;
  readonly schema: StructType = { type: 'struct', fields: [] };
  readonly partitionColumns: string[] = [];
  readonly metadata: MetadataAction = {
    id: '',
    format: { provider: 'parquet', options: {} },
    schemaString: serializeSchema({ type: 'struct', fields: [] }),
    partitionColumns: [],
    configuration: {},
  };
  readonly protocol: ProtocolAction = { minReaderVersion: 1, minWriterVersion: 2 };
  readonly files: AddFile[] = [];
  readonly tombstones: RemoveFile[] = [];
  readonly timestamp = 0;

  txnVersion(): number | undefined {
    return undefined;
  }

  txns(): ReadonlyMap<string, TxnAction> {
    return new Map();
  }

  domainMetadata(): string | undefined {
    return undefined;
  }

  domains(): DomainMetadataAction[] {
    return [];
  }

  commitInfo(): Record<string, unknown> | undefined {
    return undefined;
  }
}

function parseLoggedSchema(schemaString: string, logKey: string): StructType {
  try {
    return parseSchema(schemaString);
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      throw new CorruptLogError(logKey, `the table schema is invalid: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
}
