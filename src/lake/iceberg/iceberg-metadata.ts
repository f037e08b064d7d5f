import { createHash } from 'node:crypto';
import type { DeltaTable } from '../delta-table.js';
import { LakeError, TableNotFoundError } from '../errors.js';
import { joinKey, type ObjectStore } from '../object-store.js';
import type { Snapshot } from '../snapshot.js';
import { convertSchema } from './iceberg-schema.js';
import { encodeAvroFile, MANIFEST_FILE_SCHEMA, manifestEntrySchema } from './manifest-avro.js';
import { location, manifestEntry, partitionFields, partitionSummary } from './manifest-entries.js';

/**
 * Iceberg v2 metadata for a Delta snapshot, over the same Parquet files (nothing is copied), so
 * that engines that read Iceberg and not Delta (Snowflake external Iceberg tables, PyIceberg,
 * Trino's Iceberg connector) read the table. The layout is that of a file-system ("Hadoop")
 * Iceberg table in the Delta table's own folder:
 *
 *   <table>/metadata/v<N>.metadata.json      N = the Delta version it describes
 *   <table>/metadata/snap-<id>.avro          the manifest list of its one snapshot
 *   <table>/metadata/<id>-m<i>.avro          manifests: every active data file, with statistics
 *   <table>/metadata/version-hint.text       the newest N, for readers that find tables by folder
 *
 * Each metadata file holds one snapshot: the Delta version's files, all ADDED in that snapshot.
 * Snapshot ids, file names and bytes are derived from the Delta table id and version, so writing
 * the same version twice, or from two processes at once, produces the same files.
 *
 * DuckDB writes Parquet without Iceberg field ids, so the metadata carries a name mapping
 * (`schema.name-mapping.default`) by which readers match columns by name. Partition columns, which
 * Delta keeps out of the data files, are identity partitions whose values readers take from the
 * manifests.
 */

export interface IcebergMetadataResult {
  /** Location of vN.metadata.json as a reader opens it: a local path or an s3:// URL. */
  metadataPath: string;
  /** The same file as a key in the table's object store. */
  metadataKey: string;
  /** The Delta version described (N in vN.metadata.json). */
  version: number;
}

/** Manifests hold at most this many data files, so no single file grows without bound. */
const FILES_PER_MANIFEST = 10_000;

/**
 * Writes the Iceberg metadata of `snapshot` (default: the table's latest) unless that version's
 * metadata file already exists, and returns where it is.
 *
 * @example
 * const { metadataPath } = await writeIcebergMetadata(table);
 * // Python: StaticTable.from_metadata(metadataPath).scan().to_arrow()
 */
