import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddFile, FileStats } from '../actions.js';
import { decodeLogPath, resolveLogPath } from '../data-file-paths.js';
import type { DeltaTable } from '../delta-table.js';
import { LakeError } from '../errors.js';
import { joinKey, type ObjectStore } from '../object-store.js';
import { parquetRowCount } from '../parquet-codec.js';
import type { Snapshot } from '../snapshot.js';
import type { ConvertedColumn, ConvertedSchema } from './iceberg-schema.js';
import {
  boundFromStat,
  encodeValue,
  isPartitionableType,
  partitionValue,
  type PartitionValue,
} from './iceberg-values.js';
import { avroName, type PartitionTupleField } from './manifest-avro.js';

/**
 * Delta `add` actions as Iceberg manifest entries: the data file's location, its partition tuple
 * (identity partitions typed from Delta's partition value strings), row count and the column
 * metrics Iceberg readers prune files with, taken from Delta's statistics.
 */

/** An identity partition field of the spec, over one Delta partition column. */
export interface PartitionField {
  column: string;
  sourceId: number;
  fieldId: number;
  type: string;
  tuple: PartitionTupleField;
}

/** A manifest entry record, with what the manifest list summarises. */
export interface Entry {
  record: object;
  records: number;
  partition: PartitionValue[];
}

/** The table's partition spec: identity on every Delta partition column, ids from 1000. */
export function partitionFields(
  table: DeltaTable,
  snap: Snapshot,
  schema: ConvertedSchema,
): PartitionField[] {
  return snap.partitionColumns.map((column, i) => {
    const converted = schema.columns.get(column);
    const type = converted?.type;
    if (!converted || typeof type !== 'string' || !isPartitionableType(type)) {
      throw new LakeError(
        `Table '${table.tablePath}' cannot be described as Iceberg: partition column '${column}' ` +
          `has type ${JSON.stringify(type)}; Freshet maps only string, integer, boolean, floating ` +
          `point, date and timestamp partition columns to Iceberg identity partitions.`,
      );
    }
    const fieldId = 1000 + i;
    return {
      column,
      sourceId: converted.id,
      fieldId,
      type,
      tuple: { fieldId, name: column, avroType: avroTypeOf(type) },
    };
  });
}

function avroTypeOf(type: string): unknown {
  switch (type) {
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false };
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true };
    default:
      return type; // string, int, long, boolean, float, double share their Avro names
  }
}

/** The manifest entry of one active data file, ADDED in the snapshot `snapshotId`. */
export async function manifestEntry(
  table: DeltaTable,
  add: AddFile,
  schema: ConvertedSchema,
  partition: PartitionField[],
  snapshotId: number,
  sequenceNumber: number,
): Promise<Entry> {
  const stats = parseStats(add.stats);
  const records = stats?.numRecords ?? (await footerRowCount(table, add));
  const values = partition.map((p) => partitionValue(add.partitionValues[p.column], p.type));
  const metrics = stats ? columnMetrics(schema, stats, records) : undefined;
  const record = {
    status: 1, // ADDED
    snapshot_id: snapshotId,
    sequence_number: sequenceNumber,
    file_sequence_number: sequenceNumber,
    data_file: {
      content: 0,
      file_path: dataFileLocation(table, add),
      file_format: 'PARQUET',
      partition: Object.fromEntries(partition.map((p, i) => [avroName(p.column), values[i]])),
      record_count: records,
      file_size_in_bytes: add.size,
      column_sizes: null,
      value_counts: metrics?.valueCounts ?? null,
      null_value_counts: metrics?.nullCounts ?? null,
      nan_value_counts: null,
      lower_bounds: metrics?.lower ?? null,
      upper_bounds: metrics?.upper ?? null,
      key_metadata: null,
      split_offsets: null,
      equality_ids: null,
      sort_order_id: null,
    },
  };
  return { record, records, partition: values };
}

interface ColumnMetrics {
  valueCounts: { key: number; value: number }[];
  nullCounts: { key: number; value: number }[];
  lower: { key: number; value: Buffer }[];
  upper: { key: number; value: Buffer }[];
}

