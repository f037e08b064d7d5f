import avro from 'avsc';

/**
 * Iceberg v2 manifest lists and manifests as Avro object container files (Iceberg spec,
 * "Manifests" and "Manifest Lists"). Record encoding and the container framing come from `avsc`;
 * this module holds the schemas, whose `field-id` attributes are what Iceberg readers resolve
 * fields by, so they are copied from the spec exactly.
 */

/** One field of the partition tuple: a spec field id, a name and an Avro type. */
export interface PartitionTupleField {
  fieldId: number;
  name: string;
  /** The Avro type of a non-null value, e.g. 'long' or { type: 'int', logicalType: 'date' }. */
  avroType: unknown;
}

const intLongMap = (name: string, field: number, key: number, value: number, doc: string) => ({
  name,
  'field-id': field,
  type: [
    'null',
    {
      type: 'array',
      logicalType: 'map',
      items: {
        type: 'record',
        name: `k${key}_v${value}`,
        fields: [
          { name: 'key', type: 'int', 'field-id': key },
          { name: 'value', type: 'long', 'field-id': value },
        ],
      },
    },
  ],
  default: null,
  doc,
});

const intBytesMap = (name: string, field: number, key: number, value: number, doc: string) => ({
  name,
  'field-id': field,
  type: [
    'null',
    {
      type: 'array',
      logicalType: 'map',
      items: {
        type: 'record',
        name: `k${key}_v${value}`,
        fields: [
          { name: 'key', type: 'int', 'field-id': key },
          { name: 'value', type: 'bytes', 'field-id': value },
        ],
      },
    },
  ],
  default: null,
  doc,
});

/** The manifest_entry schema of a v2 data manifest for one partition tuple type. */
export function manifestEntrySchema(partition: PartitionTupleField[]): object {
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      { name: 'snapshot_id', type: ['null', 'long'], default: null, 'field-id': 1 },
      { name: 'sequence_number', type: ['null', 'long'], default: null, 'field-id': 3 },
      { name: 'file_sequence_number', type: ['null', 'long'], default: null, 'field-id': 4 },
      {
        name: 'data_file',
        'field-id': 2,
        type: {
          type: 'record',
          name: 'r2',
          fields: [
            { name: 'content', type: 'int', 'field-id': 134, doc: 'Contents of the file: 0=data' },
            {
              name: 'file_path',
              type: 'string',
              'field-id': 100,
              doc: 'Location URI with FS scheme',
            },
            { name: 'file_format', type: 'string', 'field-id': 101, doc: 'File format name' },
            {
              name: 'partition',
              'field-id': 102,
              type: {
                type: 'record',
                name: 'r102',
                fields: partition.map((p) => ({
                  name: avroName(p.name),
                  type: ['null', p.avroType],
                  default: null,
                  'field-id': p.fieldId,
                })),
              },
              doc: 'Partition data tuple, schema based on the partition spec',
            },
            { name: 'record_count', type: 'long', 'field-id': 103 },
            { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
            intLongMap('column_sizes', 108, 117, 118, 'Map of column id to total size on disk'),
            intLongMap('value_counts', 109, 119, 120, 'Map of column id to total count'),
            intLongMap('null_value_counts', 110, 121, 122, 'Map of column id to null value count'),
            intLongMap('nan_value_counts', 137, 138, 139, 'Map of column id to NaN value count'),
            intBytesMap('lower_bounds', 125, 126, 127, 'Map of column id to lower bound'),
            intBytesMap('upper_bounds', 128, 129, 130, 'Map of column id to upper bound'),
            { name: 'key_metadata', type: ['null', 'bytes'], default: null, 'field-id': 131 },
            {
              name: 'split_offsets',
              type: ['null', { type: 'array', items: 'long', 'element-id': 133 }],
              default: null,
              'field-id': 132,
            },
            {
              name: 'equality_ids',
              type: ['null', { type: 'array', items: 'int', 'element-id': 136 }],
              default: null,
              'field-id': 135,
            },
            { name: 'sort_order_id', type: ['null', 'int'], default: null, 'field-id': 140 },
          ],
        },
      },
    ],
  };
}

/** The manifest_file schema of a v2 manifest list. */
export const MANIFEST_FILE_SCHEMA: object = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500, doc: 'Location URI with FS scheme' },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    {
      name: 'partitions',
      'field-id': 507,
      default: null,
      type: [
        'null',
        {
          type: 'array',
          'element-id': 508,
          items: {
            type: 'record',
            name: 'r508',
            fields: [
              { name: 'contains_null', type: 'boolean', 'field-id': 509 },
              { name: 'contains_nan', type: ['null', 'boolean'], default: null, 'field-id': 518 },
              { name: 'lower_bound', type: ['null', 'bytes'], default: null, 'field-id': 510 },
              { name: 'upper_bound', type: ['null', 'bytes'], default: null, 'field-id': 511 },
            ],
          },
        },
      ],
    },
    { name: 'key_metadata', type: ['null', 'bytes'], default: null, 'field-id': 519 },
  ],
};

/**
 * An Avro object container file holding `records`, deflate-compressed, with `metadata` in its
 * header. The sync marker is given, not random, so the same input always makes the same bytes:
 * that keeps rewriting the metadata of one Delta version idempotent.
 */
export async function encodeAvroFile(
  schema: object,
  records: readonly object[],
  metadata: Record<string, string>,
  syncMarker: Buffer,
): Promise<Buffer> {
  // Given the schema object (not a parsed Type), avsc writes it to the header as it is, with the
  // field ids that it would otherwise drop.
  const encoder = new avro.streams.BlockEncoder(schema as avro.Schema, {
    codec: 'deflate',
    syncMarker,
    // Eagerly, so that a file with no records still has its header (and schema).
    writeHeader: 'always',
    // `metadata` is supported by avsc but missing from its type declarations.
    ...({
      metadata: Object.fromEntries(
        Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v, 'utf8')]),
      ),
    } as object),
  });
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    encoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    encoder.on('end', () => resolve());
    encoder.on('error', reject);
  });
  for (const record of records) encoder.write(record);
  encoder.end();
  await done;
  return Buffer.concat(chunks);
}

/**
 * An Avro-legal name for a partition field (letters, digits and '_', not starting with a digit),
 * escaping other characters the way Iceberg's Java library does ('-' becomes '_x2D'). Readers
 * match partition fields by field id, so the Avro name only has to be legal.
 */
export function avroName(name: string): string {
  let out = '';
  for (const [i, ch] of [...name].entries()) {
    if (/[A-Za-z_]/.test(ch) || (i > 0 && /[0-9]/.test(ch))) out += ch;
    else if (/[0-9]/.test(ch)) out += `_${ch}`;
    else out += `_x${ch.codePointAt(0)!.toString(16).toUpperCase()}`;
  }
  return out === '' ? '_' : out;
}
