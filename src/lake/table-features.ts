import type { MetadataAction, ProtocolAction } from './actions.js';
import { UnsupportedFeatureError } from './errors.js';
import { parseSchema, schemaHasFieldMetadata, type StructType } from './schema.js';
import { columnMappingMode } from './table-properties.js';
import { unsupportedTypeChanges } from './type-widening.js';

/**
 * Which Delta protocol features Freshet can honour. A reader that ignores a feature it does not
 * know returns wrong rows (deletion vectors hide rows, column mapping renames columns), so
 * anything not listed here is refused by name.
 */

/**
 * Reader features Freshet reads correctly: `timestampNtz` only announces a column type;
 * `vacuumProtocolCheck` only constrains VACUUM; deletion vectors (deletion-vectors.ts), column
 * mapping (column-mapping.ts), V2 checkpoints with sidecars (checkpoint-reader.ts) and type
 * widening (type-widening.ts) are applied by log replay and by the engine's snapshot scan.
 * `typeWidening-preview` is the name Delta 3.x used before the feature was final; same format.
 */
const READABLE_FEATURES = new Set([
  'timestampNtz',
  'vacuumProtocolCheck',
  'deletionVectors',
  'columnMapping',
  'v2Checkpoint',
  'typeWidening',
  'typeWidening-preview',
]);

const COLUMN_MAPPING_MODES = new Set(['none', 'name', 'id']);

/**
 * Writer features Freshet honours when writing. appendOnly is enforced on commit; domainMetadata
 * is preserved by replay and checkpoints; the others impose nothing on an add/remove writer.
 */
const WRITABLE_FEATURES = new Set([
  'appendOnly',
  'timestampNtz',
  'domainMetadata',
  'vacuumProtocolCheck',
]);

/**
 * Writer features that are harmless while unused on the table (for example `invariants` is in
 * every writer-version-2 table, but matters only when a column carries an invariant).
 */
const WRITABLE_WHEN_INACTIVE: Record<string, (metadata: MetadataAction) => boolean> = {
  invariants: (m) => schemaHasMetadata(m, 'delta.invariants'),
  checkConstraints: (m) =>
    Object.keys(m.configuration).some((k) => k.startsWith('delta.constraints.')),
  generatedColumns: (m) => schemaHasMetadata(m, 'delta.generationExpression'),
  identityColumns: (m) => schemaHasMetadata(m, 'delta.identity.'),
  changeDataFeed: (m) => m.configuration['delta.enableChangeDataFeed']?.toLowerCase() === 'true',
  columnMapping: (m) => columnMappingMode(m.configuration) !== 'none',
};

/** Features implied by legacy writer versions (before table features, version 7). */
const LEGACY_WRITER_FEATURES: string[][] = [
  [],
  [],
  ['appendOnly', 'invariants'],
  ['checkConstraints'],
  ['changeDataFeed', 'generatedColumns'],
  ['columnMapping'],
  ['identityColumns'],
];

/**
 * Throws UnsupportedFeatureError naming every reader feature of the table that Freshet does not
 * support. Pass the metadata when known: it lets the check refuse an unknown column mapping mode
 * and type changes that are not widenings Freshet can convert.
 */
export function checkReadable(
  protocol: ProtocolAction,
  metadata?: MetadataAction,
  tablePath?: string,
): void {
  const unsupported = unreadableFeatures(protocol, metadata);
  if (unsupported.length > 0) throw new UnsupportedFeatureError(unsupported, 'read', tablePath);
}

/**
 * Throws UnsupportedFeatureError unless Freshet can both read and write the table: every writer
 * feature must be one it honours, or one that is not in use.
 */
export function checkWritable(
  protocol: ProtocolAction,
  metadata: MetadataAction,
  tablePath?: string,
): void {
  checkReadable(protocol, metadata, tablePath);
  const unsupported: string[] = [];
  const v = protocol.minWriterVersion;
  let features: string[];
  if (v > 7) unsupported.push(`writerVersion${v}`);
  if (v >= 7) features = protocol.writerFeatures ?? [];
  else features = LEGACY_WRITER_FEATURES.slice(0, Math.max(0, v) + 1).flat();
  for (const feature of features) {
    if (WRITABLE_FEATURES.has(feature)) continue;
    const isActive = WRITABLE_WHEN_INACTIVE[feature];
    if (isActive && !isActive(metadata)) continue;
    unsupported.push(feature);
  }
  if (unsupported.length > 0) throw new UnsupportedFeatureError(unsupported, 'write', tablePath);
}

function unreadableFeatures(protocol: ProtocolAction, metadata?: MetadataAction): string[] {
  const v = protocol.minReaderVersion;
  if (v > 3) return [`readerVersion${v}`];
  const mode = metadata ? columnMappingMode(metadata.configuration) : 'none';
  const unknownMode = COLUMN_MAPPING_MODES.has(mode) ? [] : [`columnMapping (mode '${mode}')`];
  if (v === 2) return unknownMode;
  if (v < 3) return [];
  const unsupported: string[] = [];
  for (const feature of protocol.readerFeatures ?? []) {
    if (!READABLE_FEATURES.has(feature)) unsupported.push(feature);
    else if (feature === 'columnMapping') unsupported.push(...unknownMode);
    else if (feature.startsWith('typeWidening') && metadata) {
      for (const change of unsupportedTypeChanges(loggedSchema(metadata))) {
        unsupported.push(`${feature} (${change})`);
      }
    }
  }
  return unsupported;
}

function loggedSchema(metadata: MetadataAction): StructType {
  try {
    return parseSchema(metadata.schemaString);
  } catch {
    // The snapshot reports an unparseable schema with its own, better error.
    return { type: 'struct', fields: [] };
  }
}

function schemaHasMetadata(metadata: MetadataAction, keyPrefix: string): boolean {
  try {
    return schemaHasFieldMetadata(parseSchema(metadata.schemaString), keyPrefix);
  } catch {
    // An unparseable schema cannot be written safely; count the feature as in use.
    return true;
  }
}
