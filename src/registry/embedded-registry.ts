// The embedded schema registry: Confluent's data model (subjects, versions, global ids, soft
// and permanent deletes, compatibility levels) kept in one file in the data directory, with
// JSON Schema (ajv) and Avro (avsc) validation of values.

import { mkdir } from 'node:fs/promises';
import type { ValidateFunction } from 'ajv';
import { parseAvroSchema, AvroSchemaProblem, validateAvro, type AvroType } from './avro-schema.js';
import { checkCompatibility, parseCompatibilityLevel } from './compatibility.js';
import {
  IncompatibleSchemaError,
  InvalidSchemaError,
  InvalidSubjectError,
  InvalidVersionError,
  RegistryStoreError,
  SchemaNotFoundError,
  SubjectNotFoundError,
  SubjectNotSoftDeletedError,
  SubjectSoftDeletedError,
  VersionNotFoundError,
  VersionNotSoftDeletedError,
  VersionSoftDeletedError,
} from './errors.js';
import { compileJsonSchema, JsonSchemaProblem, validateJson } from './json-schema.js';
import {
  DEFAULT_COMPATIBILITY,
  type CompatibilityLevel,
  type CompatibilityResult,
  type ListOptions,
  type RegisteredSchema,
  type SchemaInput,
  type SchemaRegistry,
  type SchemaType,
  type ValidationResult,
} from './schema-registry.js';
import { SchemaStore, type RegistryState, type StoredSchema } from './schema-store.js';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const MAX_VERSION = 2 ** 31 - 1;

type Validator = { type: 'JSON'; fn: ValidateFunction } | { type: 'AVRO'; avro: AvroType };

function publicView(e: StoredSchema): RegisteredSchema {
  return {
    subject: e.subject,
    version: e.version,
    id: e.id,
    schemaType: e.schemaType,
    schema: e.schema,
  };
}

