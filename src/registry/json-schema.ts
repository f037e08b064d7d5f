// JSON Schema support: checking a schema when it is registered and validating values against
// it, with ajv. The draft is chosen from `$schema` (draft-07 when absent, as Confluent does).

import { createRequire } from 'node:module';
import {
  Ajv,
  type AnySchema,
  type AnySchemaObject,
  type ErrorObject,
  type ValidateFunction,
} from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { FORMATS } from './json-schema-formats.js';

const require = createRequire(import.meta.url);
/** Beyond this, a value is clearly of the wrong shape and more errors only add noise. */
const MAX_ERRORS = 20;

type Draft = 'draft-06' | 'draft-07' | '2019-09' | '2020-12';

const DRAFTS: Record<string, Draft> = {
  'json-schema.org/draft-06/schema': 'draft-06',
  'json-schema.org/draft-07/schema': 'draft-07',
  'json-schema.org/draft/2019-09/schema': '2019-09',
  'json-schema.org/draft/2020-12/schema': '2020-12',
};

/** Why a schema cannot be used; the registry turns it into InvalidSchemaError. */
export class JsonSchemaProblem extends Error {}

function draftOf(schema: unknown): Draft {
  if (typeof schema !== 'object' || schema === null || !('$schema' in schema)) return 'draft-07';
  const uri = (schema as { $schema: unknown }).$schema;
  if (typeof uri !== 'string') throw new JsonSchemaProblem('"$schema" must be a string');
  const key = uri.replace(/^https?:\/\//, '').replace(/#$/, '');
  const draft = DRAFTS[key];
  if (!draft) {
    throw new JsonSchemaProblem(
      `unsupported "$schema" ${JSON.stringify(uri)}; use draft-07 ` +
        '("http://json-schema.org/draft-07/schema#"), 2019-09 or 2020-12 ' +
        '("https://json-schema.org/draft/2020-12/schema")',
    );
  }
  return draft;
}

// One ajv instance per schema: versions of one subject usually share an `$id`, which a single
// instance would refuse to hold twice.
function newAjv(draft: Draft): Ajv | Ajv2019 | Ajv2020 {
  // strict: false because registered schemas may carry keywords of other tools (javaType,
  // connect.*) that the JSON Schema spec says to ignore; the meta-schema still checks the rest.
  const opts = { allErrors: true, strict: false, logger: false as const, formats: FORMATS };
  switch (draft) {
    case '2020-12':
      return new Ajv2020(opts);
    case '2019-09':
      return new Ajv2019(opts);
    case 'draft-06': {
      const ajv = new Ajv(opts);
      ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json') as AnySchemaObject);
      return ajv;
    }
    case 'draft-07':
      return new Ajv(opts);
  }
}

/** Parses and compiles a JSON Schema, or throws JsonSchemaProblem saying what is wrong. */
export function compileJsonSchema(text: string): ValidateFunction {
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (err) {
    throw new JsonSchemaProblem(`not valid JSON (${(err as Error).message})`);
  }
  if (
    typeof schema !== 'boolean' &&
    (typeof schema !== 'object' || schema === null || Array.isArray(schema))
  ) {
    throw new JsonSchemaProblem('a JSON Schema must be an object (or true/false)');
  }
  const draft = draftOf(schema);
  try {
    return newAjv(draft).compile(schema as AnySchema);
  } catch (err) {
    throw new JsonSchemaProblem((err as Error).message.replace(/^schema is invalid: /, ''));
  }
}

/** Escapes a property name as one JSON pointer segment (RFC 6901). */
function pointerSegment(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}

function describe(e: ErrorObject): string {
  const at = (path: string) => (path === '' ? '(root)' : path);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${e.instancePath}/${pointerSegment(String(params.missingProperty))}: is required`;
    case 'additionalProperties':
      return (
        `${e.instancePath}/${pointerSegment(String(params.additionalProperty))}: ` +
        'is not allowed (the schema does not define this property)'
      );
    case 'enum':
      return `${at(e.instancePath)}: must be one of ${JSON.stringify(params.allowedValues)}`;
    case 'const':
      return `${at(e.instancePath)}: must be ${JSON.stringify(params.allowedValue)}`;
    default:
      return `${at(e.instancePath)}: ${e.message ?? `fails "${e.keyword}"`}`;
  }
}

/** Runs a compiled schema; returns the problems as "<JSON pointer>: <reason>" lines. */
export function validateJson(validate: ValidateFunction, value: unknown): string[] {
  if (validate(value)) return [];
  const lines = [...new Set((validate.errors ?? []).map(describe))];
  if (lines.length > MAX_ERRORS) {
    const more = lines.length - MAX_ERRORS;
    return [...lines.slice(0, MAX_ERRORS), `... and ${more} more`];
  }
  return lines;
}
