import { CorruptLogError } from './errors.js';

/**
 * Delta log actions, mirroring the JSON lines of a commit file one to one: an action is an object
 * with exactly one key naming its kind. Field names and optionality follow PROTOCOL.md.
 */
export type Action =
  | { protocol: ProtocolAction }
  | { metaData: MetadataAction }
  | { add: AddFile }
  | { remove: RemoveFile }
  | { cdc: AddCdcFile }
  | { txn: TxnAction }
  | { commitInfo: CommitInfo }
  | { domainMetadata: DomainMetadataAction }
  | { checkpointMetadata: CheckpointMetadataAction }
  | { sidecar: SidecarAction };

/** The key naming an action's kind ('add', 'metaData', ...). */
export type ActionKind = Action extends infer A ? (A extends unknown ? keyof A : never) : never;

export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
  /** Present only when minReaderVersion is 3. */
  readerFeatures?: string[];
  /** Present only when minWriterVersion is 7. */
  writerFeatures?: string[];
}

export interface MetadataAction {
  /** A GUID that names the table; stays the same for the table's whole life. */
  id: string;
  name?: string;
  description?: string;
  format: { provider: string; options: Record<string, string> };
  /** The table schema as JSON (see schema.ts). */
  schemaString: string;
  partitionColumns: string[];
  /** Table properties such as 'delta.appendOnly' or 'delta.checkpointInterval'. */
  configuration: Record<string, string>;
  /** Milliseconds since the epoch. */
  createdTime?: number;
}

export interface DeletionVectorDescriptor {
  storageType: string;
  pathOrInlineDv: string;
  offset?: number;
  sizeInBytes: number;
  cardinality: number;
}

export interface AddFile {
  /** Relative to the table root (or absolute), URI-encoded per RFC 2396: decode before use. */
  path: string;
  /** Partition column -> serialised value; null for a null partition value. */
  partitionValues: Record<string, string | null>;
  /** Bytes. */
  size: number;
  /** Milliseconds since the epoch. */
  modificationTime: number;
  /** False when the file only rearranges data already in the table (compaction). */
  dataChange: boolean;
  /** FileStats as a JSON string. */
  stats?: string;
  tags?: Record<string, string>;
  deletionVector?: DeletionVectorDescriptor;
  baseRowId?: number;
  defaultRowCommitVersion?: number;
  clusteringProvider?: string;
}

/** Per-file statistics, stored JSON-encoded in `AddFile.stats`. */
export interface FileStats {
  numRecords: number;
  /** Column -> smallest value (timestamps as ISO-8601 strings with millisecond precision). */
  minValues: Record<string, unknown>;
  maxValues: Record<string, unknown>;
  nullCount: Record<string, number>;
  tightBounds?: boolean;
}

export interface RemoveFile {
  path: string;
  /** Milliseconds since the epoch; the tombstone expires a retention period after it. */
  deletionTimestamp?: number;
  dataChange: boolean;
  /** True when partitionValues, size and tags are present. */
  extendedFileMetadata?: boolean;
  partitionValues?: Record<string, string | null>;
  size?: number;
  stats?: string;
  tags?: Record<string, string>;
  deletionVector?: DeletionVectorDescriptor;
  baseRowId?: number;
  defaultRowCommitVersion?: number;
}

export interface AddCdcFile {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  dataChange: boolean;
  tags?: Record<string, string>;
}

/** Application progress recorded atomically with a commit (exactly-once writers). */
export interface TxnAction {
  appId: string;
  version: number;
  lastUpdated?: number;
}

/** Free-form provenance; Freshet writes timestamp, operation, readVersion, isBlindAppend, ... */
export type CommitInfo = Record<string, unknown>;

export interface DomainMetadataAction {
  domain: string;
  configuration: string;
  removed: boolean;
}

export interface CheckpointMetadataAction {
  version: number;
  tags?: Record<string, string>;
}

export interface SidecarAction {
  path: string;
  sizeInBytes: number;
  modificationTime: number;
  tags?: Record<string, string>;
}

/** The kind of an action, for switch statements. */
export function actionKind(action: Action): ActionKind {
  return Object.keys(action)[0] as ActionKind;
}

/**
 * Parses a commit file (newline-delimited JSON). Unknown action kinds are skipped, as the protocol
 * requires: a feature that readers must understand is announced in the protocol action instead.
 */
