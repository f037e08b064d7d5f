// Avro schema resolution (the Avro spec's rules, as Java's org.apache.avro.SchemaCompatibility
// applies them and Confluent's registry reports them): can data written with `writer` be read
// with `reader`? Works on parsed avsc types, so named-type references and recursive types are
// already resolved.

import type avro from 'avsc';
import type { AvroType } from './avro-schema.js';

export type AvroIncompatibilityType =
  | 'NAME_MISMATCH'
  | 'FIXED_SIZE_MISMATCH'
  | 'MISSING_ENUM_SYMBOLS'
  | 'READER_FIELD_MISSING_DEFAULT_VALUE'
  | 'TYPE_MISMATCH'
  | 'MISSING_UNION_BRANCH';

export interface AvroIncompatibility {
  type: AvroIncompatibilityType;
  /** JSON pointer into the reader schema, e.g. "/fields/2/type". */
  path: string;
  /** What Java's SchemaCompatibility puts in the message (Confluent's `additionalInfo`). */
  info: string;
}

/** Which schema is "new" in the messages: the reader when checking backward, else the writer. */
export interface Labels {
  reader: string;
  writer: string;
}

const PRIMITIVES = new Set([
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
]);
/** Reader type → writer types it can read by promotion (Avro spec, "Schema Resolution"). */
const PROMOTIONS: Record<string, string[]> = {
  long: ['int'],
  float: ['int', 'long'],
  double: ['int', 'long', 'float'],
  string: ['bytes'],
  bytes: ['string'],
};

function kind(t: AvroType): string {
  return t.typeName.startsWith('union') ? 'union' : t.typeName;
}

/** Java prints Schema.Type names in upper case. */
function upper(t: AvroType): string {
  return kind(t).toUpperCase();
}

function shortName(name: string | undefined): string | undefined {
  return name === undefined ? undefined : name.slice(name.lastIndexOf('.') + 1);
}

/** Java's schemaNameEquals: same unqualified name, or a reader alias naming the writer. */
function namesMatch(reader: AvroType, writer: AvroType): boolean {
  if (shortName(reader.name) === shortName(writer.name)) return true;
  return (reader.aliases ?? []).includes(writer.name ?? '');
}

function fieldsOf(t: AvroType): avro.types.Field[] {
  return (t as avro.types.RecordType).fields;
}

function unionTypes(t: AvroType): AvroType[] {
  return (t as avro.types.UnwrappedUnionType).types;
}

class Checker {
  /** Pairs being checked further up: a recursive type is assumed compatible with itself. */
  private readonly inProgress = new Set<string>();
  private readonly ids = new Map<AvroType, number>();

