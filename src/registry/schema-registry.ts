// The schema registry every topic is guarded by. Two implementations stand behind this
// interface: the embedded one (a file in the data directory) and, from issue 5, any external
// Confluent-compatible registry over its REST API. Field names follow Confluent's API.

export type SchemaType = 'JSON' | 'AVRO';

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

export type ValidationResult =
  | { ok: true; schemaId: number }
  /** `schemaId` is null when the subject has no schema at all. */
  | { ok: false; schemaId: number | null; errors: string[] };

export interface SchemaRegistry {
  /**
   * Registers `schema` under `subject`. Registering a schema the subject already has returns
   * the existing version and id; a new one becomes the next version. An invalid schema is
   * refused with InvalidSchemaError (Confluent error code 42201).
   */
  register(
    subject: string,
    schema: { schemaType: SchemaType; schema: string },
  ): Promise<RegisteredSchema>;
  latest(subject: string): Promise<RegisteredSchema | null>;
  getById(id: number): Promise<RegisteredSchema | null>;
  subjects(): Promise<string[]>;
  versions(subject: string): Promise<number[]>;
  /**
   * Checks a decoded value against the subject's latest schema. Each error names the field
   * by JSON pointer and the reason, e.g. "/lines/0/qty: must be >= 1".
   */
  validate(subject: string, value: unknown): Promise<ValidationResult>;
}
