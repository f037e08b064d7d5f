export { FileDropSource, fileEventId, formatOf } from './file-drop-source.js';
export type { FileDropSourceOptions, FileDropStatus, FileFormat } from './file-drop-source.js';
export type { CsvOptions } from './csv-reader.js';
export { inferSchema, coerceText } from './schema-types.js';
export type { JsonSchema } from './schema-types.js';
