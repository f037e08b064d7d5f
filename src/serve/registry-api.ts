// Confluent Schema Registry's REST API over any SchemaRegistry, so Confluent's serializers,
// clients and tools use Freshet's registry with a base URL (Freshet mounts it at /registry).
// Bodies are application/vnd.schemaregistry.v1+json (application/json is read alike); errors
// are {error_code, message} with Confluent's codes.

import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  InvalidSchemaError,
  parseCompatibilityLevel,
  parseVersion,
  RegistryError,
  SchemaNotFoundError,
  SubjectConfigNotFoundError,
  SubjectNotFoundError,
  type RegisteredSchema,
  type SchemaInput,
  type SchemaRegistry,
  type SchemaType,
} from '../registry/index.js';

export const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** The HTTP status for a Confluent error code: 40401 → 404, 42201 → 422, 409 → 409 … */
export function statusFor(errorCode: number): ContentfulStatusCode {
  const status = errorCode >= 10000 ? Math.floor(errorCode / 100) : errorCode;
  return (status >= 400 && status <= 599 ? status : 500) as ContentfulStatusCode;
}

class BadRequest extends RegistryError {
  constructor(message: string) {
    super(message, 400);
  }
}

const flag = (c: Context, name: string) => c.req.query(name) === 'true';

function send(c: Context, value: unknown, status: ContentfulStatusCode = 200): Response {
  return c.body(JSON.stringify(value), status, { 'Content-Type': REGISTRY_CONTENT_TYPE });
}

function versionView(s: RegisteredSchema) {
  // Confluent leaves schemaType out for Avro, its default.
  return {
    subject: s.subject,
    version: s.version,
    id: s.id,
    ...(s.schemaType === 'AVRO' ? {} : { schemaType: s.schemaType }),
    schema: s.schema,
  };
}

/** Reads a {schema, schemaType?, references?} body. */
async function schemaBody(c: Context, subject: string): Promise<SchemaInput> {
  const text = await c.req.text();
  let body: { schema?: unknown; schemaType?: unknown; references?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch (err) {
    throw new BadRequest(`the request body is not JSON: ${(err as Error).message}`);
  }
  if (typeof body !== 'object' || body === null) throw new BadRequest('expected a JSON object');
  if (typeof body.schema !== 'string' || body.schema.length === 0) {
    throw new InvalidSchemaError(subject, 'the body has no "schema" string (Empty schema)');
  }
  const schemaType = (body.schemaType ?? 'AVRO') as SchemaType;
  if (schemaType !== 'AVRO' && schemaType !== 'JSON') {
    throw new InvalidSchemaError(
      subject,
      `schemaType ${JSON.stringify(body.schemaType)} is not supported; use "AVRO" (the default) or "JSON"`,
    );
  }
  if (Array.isArray(body.references) && body.references.length > 0) {
    throw new InvalidSchemaError(
      subject,
      'schema references are not supported by this registry; inline the referenced types',
    );
  }
  return { schemaType, schema: body.schema };
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  try {
    const body = (await c.req.json()) as unknown;
    if (typeof body === 'object' && body !== null) return body as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new BadRequest('the request body must be a JSON object');
}

function schemaId(raw: string): number {
  const id = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id)) {
    throw new SchemaNotFoundError(`Schema ${raw} not found`);
  }
  return id;
}

async function byId(registry: SchemaRegistry, raw: string): Promise<RegisteredSchema> {
  const schema = await registry.getById(schemaId(raw));
  if (!schema) throw new SchemaNotFoundError(`Schema ${raw} not found`);
  return schema;
}

/**
 * The routes, relative to where they are mounted.
 *
 * @example app.route('/registry', registryRoutes(platform.registry));
 */
