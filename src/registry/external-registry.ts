// A Confluent-compatible schema registry elsewhere (Confluent's own, Freshet's /registry API,
// Redpanda, Karapace, Apicurio's compatibility API…), reached over its REST API with fetch.
// It implements the same SchemaRegistry interface as the embedded one; errors come back as
// RegistryErrors with the server's error_code.

import type { ValidateFunction } from 'ajv';
import { parseAvroSchema, validateAvro, type AvroType } from './avro-schema.js';
import { RegistryError } from './errors.js';
import { compileJsonSchema, validateJson } from './json-schema.js';
import type {
  CompatibilityLevel,
  CompatibilityResult,
  ListOptions,
  RegisteredSchema,
  SchemaInput,
  SchemaRegistry,
  SchemaType,
  ValidationResult,
} from './schema-registry.js';

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export interface ExternalRegistryOptions {
  /** Extra headers on every request, e.g. { Authorization: 'Basic …' }. */
  headers?: Record<string, string>;
  /** How long validate() trusts a subject's latest schema before asking again. Default 5 s. */
  latestCacheMs?: number;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface VersionBody {
  subject: string;
  version: number;
  id: number;
  schema: string;
  schemaType?: SchemaType;
}

type Validator = { type: 'JSON'; fn: ValidateFunction } | { type: 'AVRO'; avro: AvroType };

const seg = (s: string | number) => encodeURIComponent(String(s));
const query = (params: Record<string, boolean | undefined>) => {
  const on = Object.entries(params).filter(([, v]) => v);
  return on.length === 0 ? '' : '?' + on.map(([k]) => `${k}=true`).join('&');
};

/**
 * @example
 * const registry = new ExternalRegistry('http://schema-registry:8081');
 * await registry.register('pos.transactions-value', { schemaType: 'AVRO', schema });
 */
export class ExternalRegistry implements SchemaRegistry {
  private readonly base: string;
  private readonly latestCache = new Map<string, { at: number; schema: RegisteredSchema | null }>();
  /** Validations answered from a cached schema while the registry did not answer. */
  staleValidations = 0;
  private readonly validators = new Map<number, Validator>();

  constructor(
    baseUrl: string,
    private readonly opts: ExternalRegistryOptions = {},
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  async register(subject: string, input: SchemaInput): Promise<RegisteredSchema> {
    await this.call<{ id: number }>('POST', `/subjects/${seg(subject)}/versions`, body(input));
    this.latestCache.delete(subject);
    return this.lookup(subject, input);
  }

  async lookup(
    subject: string,
    input: SchemaInput,
    opts: ListOptions = {},
  ): Promise<RegisteredSchema> {
    const found = await this.call<VersionBody>(
      'POST',
      `/subjects/${seg(subject)}${query({ deleted: opts.deleted })}`,
      body(input),
    );
    return view(found);
  }

  async latest(subject: string): Promise<RegisteredSchema | null> {
    try {
      return await this.getVersion(subject, 'latest');
    } catch (err) {
      if (err instanceof RegistryError && (err.errorCode === 40401 || err.errorCode === 40402)) {
        return null;
      }
      throw err;
    }
  }

  async getVersion(
    subject: string,
    version: number | 'latest',
    opts: ListOptions = {},
  ): Promise<RegisteredSchema> {
    return view(
      await this.call<VersionBody>(
        'GET',
        `/subjects/${seg(subject)}/versions/${seg(version)}${query({ deleted: opts.deleted })}`,
      ),
    );
  }

  async getById(id: number): Promise<RegisteredSchema | null> {
    let found: { schema: string; schemaType?: SchemaType };
    try {
      found = await this.call('GET', `/schemas/ids/${seg(id)}`);
    } catch (err) {
      if (err instanceof RegistryError && err.errorCode === 40403) return null;
      throw err;
    }
    let where: Array<{ subject: string; version: number }> = [];
    try {
      where = await this.subjectVersionsForId(id, { deleted: true });
    } catch {
      // Older registries lack /schemas/ids/{id}/versions; the schema itself is what matters.
    }
    return {
      subject: where[0]?.subject ?? '',
      version: where[0]?.version ?? 0,
      id,
      schemaType: found.schemaType ?? 'AVRO',
      schema: found.schema,
    };
  }

  subjectVersionsForId(
    id: number,
    opts: ListOptions = {},
  ): Promise<Array<{ subject: string; version: number }>> {
    return this.call('GET', `/schemas/ids/${seg(id)}/versions${query({ deleted: opts.deleted })}`);
  }

  subjects(opts: ListOptions = {}): Promise<string[]> {
    return this.call('GET', `/subjects${query({ deleted: opts.deleted })}`);
  }

  async versions(subject: string, opts: ListOptions = {}): Promise<number[]> {
    try {
      return await this.call(
        'GET',
        `/subjects/${seg(subject)}/versions${query({ deleted: opts.deleted })}`,
      );
    } catch (err) {
      if (err instanceof RegistryError && err.errorCode === 40401) return [];
      throw err;
    }
  }

  async deleteVersion(
    subject: string,
    version: number | 'latest',
    opts: { permanent?: boolean } = {},
  ): Promise<number> {
    this.latestCache.delete(subject);
    return this.call(
      'DELETE',
      `/subjects/${seg(subject)}/versions/${seg(version)}${query({ permanent: opts.permanent })}`,
    );
  }

  async deleteSubject(subject: string, opts: { permanent?: boolean } = {}): Promise<number[]> {
    this.latestCache.delete(subject);
    return this.call('DELETE', `/subjects/${seg(subject)}${query({ permanent: opts.permanent })}`);
  }

  async getCompatibility(subject?: string): Promise<CompatibilityLevel | null> {
    const path = subject === undefined ? '/config' : `/config/${seg(subject)}`;
    try {
      return (await this.call<{ compatibilityLevel: CompatibilityLevel }>('GET', path))
        .compatibilityLevel;
    } catch (err) {
      if (
        subject !== undefined &&
        err instanceof RegistryError &&
        (err.errorCode === 40408 || err.errorCode === 40401)
      ) {
        return null;
      }
      throw err;
    }
  }

  async setCompatibility(level: CompatibilityLevel, subject?: string): Promise<CompatibilityLevel> {
    const path = subject === undefined ? '/config' : `/config/${seg(subject)}`;
    return (
      await this.call<{ compatibility: CompatibilityLevel }>('PUT', path, {
        compatibility: level,
      })
    ).compatibility;
  }

  async deleteCompatibility(subject: string): Promise<CompatibilityLevel> {
    return (
      await this.call<{ compatibilityLevel: CompatibilityLevel }>(
        'DELETE',
        `/config/${seg(subject)}`,
      )
    ).compatibilityLevel;
  }

  async testCompatibility(
    subject: string,
    input: SchemaInput,
    version?: number | 'latest',
  ): Promise<CompatibilityResult> {
    const path =
      `/compatibility/subjects/${seg(subject)}/versions` +
      (version === undefined ? '' : `/${seg(version)}`) +
      '?verbose=true';
    const result = await this.call<{ is_compatible: boolean; messages?: string[] }>(
      'POST',
      path,
      body(input),
    );
    return { compatible: result.is_compatible, messages: result.messages ?? [] };
  }

  async validate(subject: string, value: unknown): Promise<ValidationResult> {
    const latest = await this.cachedLatest(subject);
    if (!latest) {
      return {
        ok: false,
        schemaId: null,
        errors: [
          `no schema is registered for subject ${JSON.stringify(subject)}; register one first`,
        ],
      };
    }
    let validator = this.validators.get(latest.id);
    if (!validator) {
      validator =
        latest.schemaType === 'AVRO'
          ? { type: 'AVRO', avro: parseAvroSchema(latest.schema) }
          : { type: 'JSON', fn: compileJsonSchema(latest.schema) };
      this.validators.set(latest.id, validator);
    }
    const errors =
      validator.type === 'JSON'
        ? validateJson(validator.fn, value)
        : validateAvro(validator.avro, value);
    return errors.length === 0
      ? { ok: true, schemaId: latest.id }
      : { ok: false, schemaId: latest.id, errors };
  }

  private async cachedLatest(subject: string): Promise<RegisteredSchema | null> {
    const ttl = this.opts.latestCacheMs ?? 5000;
    const hit = this.latestCache.get(subject);
    if (hit && Date.now() - hit.at < ttl) return hit.schema;
    let schema: RegisteredSchema | null;
    try {
      schema = await this.latest(subject);
    } catch (err) {
      // A registry that is down changes no schema: validate against the last one it gave (as
      // Confluent's serializers keep using cached schemas), and ask again after the next ttl.
      // With nothing cached the error stands and the caller pauses.
      if (!hit?.schema || !(err instanceof RegistryError) || !err.retriable) throw err;
      this.latestCache.set(subject, { at: Date.now(), schema: hit.schema });
      this.staleValidations++;
      return hit.schema;
    }
    this.latestCache.set(subject, { at: Date.now(), schema });
    return schema;
  }

  private async call<T>(method: string, path: string, payload?: unknown): Promise<T> {
    const doFetch = this.opts.fetch ?? fetch;
    const url = this.base + path;
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers: {
          Accept: `${CONTENT_TYPE}, application/json`,
          ...(payload === undefined ? {} : { 'Content-Type': CONTENT_TYPE }),
          ...this.opts.headers,
        },
        body: payload === undefined ? undefined : JSON.stringify(payload),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new RegistryError(
        `schema registry at ${this.base} did not answer ${method} ${path}: ${(err as Error).message}`,
        50001,
        { retriable: true, cause: err },
      );
    }
    const text = await res.text();
    let data: unknown;
    try {
      data = text.length === 0 ? null : JSON.parse(text);
    } catch {
      data = null;
    }
    if (!res.ok) {
      const e = data as { error_code?: unknown; message?: unknown } | null;
      const code = typeof e?.error_code === 'number' ? e.error_code : res.status;
      const message =
        typeof e?.message === 'string' ? e.message : `HTTP ${res.status} ${res.statusText}`;
      throw new RegistryError(message, code, { retriable: res.status >= 500 });
    }
    if (data === null && text.length > 0) {
      throw new RegistryError(
        `schema registry at ${this.base} answered ${method} ${path} with something other than JSON`,
        50001,
        { retriable: true },
      );
    }
    return data as T;
  }
}

function body(input: SchemaInput): { schema: string; schemaType?: SchemaType } {
  // Confluent's default type is AVRO, and some registries refuse an explicit "AVRO".
  return input.schemaType === 'AVRO'
    ? { schema: input.schema }
    : { schema: input.schema, schemaType: input.schemaType };
}

function view(b: VersionBody): RegisteredSchema {
  return {
    subject: b.subject,
    version: b.version,
    id: b.id,
    schemaType: b.schemaType ?? 'AVRO',
    schema: b.schema,
  };
}