/** Counts and bounds of primitive columns outside lists and maps, from Delta's statistics. */
function columnMetrics(schema: ConvertedSchema, stats: FileStats, records: number): ColumnMetrics {
  const metrics: ColumnMetrics = { valueCounts: [], nullCounts: [], lower: [], upper: [] };
  for (const column of [...schema.columns.values()].sort((a, b) => a.id - b.id)) {
    if (typeof column.type !== 'string') continue;
    const nulls = lookup(stats.nullCount, column);
    if (typeof nulls === 'number' && Number.isSafeInteger(nulls)) {
      metrics.nullCounts.push({ key: column.id, value: nulls });
      // Without a struct parent that may be null, every row holds one value (or a null).
      if (column.statsPath.length === 1)
        metrics.valueCounts.push({ key: column.id, value: records });
    }
    const lower = boundFromStat(lookup(stats.minValues, column), column.type, 'lower');
    const upper = boundFromStat(lookup(stats.maxValues, column), column.type, 'upper');
    if (lower) metrics.lower.push({ key: column.id, value: lower });
    if (upper) metrics.upper.push({ key: column.id, value: upper });
  }
  return metrics;
}

function lookup(tree: unknown, column: ConvertedColumn): unknown {
  let node = tree;
  for (const name of column.statsPath) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[name];
  }
  return node;
}

/** The manifest list's field_summary of one partition field over a manifest's entries. */
export function partitionSummary(p: PartitionField, entries: Entry[]): object {
  const index = p.tuple.fieldId - 1000;
  let containsNull = false;
  let min: PartitionValue = null;
  let max: PartitionValue = null;
  for (const entry of entries) {
    const v = entry.partition[index] ?? null;
    if (v === null) {
      containsNull = true;
      continue;
    }
    if (min === null || compare(v, min) < 0) min = v;
    if (max === null || compare(v, max) > 0) max = v;
  }
  const floating = p.type === 'float' || p.type === 'double';
  return {
    contains_null: containsNull,
    contains_nan: floating ? entries.some((e) => Number.isNaN(e.partition[index])) : false,
    lower_bound: encodeValue(min, p.type) ?? null,
    upper_bound: encodeValue(max, p.type) ?? null,
  };
}

/** Iceberg's order for bounds: numbers numerically, strings by UTF-8 bytes, false < true. */
function compare(a: PartitionValue, b: PartitionValue): number {
  if (typeof a === 'string' && typeof b === 'string') {
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  }
  return Number(a) - Number(b);
}

function parseStats(json: string | undefined): FileStats | undefined {
  if (json === undefined) return undefined;
  try {
    const stats = JSON.parse(json) as FileStats;
    return typeof stats.numRecords === 'number' ? stats : undefined;
  } catch {
    return undefined;
  }
}

/** Iceberg requires a row count; files whose `add` has no stats get it from the Parquet footer. */
async function footerRowCount(table: DeltaTable, add: AddFile): Promise<number> {
  const key = joinKey(table.tablePath, decodeLogPath(add.path));
  const local = table.store.localPath(key) ?? (await table.store.cacheLocally?.(key));
  if (local) return parquetRowCount(local);
  const bytes = await table.store.get(key);
  if (bytes === null) throw new LakeError(`Data file '${key}' of the snapshot is missing.`);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-iceberg-'));
  try {
    const file = path.join(dir, 'data.parquet');
    await fs.writeFile(file, bytes);
    return await parquetRowCount(file);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function dataFileLocation(table: DeltaTable, add: AddFile): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(add.path)) return resolveLogPath('', add.path);
  return location(table.store, joinKey(table.tablePath, decodeLogPath(add.path)));
}

/** Where a reader finds a key: its local path, or the store's URL for it. */
export function location(store: ObjectStore, key: string): string {
  if (key === '') {
    // The store root: the folder of a key directly under it.
    const child = location(store, 'x');
    return child.slice(0, -2);
  }
  const local = store.localPath(key);
  if (local !== null) return local;
  if (store.url) return store.url(key);
  throw new LakeError(
    `${store.description} has neither local paths nor URLs, so Iceberg metadata cannot name its files.`,
  );
}