export function registryRoutes(registry: SchemaRegistry): Hono {
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof RegistryError) {
      return send(c, { error_code: err.errorCode, message: err.message }, statusFor(err.errorCode));
    }
    return send(
      c,
      { error_code: 50001, message: `Error in the backend data store: ${err.message}` },
      500,
    );
  });

  app.get('/', (c) => send(c, {}));

  app.get('/schemas/types', (c) => send(c, ['JSON', 'AVRO']));

  app.get('/subjects', async (c) => {
    const prefix = c.req.query('subjectPrefix') ?? '';
    const subjects = await registry.subjects({ deleted: flag(c, 'deleted') });
    return send(
      c,
      subjects.filter((s) => s.startsWith(prefix)),
    );
  });

  app.get('/subjects/:subject/versions', async (c) => {
    const subject = c.req.param('subject');
    const versions = await registry.versions(subject, { deleted: flag(c, 'deleted') });
    if (versions.length === 0) throw new SubjectNotFoundError(subject);
    return send(c, versions);
  });

  app.get('/subjects/:subject/versions/:version', async (c) => {
    const found = await registry.getVersion(
      c.req.param('subject'),
      parseVersion(c.req.param('version')),
      { deleted: flag(c, 'deleted') },
    );
    return send(c, versionView(found));
  });

  app.get('/subjects/:subject/versions/:version/schema', async (c) => {
    const found = await registry.getVersion(
      c.req.param('subject'),
      parseVersion(c.req.param('version')),
      { deleted: flag(c, 'deleted') },
    );
    return c.body(found.schema, 200, { 'Content-Type': REGISTRY_CONTENT_TYPE });
  });

  app.get('/subjects/:subject/versions/:version/referencedby', async (c) => {
    // Schema references are not supported, so nothing refers to anything.
    await registry.getVersion(c.req.param('subject'), parseVersion(c.req.param('version')));
    return send(c, []);
  });

  app.post('/subjects/:subject/versions', async (c) => {
    const subject = c.req.param('subject');
    const registered = await registry.register(subject, await schemaBody(c, subject));
    return send(c, { id: registered.id });
  });

  app.post('/subjects/:subject', async (c) => {
    const subject = c.req.param('subject');
    const found = await registry.lookup(subject, await schemaBody(c, subject), {
      deleted: flag(c, 'deleted'),
    });
    return send(c, versionView(found));
  });

  app.delete('/subjects/:subject', async (c) => {
    const deleted = await registry.deleteSubject(c.req.param('subject'), {
      permanent: flag(c, 'permanent'),
    });
    return send(c, deleted);
  });

  app.delete('/subjects/:subject/versions/:version', async (c) => {
    const deleted = await registry.deleteVersion(
      c.req.param('subject'),
      parseVersion(c.req.param('version')),
      { permanent: flag(c, 'permanent') },
    );
    return send(c, deleted);
  });

  app.get('/schemas/ids/:id', async (c) => {
    const schema = await byId(registry, c.req.param('id'));
    return send(c, {
      ...(schema.schemaType === 'AVRO' ? {} : { schemaType: schema.schemaType }),
      schema: schema.schema,
    });
  });

  app.get('/schemas/ids/:id/schema', async (c) => {
    const schema = await byId(registry, c.req.param('id'));
    return c.body(schema.schema, 200, { 'Content-Type': REGISTRY_CONTENT_TYPE });
  });

  app.get('/schemas/ids/:id/versions', async (c) => {
    const schema = await byId(registry, c.req.param('id'));
    return send(c, await registry.subjectVersionsForId(schema.id, { deleted: flag(c, 'deleted') }));
  });

  app.get('/schemas/ids/:id/subjects', async (c) => {
    const schema = await byId(registry, c.req.param('id'));
    const where = await registry.subjectVersionsForId(schema.id, { deleted: flag(c, 'deleted') });
    return send(c, [...new Set(where.map((w) => w.subject))].sort());
  });

  const compatibility = async (c: Context, version: number | 'latest' | undefined) => {
    const subject = c.req.param('subject')!;
    const result = await registry.testCompatibility(subject, await schemaBody(c, subject), version);
    return send(c, {
      is_compatible: result.compatible,
      ...(flag(c, 'verbose') ? { messages: result.messages } : {}),
    });
  };
  app.post('/compatibility/subjects/:subject/versions', (c) => compatibility(c, undefined));
  app.post('/compatibility/subjects/:subject/versions/:version', (c) =>
    compatibility(c, parseVersion(c.req.param('version'))),
  );

  app.get('/config', async (c) =>
    send(c, { compatibilityLevel: await registry.getCompatibility() }),
  );
  app.put('/config', async (c) => {
    const level = parseCompatibilityLevel((await jsonBody(c)).compatibility);
    return send(c, { compatibility: await registry.setCompatibility(level) });
  });
  app.get('/config/:subject', async (c) => {
    const subject = c.req.param('subject');
    const own = await registry.getCompatibility(subject);
    if (own) return send(c, { compatibilityLevel: own });
    if (flag(c, 'defaultToGlobal')) {
      return send(c, { compatibilityLevel: await registry.getCompatibility() });
    }
    throw new SubjectConfigNotFoundError(subject);
  });
  app.put('/config/:subject', async (c) => {
    const level = parseCompatibilityLevel((await jsonBody(c)).compatibility);
    return send(c, {
      compatibility: await registry.setCompatibility(level, c.req.param('subject')),
    });
  });
  app.delete('/config/:subject', async (c) =>
    send(c, { compatibilityLevel: await registry.deleteCompatibility(c.req.param('subject')) }),
  );

  // The registry is always writable; Freshet has no IMPORT or READONLY mode.
  app.get('/mode', (c) => send(c, { mode: 'READWRITE' }));
  app.get('/mode/:subject', (c) => send(c, { mode: 'READWRITE' }));

  app.all('*', (c) => send(c, { error_code: 404, message: 'HTTP 404 Not Found' }, 404));
  return app;
}
