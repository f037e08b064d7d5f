// The embedded registry's file, `<dir>/schemas.json`: every registration in order, the same
// facts Confluent keeps in its _schemas topic. It is small and rewritten whole on each
// registration — to a temporary file, synced, then renamed over the old one — so a crash
// leaves the old registry or the new one, never half of it.

import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryStoreError } from './errors.js';
import type { RegisteredSchema } from './schema-registry.js';

export const SCHEMAS_FILE = 'schemas.json';
const FORMAT = 1;

interface SchemasFile {
  format: number;
  schemas: RegisteredSchema[];
}

export class SchemaStore {
  readonly path: string;

  constructor(private readonly dir: string) {
    this.path = join(dir, SCHEMAS_FILE);
  }

  /** All registrations in the order they were made; [] for a new registry. */
  async load(): Promise<RegisteredSchema[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new RegistryStoreError(this.path, 'Reading', { retriable: true, cause: err });
    }
    let file: SchemasFile;
    try {
      file = JSON.parse(text) as SchemasFile;
    } catch (err) {
      throw new RegistryStoreError(this.path, 'Parsing', { cause: err });
    }
    if (file?.format !== FORMAT || !Array.isArray(file.schemas) || !file.schemas.every(isEntry)) {
      throw new RegistryStoreError(this.path, 'Understanding', {
        cause: new Error(`unknown format ${JSON.stringify(file?.format)} or malformed entries`),
      });
    }
    return file.schemas;
  }

  async save(schemas: readonly RegisteredSchema[]): Promise<void> {
    const file: SchemasFile = { format: FORMAT, schemas: [...schemas] };
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

function isEntry(e: unknown): e is RegisteredSchema {
  const r = e as RegisteredSchema;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.subject === 'string' &&
    Number.isInteger(r.version) &&
    Number.isInteger(r.id) &&
    (r.schemaType === 'JSON' || r.schemaType === 'AVRO') &&
    typeof r.schema === 'string'
  );
}