export function parseCommitFile(text: string, key: string): Action[] {
  const actions: Action[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new CorruptLogError(key, `line ${i + 1} is not JSON (${(err as Error).message})`, {
        cause: err,
      });
    }
    try {
      const action = parseAction(value);
      if (action) actions.push(action);
    } catch (err) {
      if (!(err instanceof ActionFormatError)) throw err;
      throw new CorruptLogError(key, `line ${i + 1}: ${err.message}`);
    }
  }
  return actions;
}

/** One action per line, in order. */
export function serializeActions(actions: Action[]): string {
  return actions.map((a) => JSON.stringify(a)).join('\n') + '\n';
}

/** Thrown by parseAction; readers wrap it in a CorruptLogError that names the file. */
export class ActionFormatError extends Error {
  override name = 'ActionFormatError';
}

/**
 * Validates and normalises one action object (from a JSON line or a checkpoint row). Nulls in
 * optional fields (as Parquet checkpoints have them) become absent fields. Returns undefined for
 * an action kind this reader does not know.
 */
export function parseAction(value: unknown): Action | undefined {
  if (!isObject(value)) throw new ActionFormatError('an action must be a JSON object');
  const kinds = Object.keys(value).filter((k) => value[k] !== null && value[k] !== undefined);
  if (kinds.length !== 1) {
    throw new ActionFormatError(
      `an action must have exactly one kind, found ${kinds.join(', ') || 'none'}`,
    );
  }
  const kind = kinds[0]!;
  const body = value[kind];
  if (!isObject(body)) throw new ActionFormatError(`'${kind}' must be an object`);
  const f = new Fields(kind, body);
  switch (kind) {
    case 'protocol':
      return {
        protocol: strip({
          minReaderVersion: f.int('minReaderVersion'),
          minWriterVersion: f.int('minWriterVersion'),
          readerFeatures: f.optStrings('readerFeatures'),
          writerFeatures: f.optStrings('writerFeatures'),
        }),
      };
    case 'metaData': {
      const format = isObject(body.format) ? body.format : { provider: 'parquet', options: {} };
      return {
        metaData: strip({
          id: f.str('id'),
          name: f.optStr('name'),
          description: f.optStr('description'),
          format: {
            provider: typeof format.provider === 'string' ? format.provider : 'parquet',
            options: stringMap(format.options, 'metaData.format.options') ?? {},
          },
          schemaString: f.str('schemaString'),
          partitionColumns: f.optStrings('partitionColumns') ?? [],
          configuration: f.optStringMap('configuration') ?? {},
          createdTime: f.optNum('createdTime'),
        }),
      };
    }
    case 'add':
      return {
        add: strip({
          path: f.str('path'),
          partitionValues: f.optNullableStringMap('partitionValues') ?? {},
          size: f.optNum('size') ?? 0,
          modificationTime: f.optNum('modificationTime') ?? 0,
          dataChange: f.optBool('dataChange') ?? true,
          stats: f.optStr('stats'),
          tags: f.optStringMap('tags'),
          deletionVector: f.optDv('deletionVector'),
          baseRowId: f.optNum('baseRowId'),
          defaultRowCommitVersion: f.optNum('defaultRowCommitVersion'),
          clusteringProvider: f.optStr('clusteringProvider'),
        }),
      };
    case 'remove':
      return {
        remove: strip({
          path: f.str('path'),
          deletionTimestamp: f.optNum('deletionTimestamp'),
          dataChange: f.optBool('dataChange') ?? true,
          extendedFileMetadata: f.optBool('extendedFileMetadata'),
          partitionValues: f.optNullableStringMap('partitionValues'),
          size: f.optNum('size'),
          stats: f.optStr('stats'),
          tags: f.optStringMap('tags'),
          deletionVector: f.optDv('deletionVector'),
          baseRowId: f.optNum('baseRowId'),
          defaultRowCommitVersion: f.optNum('defaultRowCommitVersion'),
        }),
      };
    case 'cdc':
      return {
        cdc: strip({
          path: f.str('path'),
          partitionValues: f.optNullableStringMap('partitionValues') ?? {},
          size: f.optNum('size') ?? 0,
          dataChange: f.optBool('dataChange') ?? false,
          tags: f.optStringMap('tags'),
        }),
      };
    case 'txn':
      return {
        txn: strip({
          appId: f.str('appId'),
          version: f.num('version'),
          lastUpdated: f.optNum('lastUpdated'),
        }),
      };
    case 'commitInfo':
      return { commitInfo: body };
    case 'domainMetadata':
      return {
        domainMetadata: {
          domain: f.str('domain'),
          configuration: f.optStr('configuration') ?? '',
          removed: f.optBool('removed') ?? false,
        },
      };
    case 'checkpointMetadata':
      return {
        checkpointMetadata: strip({ version: f.num('version'), tags: f.optStringMap('tags') }),
      };
    case 'sidecar':
      return {
        sidecar: strip({
          path: f.str('path'),
          sizeInBytes: f.num('sizeInBytes'),
          modificationTime: f.num('modificationTime'),
          tags: f.optStringMap('tags'),
        }),
      };
    default:
      return undefined;
  }
}