export async function writeIcebergMetadata(
  table: DeltaTable,
  snapshot?: Snapshot,
): Promise<IcebergMetadataResult> {
  const snap = snapshot ?? (await table.snapshot());
  const store = table.store;
  if (snap.version < 0) throw new TableNotFoundError(table.tablePath, store.description);
  const metaDir = joinKey(table.tablePath, 'metadata');
  const metadataKey = joinKey(metaDir, `v${snap.version}.metadata.json`);
  const result = {
    metadataPath: location(store, metadataKey),
    metadataKey,
    version: snap.version,
  };
  if ((await store.get(metadataKey)) !== null) return result;

  refuseDeletionVectors(table, snap);
  const schema = convertSchema(snap.schema, table.tablePath);
  const partition = partitionFields(table, snap, schema);
  const snapshotId = deterministicId(`${snap.metadata.id}:${snap.version}`);
  const sequenceNumber = snap.version + 1;
  const spec = partition.map((p) => ({
    name: p.column,
    transform: 'identity',
    'source-id': p.sourceId,
    'field-id': p.fieldId,
  }));
  const tableSchemaJson = JSON.stringify(schema.schema);

  // Manifests first, then the manifest list, then the metadata file that points at them: a reader
  // that finds vN.metadata.json finds everything it names.
  const entries = await Promise.all(
    snap.files.map((add) =>
      manifestEntry(table, add, schema, partition, snapshotId, sequenceNumber),
    ),
  );
  const entrySchema = manifestEntrySchema(partition.map((p) => p.tuple));
  const manifests: object[] = [];
  for (let start = 0, i = 0; start < entries.length || i === 0; start += FILES_PER_MANIFEST, i++) {
    const chunk = entries.slice(start, start + FILES_PER_MANIFEST);
    const key = joinKey(metaDir, `${snapshotId}-m${i}.avro`);
    const bytes = await encodeAvroFile(
      entrySchema,
      chunk.map((e) => e.record),
      {
        schema: tableSchemaJson,
        'schema-id': '0',
        'partition-spec': JSON.stringify(spec),
        'partition-spec-id': '0',
        'format-version': '2',
        content: 'data',
      },
      syncMarker(key),
    );
    await store.put(key, bytes);
    manifests.push({
      manifest_path: location(store, key),
      manifest_length: bytes.length,
      partition_spec_id: 0,
      content: 0,
      sequence_number: sequenceNumber,
      min_sequence_number: sequenceNumber,
      added_snapshot_id: snapshotId,
      added_files_count: chunk.length,
      existing_files_count: 0,
      deleted_files_count: 0,
      added_rows_count: sum(chunk.map((e) => e.records)),
      existing_rows_count: 0,
      deleted_rows_count: 0,
      partitions: partition.map((p) => partitionSummary(p, chunk)),
      key_metadata: null,
    });
  }
  const manifestListKey = joinKey(metaDir, `snap-${snapshotId}.avro`);
  await store.put(
    manifestListKey,
    await encodeAvroFile(
      MANIFEST_FILE_SCHEMA,
      manifests,
      {
        'snapshot-id': String(snapshotId),
        'parent-snapshot-id': 'null',
        'sequence-number': String(sequenceNumber),
        'format-version': '2',
      },
      syncMarker(manifestListKey),
    ),
  );

  const records = sum(entries.map((e) => e.records));
  const bytes = sum(snap.files.map((f) => f.size));
  const timestamp = snap.timestamp;
  const metadata = {
    'format-version': 2,
    'table-uuid': snap.metadata.id,
    location: location(store, table.tablePath),
    'last-sequence-number': sequenceNumber,
    'last-updated-ms': timestamp,
    'last-column-id': schema.lastColumnId,
    'current-schema-id': 0,
    schemas: [schema.schema],
    'default-spec-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: spec }],
    'last-partition-id': partition.length === 0 ? 999 : 999 + partition.length,
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: {
      'schema.name-mapping.default': JSON.stringify(schema.nameMapping),
      'freshet.delta.version': String(snap.version),
      ...(snap.metadata.name === undefined ? {} : { 'freshet.delta.name': snap.metadata.name }),
    },
    'current-snapshot-id': snapshotId,
    refs: { main: { 'snapshot-id': snapshotId, type: 'branch' } },
    snapshots: [
      {
        'snapshot-id': snapshotId,
        'sequence-number': sequenceNumber,
        'timestamp-ms': timestamp,
        'manifest-list': location(store, manifestListKey),
        summary: {
          operation: 'append',
          'added-data-files': String(snap.files.length),
          'added-records': String(records),
          'added-files-size': String(bytes),
          'total-data-files': String(snap.files.length),
          'total-records': String(records),
          'total-files-size': String(bytes),
          'total-delete-files': '0',
          'total-position-deletes': '0',
          'total-equality-deletes': '0',
          'freshet.delta.version': String(snap.version),
        },
        'schema-id': 0,
      },
    ],
    'snapshot-log': [{ 'snapshot-id': snapshotId, 'timestamp-ms': timestamp }],
    'metadata-log': [],
  };
  // Another writer may have written the same version meanwhile: its file is the same.
  await store.putIfAbsent(metadataKey, Buffer.from(JSON.stringify(metadata, null, 2) + '\n'));
  await advanceVersionHint(store, joinKey(metaDir, 'version-hint.text'), snap.version);
  return result;
}

// ------------------------------------------------------------------------------------------------

function refuseDeletionVectors(table: DeltaTable, snap: Snapshot): void {
  const withDv = snap.files.filter((f) => f.deletionVector !== undefined).length;
  if (withDv === 0) return;
  throw new LakeError(
    `Iceberg metadata for '${table.tablePath}' at version ${snap.version} cannot be written: ` +
      `${withDv} data file(s) have Delta deletion vectors, which Iceberg readers would not apply ` +
      `(they would see deleted rows). Compact the table (rewriting those files) first.`,
  );
}

/** version-hint.text only moves forward: an older version written late must not win. */
async function advanceVersionHint(store: ObjectStore, key: string, version: number): Promise<void> {
  const current = Number((await store.get(key))?.toString('utf8').trim());
  if (Number.isInteger(current) && current >= version) return;
  await store.put(key, Buffer.from(String(version)));
}

/** A positive id below 2^53 (exact in JSON and in JavaScript numbers), fixed by `seed`. */
function deterministicId(seed: string): number {
  const hash = createHash('sha256').update(seed).digest();
  return Number(hash.readBigUInt64BE(0) >> 11n) || 1;
}

function syncMarker(seed: string): Buffer {
  return createHash('sha256').update(`avro-sync:${seed}`).digest().subarray(0, 16);
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