/** Checks a version argument: a positive 32-bit integer, "latest", or -1 (Confluent's latest). */
export function parseVersion(version: unknown): number | 'latest' {
  if (version === 'latest' || version === -1 || version === '-1') return 'latest';
  const n = typeof version === 'number' ? version : Number(version);
  if (
    (typeof version === 'number' || (typeof version === 'string' && /^\d+$/.test(version))) &&
    Number.isInteger(n) &&
    n >= 1 &&
    n <= MAX_VERSION
  ) {
    return n;
  }
  throw new InvalidVersionError(String(version));
}

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
  private state: RegistryState = { schemas: [], subjectCompatibility: {}, nextId: 1 };
  /** Subject → its registrations (soft-deleted included), oldest first. */
  private bySubject = new Map<string, StoredSchema[]>();
  /** The first registration of each id (an id shared by subjects names the first one). */
  private byId = new Map<number, StoredSchema>();
  /** `<schemaType> <canonical schema>` → id: the same schema always gets the same id. */
  private idBySchema = new Map<string, number>();
  /** Subject → its latest live version: what validate() reads for every event. */
  private latestLive = new Map<string, StoredSchema>();
  /** Compiled once per id, on first use. */
  private readonly validators = new Map<number, Validator>();
  /** Changes run one at a time, so ids, versions and file writes never interleave. */
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
    registry.install(await registry.store.load());
    return registry;
  }

  register(subject: string, input: SchemaInput): Promise<RegisteredSchema> {
    return this.change(() => this.registerNow(subject, input));
  }

  async lookup(
    subject: string,
    input: SchemaInput,
    opts: ListOptions = {},
  ): Promise<RegisteredSchema> {
    const entries = this.visible(subject, opts.deleted);
    if (entries.length === 0) throw new SubjectNotFoundError(subject);
    const { canonical } = checkSchema(subject, input.schemaType, input.schema);
    const found = entries.find((e) => e.schemaType === input.schemaType && e.schema === canonical);
    if (!found) throw new SchemaNotFoundError('Schema not found');
    return publicView(found);
  }

  async latest(subject: string): Promise<RegisteredSchema | null> {
    const latest = this.visible(subject).at(-1);
    return latest ? publicView(latest) : null;
  }

  async getVersion(
    subject: string,
    version: number | 'latest',
    opts: ListOptions = {},
  ): Promise<RegisteredSchema> {
    const v = parseVersion(version);
    const entries = this.visible(subject, opts.deleted);
    if (entries.length === 0) throw new SubjectNotFoundError(subject);
    const found = v === 'latest' ? entries.at(-1) : entries.find((e) => e.version === v);
    if (!found) throw new VersionNotFoundError(subject, v);
    return publicView(found);
  }

  async getById(id: number): Promise<RegisteredSchema | null> {
    const entry = this.byId.get(id);
    return entry ? publicView(entry) : null;
  }

  async subjectVersionsForId(
    id: number,
    opts: ListOptions = {},
  ): Promise<Array<{ subject: string; version: number }>> {
    return this.state.schemas
      .filter((e) => e.id === id && (opts.deleted || !e.deleted))
      .map((e) => ({ subject: e.subject, version: e.version }));
  }

  async subjects(opts: ListOptions = {}): Promise<string[]> {
    return [...this.bySubject.keys()]
      .filter((s) => this.visible(s, opts.deleted).length > 0)
      .sort();
  }

  async versions(subject: string, opts: ListOptions = {}): Promise<number[]> {
    return this.visible(subject, opts.deleted).map((e) => e.version);
  }

  deleteVersion(
    subject: string,
    version: number | 'latest',
    opts: { permanent?: boolean } = {},
  ): Promise<number> {
    return this.change(async () => {
      const v = parseVersion(version);
      const permanent = opts.permanent ?? false;
      const all = this.bySubject.get(subject) ?? [];
      const visible = this.visible(subject, permanent);
      if (visible.length === 0) throw new SubjectNotFoundError(subject);
      const target = v === 'latest' ? visible.at(-1) : all.find((e) => e.version === v);
      if (!target) throw new VersionNotFoundError(subject, v);
      if (permanent && !target.deleted) {
        throw new VersionNotSoftDeletedError(subject, target.version);
      }
      if (!permanent && target.deleted) throw new VersionSoftDeletedError(subject, target.version);
      const schemas = permanent
        ? this.state.schemas.filter((e) => e !== target)
        : this.state.schemas.map((e) => (e === target ? { ...e, deleted: true } : e));
      await this.commit({ ...this.state, schemas });
      return target.version;
    });
  }

  deleteSubject(subject: string, opts: { permanent?: boolean } = {}): Promise<number[]> {
    return this.change(async () => {
      const all = this.bySubject.get(subject) ?? [];
      if (all.length === 0) throw new SubjectNotFoundError(subject);
      const live = all.filter((e) => !e.deleted);
      if (opts.permanent) {
        if (live.length > 0) throw new SubjectNotSoftDeletedError(subject);
        const { [subject]: _, ...subjectCompatibility } = this.state.subjectCompatibility;
        await this.commit({
          ...this.state,
          schemas: this.state.schemas.filter((e) => e.subject !== subject),
          subjectCompatibility,
        });
        return all.map((e) => e.version);
      }
      if (live.length === 0) throw new SubjectSoftDeletedError(subject);
      await this.commit({
        ...this.state,
        schemas: this.state.schemas.map((e) =>
          e.subject === subject && !e.deleted ? { ...e, deleted: true } : e,
        ),
      });
      return live.map((e) => e.version);
    });
  }

  async getCompatibility(subject?: string): Promise<CompatibilityLevel | null> {
    if (subject === undefined) return this.state.compatibility ?? DEFAULT_COMPATIBILITY;
    return this.state.subjectCompatibility[subject] ?? null;
  }

  setCompatibility(level: CompatibilityLevel, subject?: string): Promise<CompatibilityLevel> {
    return this.change(async () => {
      const checked = parseCompatibilityLevel(level);
      if (subject !== undefined) checkSubject(subject);
      await this.commit(
        subject === undefined
          ? { ...this.state, compatibility: checked }
          : {
              ...this.state,
              subjectCompatibility: { ...this.state.subjectCompatibility, [subject]: checked },
            },
      );
      return checked;
    });
  }

  deleteCompatibility(subject: string): Promise<CompatibilityLevel> {
    return this.change(async () => {
      const { [subject]: old, ...subjectCompatibility } = this.state.subjectCompatibility;
      if (old === undefined) {
        if (this.visible(subject).length === 0) throw new SubjectNotFoundError(subject);
        return this.state.compatibility ?? DEFAULT_COMPATIBILITY;
      }
      await this.commit({ ...this.state, subjectCompatibility });
      return old;
    });
  }

  async testCompatibility(
    subject: string,
    input: SchemaInput,
    version?: number | 'latest',
  ): Promise<CompatibilityResult> {
    const { canonical } = checkSchema(subject, input.schemaType, input.schema);
    const candidate = { schemaType: input.schemaType, schema: canonical };
    const level = this.levelOf(subject);
    const live = this.visible(subject);
    let messages: string[];
    if (version === undefined || parseVersion(version) === 'latest') {
      messages = checkCompatibility(level, candidate, live);
    } else {
      const one = await this.getVersion(subject, version);
      const single = level.replace('_TRANSITIVE', '') as CompatibilityLevel;
      messages = checkCompatibility(single, candidate, [one]);
    }
    return { compatible: messages.length === 0, messages };
  }

  async validate(subject: string, value: unknown): Promise<ValidationResult> {
    const latest = this.latestLive.get(subject);
    if (!latest) {
      return {
        ok: false,
        schemaId: null,
        errors: [
          `no schema is registered for subject ${JSON.stringify(subject)}; register one first`,
        ],
      };
    }
    const validator = this.validatorFor(latest);
    const errors =
      validator.type === 'JSON'
        ? validateJson(validator.fn, value)
        : validateAvro(validator.avro, value);
    return errors.length === 0
      ? { ok: true, schemaId: latest.id }
      : { ok: false, schemaId: latest.id, errors };
  }

  /** The level that governs `subject`: its own, else the global one. */
  private levelOf(subject: string): CompatibilityLevel {
    return (
      this.state.subjectCompatibility[subject] ?? this.state.compatibility ?? DEFAULT_COMPATIBILITY
    );
  }

  /** The subject's live versions, or all of them with `deleted`. */
  private visible(subject: string, deleted = false): StoredSchema[] {
    const all = this.bySubject.get(subject) ?? [];
    return deleted ? all : all.filter((e) => !e.deleted);
  }

  private change<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.writes.then(fn);
    this.writes = result.catch(() => undefined);
    return result;
  }

  private async registerNow(subject: string, input: SchemaInput): Promise<RegisteredSchema> {
    checkSubject(subject);
    const { schemaType } = input;
    const { canonical, validator } = checkSchema(subject, schemaType, input.schema);
    const all = this.bySubject.get(subject) ?? [];
    const live = all.filter((e) => !e.deleted);
    const existing = live.find((e) => e.schemaType === schemaType && e.schema === canonical);
    if (existing) return publicView(existing);

    const messages = checkCompatibility(
      this.levelOf(subject),
      { schemaType, schema: canonical },
      live,
    );
    if (messages.length > 0) throw new IncompatibleSchemaError(subject, messages);

    const knownId = this.idBySchema.get(`${schemaType} ${canonical}`);
    const entry: StoredSchema = {
      subject,
      version: all.reduce((max, e) => Math.max(max, e.version), 0) + 1,
      id: knownId ?? this.state.nextId,
      schemaType,
      schema: canonical,
    };
    // Durable first, visible second: a failed write leaves the registry as it was.
    await this.commit({
      ...this.state,
      schemas: [...this.state.schemas, entry],
      nextId: knownId === undefined ? this.state.nextId + 1 : this.state.nextId,
    });
    if (!this.validators.has(entry.id)) this.validators.set(entry.id, validator);
    return publicView(entry);
  }

  private async commit(state: RegistryState): Promise<void> {
    await this.store.save(state);
    this.install(state);
  }

  private install(state: RegistryState): void {
    this.state = state;
    this.bySubject = new Map();
    this.byId = new Map();
    this.idBySchema = new Map();
    for (const entry of state.schemas) {
      const versions = this.bySubject.get(entry.subject);
      if (versions) versions.push(entry);
      else this.bySubject.set(entry.subject, [entry]);
      if (!this.byId.has(entry.id)) this.byId.set(entry.id, entry);
      this.idBySchema.set(`${entry.schemaType} ${entry.schema}`, entry.id);
    }
    this.latestLive = new Map();
    for (const [subject, versions] of this.bySubject) {
      versions.sort((a, b) => a.version - b.version);
      const live = versions.filter((e) => !e.deleted).at(-1);
      if (live) this.latestLive.set(subject, live);
    }
    for (const id of this.validators.keys()) if (!this.byId.has(id)) this.validators.delete(id);
  }

  private validatorFor(entry: RegisteredSchema): Validator {
    let validator = this.validators.get(entry.id);
    if (!validator) {
      // Registered schemas were checked when they were registered; a failure here means the
      // file was edited by hand.
      validator = checkSchema(entry.subject, entry.schemaType, entry.schema).validator;
      this.validators.set(entry.id, validator);
    }
    return validator;
  }
}

