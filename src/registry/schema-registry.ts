// The schema registry every topic is guarded by. Two implementations stand behind this
// interface: the embedded one (a file in the data directory) and any external
// Confluent-compatible registry over its REST API (ExternalRegistry). Field names follow
// Confluent's API; failures are RegistryErrors carrying Confluent's error codes.

export type SchemaType = 'JSON' | 'AVRO';

export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;

export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

/** Confluent's default global level. */
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

export interface RegisteredSchema {
  subject: string;
  /** Per subject, from 1. */
  version: number;
  /** Global across subjects; the same schema in two subjects has the same id (as Confluent). */
  id: number;
  schemaType: SchemaType;
  /** The schema text in canonical form (JSON without insignificant whitespace). */
  schema: string;
}

export interface SchemaInput {
  schemaType: SchemaType;
  schema: string;
}

export type ValidationResult =
  | { ok: true; schemaId: number }
  /** `schemaId` is null when the subject has no schema at all. */
  | { ok: false; schemaId: number | null; errors: string[] };

export interface CompatibilityResult {
  compatible: boolean;
  /** Confluent-style details of each incompatibility; [] when compatible. */
  messages: string[];
}

/** `deleted: true` includes soft-deleted subjects and versions, as Confluent's `?deleted=true`. */
export interface ListOptions {
  deleted?: boolean;
}

export interface SchemaRegistry {
  /**
   * Registers `schema` under `subject`. Registering a schema the subject already has returns
   * the existing version and id; a new one becomes the next version, after a check against the
   * subject's compatibility level (IncompatibleSchemaError, code 409, when it fails). An
   * invalid schema is refused with InvalidSchemaError (Confluent error code 42201).
   */
  register(subject: string, schema: SchemaInput): Promise<RegisteredSchema>;
  /** The version of `subject` holding this schema; SubjectNotFoundError / SchemaNotFoundError. */
  lookup(subject: string, schema: SchemaInput, opts?: ListOptions): Promise<RegisteredSchema>;
  /** The latest live version, or null when the subject has none. */
  latest(subject: string): Promise<RegisteredSchema | null>;
  /** One version; SubjectNotFoundError, VersionNotFoundError. */
  getVersion(
    subject: string,
    version: number | 'latest',
    opts?: ListOptions,
  ): Promise<RegisteredSchema>;
  /** The schema with this global id (also when its versions are soft-deleted), or null. */
  getById(id: number): Promise<RegisteredSchema | null>;
  /** Every subject and version that uses schema `id`. */
  subjectVersionsForId(
    id: number,
    opts?: ListOptions,
  ): Promise<Array<{ subject: string; version: number }>>;
  subjects(opts?: ListOptions): Promise<string[]>;
  /** The subject's versions, oldest first; [] for an unknown subject. */
  versions(subject: string, opts?: ListOptions): Promise<number[]>;
  /**
   * Deletes one version: soft by default (hidden, its id kept), permanent (gone) only after a
   * soft delete, as Confluent. Returns the version deleted.
   */
  deleteVersion(
    subject: string,
    version: number | 'latest',
    opts?: { permanent?: boolean },
  ): Promise<number>;
  /** Deletes every version of a subject (soft, then permanent); returns the versions deleted. */
  deleteSubject(subject: string, opts?: { permanent?: boolean }): Promise<number[]>;
  /** The global level (no subject), or the subject's own level (null when it has none). */
  getCompatibility(subject?: string): Promise<CompatibilityLevel | null>;
  /** Sets the global level (no subject) or the subject's; InvalidCompatibilityLevelError. */
  setCompatibility(level: CompatibilityLevel, subject?: string): Promise<CompatibilityLevel>;
  /** Removes the subject's own level (it follows the global one again); returns the old one. */
  deleteCompatibility(subject: string): Promise<CompatibilityLevel>;
  /**
   * Would `schema` be accepted under `subject`? With `version` undefined or 'latest', against
   * what the subject's level checks at registration (the latest, or every live version for a
   * transitive level); with a number, against that version only.
   */
  testCompatibility(
    subject: string,
    schema: SchemaInput,
    version?: number | 'latest',
  ): Promise<CompatibilityResult>;
  /**
   * Checks a decoded value against the subject's latest schema. Each error names the field
   * by JSON pointer and the reason, e.g. "/lines/0/qty: must be >= 1".
   */
  validate(subject: string, value: unknown): Promise<ValidationResult>;
}
