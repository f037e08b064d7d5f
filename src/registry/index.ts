// The schema registry part: the interface, the embedded and external implementations,
// compatibility checks, the wire format, subject naming, errors.
export type {
  CompatibilityLevel,
  CompatibilityResult,
  ListOptions,
  RegisteredSchema,
  SchemaInput,
  SchemaRegistry,
  SchemaType,
  ValidationResult,
} from './schema-registry.js';
export { COMPATIBILITY_LEVELS, DEFAULT_COMPATIBILITY } from './schema-registry.js';
export { EmbeddedRegistry, parseVersion } from './embedded-registry.js';
export { ExternalRegistry, type ExternalRegistryOptions } from './external-registry.js';
export { checkCompatibility, parseCompatibilityLevel } from './compatibility.js';
export {
  decodeWire,
  encodeWire,
  unframe,
  MAGIC_BYTE,
  WireFormatError,
  WireSerde,
  type Decoded,
} from './wire-format.js';
export { keySubjectForTopic, subjectForTopic } from './subject-naming.js';
export {
  IncompatibleSchemaError,
  InvalidCompatibilityLevelError,
  InvalidSchemaError,
  InvalidSubjectError,
  InvalidVersionError,
  RegistryError,
  RegistryStoreError,
  SchemaNotFoundError,
  SubjectConfigNotFoundError,
  SubjectNotFoundError,
  SubjectNotSoftDeletedError,
  SubjectSoftDeletedError,
  VersionNotFoundError,
  VersionNotSoftDeletedError,
  VersionSoftDeletedError,
} from './errors.js';
