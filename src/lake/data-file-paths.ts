import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/**
 * Where data files go and how their paths are written in the log.
 *
 * Two encodings stack, as in Spark: partition directories are Hive-escaped (`region=a%3Ab` for the
 * value 'a:b'), and the log's `path` field is a URI (RFC 2396), so that directory name is
 * percent-encoded once more (`region=a%253Ab`). Readers decode the URI to get the real path.
 */

/** The value Hive and Spark use in a directory name for a null (or empty) partition value. */
export const NULL_PARTITION_DIR_VALUE = '__HIVE_DEFAULT_PARTITION__';

/** Characters Hive escapes in partition directory names (Spark's ExternalCatalogUtils). */
const HIVE_SPECIAL = new Set('"#%\'*/:=?\\\u007f{[]^'.split(''));

export function escapePartitionPathPart(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || HIVE_SPECIAL.has(ch)) {
      out += '%' + code.toString(16).toUpperCase().padStart(2, '0');
    } else out += ch;
  }
  return out;
}

/** 'year=2024/region=north%20east' style directories, in partition column order ('' if none). */
export function partitionDirectory(
  partitionColumns: readonly string[],
  values: Readonly<Record<string, string | null>>,
): string {
  return partitionColumns
    .map((col) => {
      const v = values[col];
      const dirValue = v === null || v === undefined || v === '' ? NULL_PARTITION_DIR_VALUE : v;
      return `${escapePartitionPathPart(col)}=${escapePartitionPathPart(dirValue)}`;
    })
    .join('/');
}

/** A fresh data file name, unique by UUID (the protocol forbids reusing a data file name). */
export function newDataFileName(): string {
  return `part-00000-${randomUUID()}-c000.snappy.parquet`;
}

/** Turns a relative file path into the URI form the log stores ('a b/x' -> 'a%20b/x'). */
export function encodeLogPath(relativePath: string): string {
  return relativePath
    .split('/')
    .map((segment) => encodeURIComponent(segment).replaceAll('%3D', '='))
    .join('/');
}

const URI_SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;

/**
 * Resolves a log `path` against the table root: relative paths are percent-decoded and joined;
 * absolute `file:` URIs become filesystem paths; other absolute URIs (s3://...) are returned as
 * they are. `root` is a filesystem path or a URL prefix without trailing '/'.
 */
export function resolveLogPath(root: string, logPath: string, joiner = '/'): string {
  if (URI_SCHEME.test(logPath)) {
    return logPath.startsWith('file:') ? fileURLToPath(logPath) : logPath;
  }
  return `${root}${joiner}${decodeLogPath(logPath).split('/').join(joiner)}`;
}

/** Percent-decodes a relative log path; a path that is not valid URI encoding is taken as is. */
export function decodeLogPath(logPath: string): string {
  try {
    return decodeURIComponent(logPath);
  } catch {
    // Some writers put raw '%' in paths without encoding; the raw path is then the file name.
    return logPath;
  }
}
