// Registers, when asked, the JSON Schema of a Kafka topic's events in Freshet's registry under
// `<target>-value`: an Avro writer schema converted (avro-json-schema.ts), a JSON Schema taken as
// it is. Once per target and source schema id. A registry that does not answer pauses the source
// (the error is thrown); a schema the registry refuses (incompatible) is reported once and the
// events are validated against what the subject already has.

import {
  RegistryError,
  subjectForTopic,
  type CompatibilityLevel,
  type SchemaRegistry,
} from '../../registry/index.js';
import type { DecimalFormat } from './avro-json.js';
import { avroToJsonSchema } from './avro-json-schema.js';

export interface SchemaSyncOptions {
  source: SchemaRegistry;
  target: SchemaRegistry;
  decimalFormat: DecimalFormat;
  /** Set on a subject with no level of its own before its first schema; null leaves it. */
  compatibility: CompatibilityLevel | null;
  onError?: (err: unknown) => void;
  onProgress?: (message: string) => void;
}

export class SchemaSync {
  private readonly done = new Map<string, Promise<void>>();

  constructor(private readonly opts: SchemaSyncOptions) {}

  ensure(target: string, sourceSchemaId: number): Promise<void> {
    const k = `${target}\u0000${sourceSchemaId}`;
    let p = this.done.get(k);
    if (!p) {
      p = this.register(target, sourceSchemaId);
      this.done.set(k, p);
      p.catch(() => this.done.delete(k));
    }
    return p;
  }

  private async register(target: string, id: number): Promise<void> {
    const found = await this.opts.source.getById(id);
    if (!found) return; // the decoder has already sent such records to quarantine
    const schema =
      found.schemaType === 'AVRO'
        ? JSON.stringify(avroToJsonSchema(found.schema, this.opts.decimalFormat))
        : found.schema;
    const subject = subjectForTopic(target);
    try {
      const level = this.opts.compatibility;
      if (level && (await this.opts.target.getCompatibility(subject)) === null) {
        await this.opts.target.setCompatibility(level, subject);
      }
      const r = await this.opts.target.register(subject, { schemaType: 'JSON', schema });
      this.opts.onProgress?.(
        `registered ${subject} version ${r.version} from source schema id ${id}`,
      );
    } catch (err) {
      if (err instanceof RegistryError && err.retriable) throw err;
      this.opts.onError?.(
        new Error(
          `could not register ${subject} from source schema id ${id}: ${(err as Error).message}`,
        ),
      );
    }
  }
}