  private id(t: AvroType): number {
    let id = this.ids.get(t);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(t, id);
    }
    return id;
  }

  check(reader: AvroType, writer: AvroType, path: string[]): AvroIncompatibility[] {
    const key = `${this.id(reader)}:${this.id(writer)}`;
    if (this.inProgress.has(key)) return [];
    this.inProgress.add(key);
    try {
      return this.compare(reader, writer, path);
    } finally {
      this.inProgress.delete(key);
    }
  }

  private compare(reader: AvroType, writer: AvroType, path: string[]): AvroIncompatibility[] {
    const at = (...more: string[]) => '/' + [...path, ...more].join('/');
    const rk = kind(reader);
    const wk = kind(writer);
    const mismatch = (): AvroIncompatibility[] => [
      {
        type: 'TYPE_MISMATCH',
        path: at(),
        info: `reader type: ${upper(reader)} not compatible with writer type: ${upper(writer)}`,
      },
    ];

    if (rk === wk) {
      if (PRIMITIVES.has(rk)) return [];
      switch (rk) {
        case 'array':
          return this.check(
            (reader as avro.types.ArrayType).itemsType,
            (writer as avro.types.ArrayType).itemsType,
            [...path, 'items'],
          );
        case 'map':
          return this.check(
            (reader as avro.types.MapType).valuesType as AvroType,
            (writer as avro.types.MapType).valuesType as AvroType,
            [...path, 'values'],
          );
        case 'fixed': {
          if (!namesMatch(reader, writer)) {
            return [{ type: 'NAME_MISMATCH', path: at('name'), info: `expected: ${writer.name}` }];
          }
          const rs = (reader as avro.types.FixedType).size;
          const ws = (writer as avro.types.FixedType).size;
          return rs === ws
            ? []
            : [
                {
                  type: 'FIXED_SIZE_MISMATCH',
                  path: at('size'),
                  info: `expected: ${ws}, found: ${rs}`,
                },
              ];
        }
        case 'enum': {
          if (!namesMatch(reader, writer)) {
            return [{ type: 'NAME_MISMATCH', path: at('name'), info: `expected: ${writer.name}` }];
          }
          const symbols = (reader as avro.types.EnumType).symbols;
          const missing = (writer as avro.types.EnumType).symbols.filter(
            (s) => !symbols.includes(s),
          );
          // A reader default (Avro 1.9+) stands in for the symbols it does not know.
          const readerDefault = (reader as unknown as { default?: string }).default;
          if (
            missing.length === 0 ||
            (readerDefault !== undefined && symbols.includes(readerDefault))
          ) {
            return [];
          }
          return [
            {
              type: 'MISSING_ENUM_SYMBOLS',
              path: at('symbols'),
              info: `[${[...missing].sort().join(', ')}]`,
            },
          ];
        }
        case 'record':
          return this.records(reader, writer, path);
        case 'union': {
          // Every branch the writer may have used must be readable.
          const out: AvroIncompatibility[] = [];
          unionTypes(writer).forEach((branch, i) => {
            if (this.check(reader, branch, [...path, String(i)]).length > 0) {
              out.push({
                type: 'MISSING_UNION_BRANCH',
                path: at(String(i)),
                info: `reader union lacking writer type: ${upper(branch)}`,
              });
            }
          });
          return out;
        }
        default:
          return mismatch();
      }
    }

    // Different types. A writer union is readable when each of its branches is.
    if (wk === 'union') {
      const out: AvroIncompatibility[] = [];
      unionTypes(writer).forEach((branch, i) => {
        out.push(...this.check(reader, branch, [...path, String(i)]));
      });
      return out;
    }
    if (rk === 'union') {
      // Some reader branch must read the writer's type.
      const found = unionTypes(reader).some(
        (branch) => this.check(branch, writer, path).length === 0,
      );
      return found
        ? []
        : [
            {
              type: 'MISSING_UNION_BRANCH',
              path: at(),
              info: `reader union lacking writer type: ${upper(writer)}`,
            },
          ];
    }
    if (PROMOTIONS[rk]?.includes(wk)) return [];
    return mismatch();
  }

  private records(reader: AvroType, writer: AvroType, path: string[]): AvroIncompatibility[] {
    if (!namesMatch(reader, writer)) {
      return [
        {
          type: 'NAME_MISMATCH',
          path: '/' + [...path, 'name'].join('/'),
          info: `expected: ${writer.name}`,
        },
      ];
    }
    const writerFields = fieldsOf(writer);
    const out: AvroIncompatibility[] = [];
    fieldsOf(reader).forEach((field, i) => {
      const here = [...path, 'fields', String(i)];
      const writerField =
        writerFields.find((f) => f.name === field.name) ??
        writerFields.find((f) => (field.aliases ?? []).includes(f.name));
      if (!writerField) {
        if (field.defaultValue() === undefined) {
          out.push({
            type: 'READER_FIELD_MISSING_DEFAULT_VALUE',
            path: '/' + here.join('/'),
            info: field.name,
          });
        }
        return;
      }
      out.push(...this.check(field.type, writerField.type, [...here, 'type']));
    });
    return out;
  }
}

/** Every reason `reader` cannot read data written with `writer`; [] when it can. */
export function avroIncompatibilities(reader: AvroType, writer: AvroType): AvroIncompatibility[] {
  return new Checker().check(reader, writer, []);
}

/**
 * One incompatibility as Confluent words it, e.g. {errorType:'READER_FIELD_MISSING_DEFAULT_VALUE',
 * description:'The field 'x' at path '/fields/1' in the new schema has no default value and is
 * missing in the old schema', additionalInfo:'x'}.
 */
export function describeAvroIncompatibility(i: AvroIncompatibility, labels: Labels): string {
  const { reader, writer } = labels;
  let description: string;
  switch (i.type) {
    case 'READER_FIELD_MISSING_DEFAULT_VALUE':
      description = `The field '${i.info}' at path '${i.path}' in the ${reader} schema has no default value and is missing in the ${writer} schema`;
      break;
    case 'TYPE_MISMATCH':
      description = `The type (path '${i.path}') of a field in the ${reader} schema does not match with the ${writer} schema`;
      break;
    case 'MISSING_ENUM_SYMBOLS':
      description = `The ${reader} schema is missing enum symbols '${i.info}' at path '${i.path}' in the ${writer} schema`;
      break;
    case 'MISSING_UNION_BRANCH':
      description = `The ${reader} schema is missing a type inside a union field at path '${i.path}' in the ${writer} schema`;
      break;
    case 'NAME_MISMATCH':
      description = `The name of the schema has changed (path '${i.path}')`;
      break;
    case 'FIXED_SIZE_MISMATCH':
      description = `The size of FIXED type field at path '${i.path}' in the ${reader} schema does not match with the ${writer} schema`;
      break;
  }
  return `{errorType:'${i.type}', description:'${description}', additionalInfo:'${i.info}'}`;
}
