// The embedded registry's file, `<dir>/schemas.json`: every registration in order (soft-deleted
// ones marked), the compatibility levels and the next id — the same facts Confluent keeps in
// its _schemas topic. It is small and rewritten whole on each change — to a temporary file,
// synced, then renamed over the old one — so a crash leaves the old registry or the new one,
// never half of it. Format 1 (registrations only) is still read.

import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryStoreError } from './errors.js';
import {
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
  type RegisteredSchema,
} from './schema-registry.js';

export const SCHEMAS_FILE = 'schemas.json';
const FORMAT = 2;

export interface StoredSchema extends RegisteredSchema {
  /** Soft-deleted: hidden from lists and lookups, its id still resolves. */
  deleted?: boolean;
}

export interface RegistryState {
  schemas: StoredSchema[];
  /** The global level; absent means Confluent's default (BACKWARD). */
  compatibility?: CompatibilityLevel;
  /** Subject → its own level. */
  subjectCompatibility: Record<string, CompatibilityLevel>;
  /** The next global id: ids are never reused, also after a permanent delete. */
  nextId: number;
}

interface SchemasFile {
  format: number;
  schemas: StoredSchema[];
  compatibility?: CompatibilityLevel;
  subjectCompatibility?: Record<string, CompatibilityLevel>;
  nextId?: number;
}

export class SchemaStore {
  readonly path: string;

  constructor(private readonly dir: string) {
    this.path = join(dir, SCHEMAS_FILE);
  }

  /** All registrations in the order they were made, and the levels; empty for a new registry. */
  async load(): Promise<RegistryState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return { schemas: [], subjectCompatibility: {}, nextId: 1 };
      }
      throw new RegistryStoreError(this.path, 'Reading', { retriable: true, cause: err });
    }
    let file: SchemasFile;
    try {
      file = JSON.parse(text) as SchemasFile;
    } catch (err) {
      throw new RegistryStoreError(this.path, 'Parsing', { cause: err });
    }
    const levels = Object.values(file?.subjectCompatibility ?? {});
    if (
      (file?.format !== 1 && file?.format !== FORMAT) ||
      !Array.isArray(file.schemas) ||
      !file.schemas.every(isEntry) ||
      !(file.compatibility === undefined || isLevel(file.compatibility)) ||
      !levels.every(isLevel) ||
      !(file.nextId === undefined || Number.isInteger(file.nextId))
    ) {
      throw new RegistryStoreError(this.path, 'Understanding', {
        cause: new Error(`unknown format ${JSON.stringify(file?.format)} or malformed entries`),
      });
    }
    const maxId = file.schemas.reduce((max, e) => Math.max(max, e.id), 0);
    return {
      schemas: file.schemas,
      compatibility: file.compatibility,
      subjectCompatibility: { ...file.subjectCompatibility },
      nextId: Math.max(file.nextId ?? 1, maxId + 1),
    };
  }

  async save(state: RegistryState): Promise<void> {
    const file: SchemasFile = {
      format: FORMAT,
      schemas: state.schemas.map((e) => ({ ...e })),
      ...(state.compatibility ? { compatibility: state.compatibility } : {}),
      subjectCompatibility: { ...state.subjectCompatibility },
      nextId: state.nextId,
    };
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(JSON.stringify(file, null, 2) + '\n');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
      // The rename is durable only once the directory is.
      const dirHandle = await open(this.dir, 'r');
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw new RegistryStoreError(this.path, 'Writing', { retriable: true, cause: err });
    }
  }
}

function isLevel(level: unknown): level is CompatibilityLevel {
  return (COMPATIBILITY_LEVELS as readonly unknown[]).includes(level);
}

function isEntry(e: unknown): e is StoredSchema {
  const r = e as StoredSchema;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.subject === 'string' &&
    Number.isInteger(r.version) &&
    Number.isInteger(r.id) &&
    (r.schemaType === 'JSON' || r.schemaType === 'AVRO') &&
    typeof r.schema === 'string' &&
    (r.deleted === undefined || typeof r.deleted === 'boolean')
  );
}
