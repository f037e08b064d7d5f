import type {
  Action,
  AddFile,
  CommitInfo,
  DeletionVectorDescriptor,
  DomainMetadataAction,
  MetadataAction,
  ProtocolAction,
  RemoveFile,
  TxnAction,
} from './actions.js';
import { LayeredMap } from './layered-map.js';

/**
 * The table state that log replay accumulates (PROTOCOL.md, "Action Reconciliation"): the latest
 * protocol and metadata, the active files, the tombstones, the latest txn version per appId and
 * the live metadata domains. Pure: no I/O, so it is tested with plain action lists.
 *
 * A state is mutated only while it is being built; snapshots hold states that are never touched
 * again, and an incremental update works on a `clone()`.
 */
export class ReplayState {
  /** Version of the last applied commit or checkpoint; -1 before anything is applied. */
  version = -1;
  protocol: ProtocolAction | undefined;
  metadata: MetadataAction | undefined;
  /** commitInfo of the commit at `version`; undefined when that version came from a checkpoint. */
  commitInfo: CommitInfo | undefined;
  /** Active files by logical file key (see fileKey); cheap to clone, see LayeredMap. */
  readonly files: LayeredMap<string, AddFile>;
  readonly tombstones: LayeredMap<string, RemoveFile>;
  readonly txns: Map<string, TxnAction>;
  readonly domains: Map<string, DomainMetadataAction>;

  constructor(from?: ReplayState) {
    this.files = from ? from.files.clone() : LayeredMap.empty();
    this.tombstones = from ? from.tombstones.clone() : LayeredMap.empty();
    this.txns = new Map(from?.txns);
    this.domains = new Map(from?.domains);
    if (from) {
      this.version = from.version;
      this.protocol = from.protocol;
      this.metadata = from.metadata;
      this.commitInfo = from.commitInfo;
    }
  }

  clone(): ReplayState {
    return new ReplayState(this);
  }

  /** Applies the actions of commit `version`, in file order. */
  applyCommit(version: number, actions: Action[]): void {
    this.commitInfo = undefined;
    for (const action of actions) this.apply(action);
    this.version = version;
  }

  /** Applies the rows of a checkpoint for `version` (which carries no commitInfo). */
  applyCheckpoint(version: number, actions: Action[]): void {
    for (const action of actions) this.apply(action);
    this.commitInfo = undefined;
    this.version = version;
  }

  private apply(action: Action): void {
    if ('add' in action) {
      const key = fileKey(action.add.path, action.add.deletionVector);
      this.tombstones.delete(key);
      // Frozen: snapshots share these objects, so a caller must not be able to edit one in place.
      this.files.set(key, Object.freeze(action.add));
    } else if ('remove' in action) {
      const key = fileKey(action.remove.path, action.remove.deletionVector);
      this.files.delete(key);
      this.tombstones.set(key, Object.freeze(action.remove));
    } else if ('metaData' in action) {
      this.metadata = action.metaData;
    } else if ('protocol' in action) {
      this.protocol = action.protocol;
    } else if ('txn' in action) {
      this.txns.set(action.txn.appId, action.txn);
    } else if ('domainMetadata' in action) {
      const dm = action.domainMetadata;
      if (dm.removed) this.domains.delete(dm.domain);
      else this.domains.set(dm.domain, dm);
    } else if ('commitInfo' in action) {
      this.commitInfo = action.commitInfo;
    }
    // cdc, checkpointMetadata and sidecar do not change the snapshot.
  }
}

/**
 * The primary key of a logical file: its path plus the deletion vector's unique id
 * ('<storageType><pathOrInlineDv>[@<offset>]'), so that the same data file with a new DV is a new
 * logical file.
 */
export function fileKey(path: string, dv?: DeletionVectorDescriptor): string {
  if (!dv) return path;
  const uniqueId =
    dv.storageType + dv.pathOrInlineDv + (dv.offset === undefined ? '' : `@${dv.offset}`);
  return `${path}\u0000${uniqueId}`;
}
