// The schema registry part: the interface, the embedded implementation, subject naming, errors.
export type {
  RegisteredSchema,
  SchemaRegistry,
  SchemaType,
  ValidationResult,
} from './schema-registry.js';
export { EmbeddedRegistry } from './embedded-registry.js';
export { keySubjectForTopic, subjectForTopic } from './subject-naming.js';
export {
  InvalidSchemaError,
  InvalidSubjectError,
  RegistryError,
  RegistryStoreError,
} from './errors.js';
