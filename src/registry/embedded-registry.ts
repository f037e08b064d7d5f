// The embedded schema registry: Confluent's data model (subjects, versions, global ids) kept in
// one file in the data directory, with JSON Schema validation of values.

import { mkdir } from 'node:fs/promises';
import type { ValidateFunction } from 'ajv';
import { avroSchemaProblem } from './avro-schema.js';
import { InvalidSchemaError, InvalidSubjectError, RegistryStoreError } from './errors.js';
import { compileJsonSchema, JsonSchemaProblem, validateJson } from './json-schema.js';
import type {
  RegisteredSchema,
  SchemaRegistry,
  SchemaType,
  ValidationResult,
} from './schema-registry.js';
import { SchemaStore } from './schema-store.js';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * A schema registry in a local directory (`<dir>/schemas.json`).
 *
 * @example
 * const registry = await EmbeddedRegistry.open('freshet-data/registry');
 * await registry.register(subjectForTopic('pos.transactions'), { schemaType: 'JSON', schema });
 * const result = await registry.validate('pos.transactions-value', event);
 * if (!result.ok) quarantine(event, result.errors);
 */
export class EmbeddedRegistry implements SchemaRegistry {
  /** Every registration, in order: what the file holds. */
  private entries: RegisteredSchema[] = [];
  private readonly bySubject = new Map<string, RegisteredSchema[]>();
  /** The first registration of each id (an id shared by subjects names the first one). */
  private readonly byId = new Map<number, RegisteredSchema>();
  /** `<schemaType> <canonical schema>` → id: the same schema always gets the same id. */
  private readonly idBySchema = new Map<string, number>();
  /** Compiled once per id, on first use. */
  private readonly validators = new Map<number, ValidateFunction>();
  private nextId = 1;
  /** Registrations run one at a time, so ids, versions and file writes never interleave. */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(private readonly store: SchemaStore) {}

  /** Opens the registry in `dir`, creating the directory if needed. */
  static async open(dir: string): Promise<EmbeddedRegistry> {
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw new RegistryStoreError(dir, 'Creating the directory', { retriable: true, cause: err });
    }
    const registry = new EmbeddedRegistry(new SchemaStore(dir));
    for (const entry of await registry.store.load()) registry.index(entry);
    return registry;
  }

  register(
    subject: string,
    input: { schemaType: SchemaType; schema: string },
  ): Promise<RegisteredSchema> {
    const result = this.writes.then(() => this.registerNow(subject, input));
    this.writes = result.catch(() => undefined);
    return result;
  }

  async latest(subject: string): Promise<RegisteredSchema | null> {
    const versions = this.bySubject.get(subject);
    return versions ? { ...versions[versions.length - 1]! } : null;
  }

  async getById(id: number): Promise<RegisteredSchema | null> {
    const entry = this.byId.get(id);
    return entry ? { ...entry } : null;
  }

  async subjects(): Promise<string[]> {
    return [...this.bySubject.keys()].sort();
  }

  async versions(subject: string): Promise<number[]> {
    return (this.bySubject.get(subject) ?? []).map((e) => e.version);
  }

  async validate(subject: string, value: unknown): Promise<ValidationResult> {
    const latest = this.bySubject.get(subject)?.at(-1);
    if (!latest) {
      return {
        ok: false,
        schemaId: null,
        errors: [
          `no schema is registered for subject ${JSON.stringify(subject)}; register one first`,
        ],
      };
    }
    if (latest.schemaType === 'AVRO') {
      // Not implemented yet: Avro values are validated once issue 5 adds Avro decoding. Until
      // then every Avro-governed value is reported invalid rather than silently passed.
      return {
        ok: false,
        schemaId: latest.id,
        errors: ['Avro validation not implemented yet; use a JSON Schema for this subject for now'],
      };
    }
    const errors = validateJson(this.validatorFor(latest), value);
    return errors.length === 0
      ? { ok: true, schemaId: latest.id }
      : { ok: false, schemaId: latest.id, errors };
  }

  private async registerNow(
    subject: string,
    input: { schemaType: SchemaType; schema: string },
  ): Promise<RegisteredSchema> {
    if (typeof subject !== 'string' || subject.length === 0 || CONTROL_CHARS.test(subject)) {
      throw new InvalidSubjectError(subject);
    }
    const { schemaType } = input;
    const { canonical, validator } = checkSchema(subject, schemaType, input.schema);
    const versions = this.bySubject.get(subject) ?? [];
    const existing = versions.find((e) => e.schemaType === schemaType && e.schema === canonical);
    if (existing) return { ...existing };

    const entry: RegisteredSchema = {
      subject,
      version: (versions.at(-1)?.version ?? 0) + 1,
      id: this.idBySchema.get(`${schemaType} ${canonical}`) ?? this.nextId,
      schemaType,
      schema: canonical,
    };
    // Durable first, visible second: a failed write leaves the registry as it was.
    await this.store.save([...this.entries, entry]);
    this.index(entry);
    if (validator && !this.validators.has(entry.id)) this.validators.set(entry.id, validator);
    return { ...entry };
  }

  private index(entry: RegisteredSchema): void {
    this.entries.push(entry);
    const versions = this.bySubject.get(entry.subject);
    if (versions) versions.push(entry);
    else this.bySubject.set(entry.subject, [entry]);
    if (!this.byId.has(entry.id)) this.byId.set(entry.id, entry);
    this.idBySchema.set(`${entry.schemaType} ${entry.schema}`, entry.id);
    this.nextId = Math.max(this.nextId, entry.id + 1);
  }

  private validatorFor(entry: RegisteredSchema): ValidateFunction {
    let validator = this.validators.get(entry.id);
    if (!validator) {
      // Registered schemas compiled when they were registered; a failure here means the file
      // was edited by hand.
      validator = compileJsonSchema(entry.schema);
      this.validators.set(entry.id, validator);
    }
    return validator;
  }
}

/**
 * Checks a schema for its type and returns its canonical text (JSON without insignificant
 * whitespace, keys in their order, as Confluent compares schemas) and, for JSON Schema, the
 * compiled validator.
 */
function checkSchema(
  subject: string,
  schemaType: SchemaType,
  text: string,
): { canonical: string; validator: ValidateFunction | null } {
  if (typeof text !== 'string')
    throw new InvalidSchemaError(subject, 'the schema must be a string');
  switch (schemaType) {
    case 'JSON':
      try {
        const validator = compileJsonSchema(text);
        return { canonical: JSON.stringify(JSON.parse(text)), validator };
      } catch (err) {
        if (err instanceof JsonSchemaProblem)
          throw new InvalidSchemaError(subject, err.message, err);
        throw err;
      }
    case 'AVRO': {
      const problem = avroSchemaProblem(text);
      if (problem) throw new InvalidSchemaError(subject, problem);
      return { canonical: JSON.stringify(JSON.parse(text)), validator: null };
    }
    default:
      throw new InvalidSchemaError(
        subject,
        `schemaType ${JSON.stringify(schemaType)} is not supported; use "JSON" or "AVRO"`,
      );
  }
}