/** Typed access to one action's fields, with errors that name the field. */
class Fields {
  constructor(
    private readonly kind: string,
    private readonly body: Record<string, unknown>,
  ) {}

  private fail(field: string, expected: string): never {
    throw new ActionFormatError(
      `${this.kind}.${field} must be ${expected}, got ${JSON.stringify(this.body[field]) ?? 'nothing'}`,
    );
  }

  str(field: string): string {
    const v = this.body[field];
    return typeof v === 'string' ? v : this.fail(field, 'a string');
  }

  optStr(field: string): string | undefined {
    const v = this.body[field];
    if (v === null || v === undefined) return undefined;
    return typeof v === 'string' ? v : this.fail(field, 'a string');
  }

  num(field: string): number {
    const v = this.body[field];
    return typeof v === 'number' && Number.isFinite(v) ? v : this.fail(field, 'a number');
  }

  int(field: string): number {
    const v = this.num(field);
    return Number.isInteger(v) ? v : this.fail(field, 'an integer');
  }

  optNum(field: string): number | undefined {
    const v = this.body[field];
    if (v === null || v === undefined) return undefined;
    return this.num(field);
  }

  optBool(field: string): boolean | undefined {
    const v = this.body[field];
    if (v === null || v === undefined) return undefined;
    return typeof v === 'boolean' ? v : this.fail(field, 'a boolean');
  }

  optStrings(field: string): string[] | undefined {
    const v = this.body[field];
    if (v === null || v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
      return this.fail(field, 'an array of strings');
    }
    return v as string[];
  }

  optStringMap(field: string): Record<string, string> | undefined {
    return stringMap(this.body[field], `${this.kind}.${field}`);
  }

  optNullableStringMap(field: string): Record<string, string | null> | undefined {
    const v = this.body[field];
    if (v === null || v === undefined) return undefined;
    if (!isObject(v) || !Object.values(v).every((s) => s === null || typeof s === 'string')) {
      return this.fail(field, 'a map of strings');
    }
    return v as Record<string, string | null>;
  }

  optDv(field: string): DeletionVectorDescriptor | undefined {
    const v = this.body[field];
    if (v === null || v === undefined) return undefined;
    if (!isObject(v)) return this.fail(field, 'a deletion vector descriptor');
    const dv = new Fields(`${this.kind}.${field}`, v);
    return strip({
      storageType: dv.str('storageType'),
      pathOrInlineDv: dv.str('pathOrInlineDv'),
      offset: dv.optNum('offset'),
      sizeInBytes: dv.num('sizeInBytes'),
      cardinality: dv.num('cardinality'),
    });
  }
}

/** Maps in checkpoints may hold null values; Delta's string maps treat those as absent. */
function stringMap(v: unknown, where: string): Record<string, string> | undefined {
  if (v === null || v === undefined) return undefined;
  if (!isObject(v)) throw new ActionFormatError(`${where} must be a map of strings`);
  const out: Record<string, string> = {};
  for (const [k, s] of Object.entries(v)) {
    if (s === null || s === undefined) continue;
    if (typeof s !== 'string') throw new ActionFormatError(`${where}.${k} must be a string`);
    out[k] = s;
  }
  return out;
}

/** Drops undefined fields so that serialised actions carry no `"x": null` noise. */
function strip<T extends object>(obj: T): T {
  for (const key of Object.keys(obj) as (keyof T)[]) {
    if (obj[key] === undefined) delete obj[key];
  }
  return obj;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The remove action for an active file (extended metadata, as Spark writes it). */
export function removeAction(file: AddFile, dataChange: boolean, now: number): Action {
  return {
    remove: {
      path: file.path,
      deletionTimestamp: now,
      dataChange,
      extendedFileMetadata: true,
      partitionValues: file.partitionValues,
      size: file.size,
      ...(file.stats === undefined ? {} : { stats: file.stats }),
      ...(file.tags === undefined ? {} : { tags: file.tags }),
    },
  };
}