function checkSubject(subject: string): void {
  if (typeof subject !== 'string' || subject.length === 0 || CONTROL_CHARS.test(subject)) {
    throw new InvalidSubjectError(subject);
  }
}

/**
 * Checks a schema for its type and returns its canonical text (JSON without insignificant
 * whitespace, keys in their order, as Confluent compares schemas) and its compiled validator.
 */
export function checkSchema(
  subject: string,
  schemaType: SchemaType,
  text: string,
): { canonical: string; validator: Validator } {
  if (typeof text !== 'string')
    throw new InvalidSchemaError(subject, 'the schema must be a string');
  switch (schemaType) {
    case 'JSON':
      try {
        const fn = compileJsonSchema(text);
        return { canonical: JSON.stringify(JSON.parse(text)), validator: { type: 'JSON', fn } };
      } catch (err) {
        if (err instanceof JsonSchemaProblem)
          throw new InvalidSchemaError(subject, err.message, err);
        throw err;
      }
    case 'AVRO':
      try {
        const avro = parseAvroSchema(text);
        return { canonical: JSON.stringify(JSON.parse(text)), validator: { type: 'AVRO', avro } };
      } catch (err) {
        if (err instanceof AvroSchemaProblem)
          throw new InvalidSchemaError(subject, err.message, err);
        throw err;
      }
    default:
      throw new InvalidSchemaError(
        subject,
        `schemaType ${JSON.stringify(schemaType)} is not supported; use "JSON" or "AVRO"`,
      );
  }
}
