import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedRegistry, ExternalRegistry, WireSerde } from '../registry/index.js';
import { registryRoutes, statusFor } from './registry-api.js';

let dir: string;
let app: Hono;
let registry: EmbeddedRegistry;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-registry-api-'));
  registry = await EmbeddedRegistry.open(dir);
  app = new Hono();
  app.route('/registry', registryRoutes(registry));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CT = 'application/vnd.schemaregistry.v1+json';
async function call(method: string, path: string, body?: unknown) {
  const res = await app.request(`/registry${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': CT },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // raw text
  }
  return { status: res.status, type: res.headers.get('content-type'), body: json as never };
}

const user = (fields: unknown[] = []) =>
  JSON.stringify({
    type: 'record',
    name: 'User',
    fields: [{ name: 'id', type: 'int' }, ...fields],
  });

describe('registry REST API', () => {
  it('registers, lists, reads versions and ids, with Confluent content type', async () => {
    const r = await call('POST', '/subjects/users-value/versions', { schema: user() });
    expect(r).toMatchObject({ status: 200, type: CT, body: { id: 1 } });
    const json = JSON.stringify({ type: 'object', properties: { a: { type: 'string' } } });
    expect(
      (await call('POST', '/subjects/j-value/versions', { schema: json, schemaType: 'JSON' })).body,
    ).toEqual({ id: 2 });
    // The same schema under a second subject reuses its id.
    expect((await call('POST', '/subjects/other-value/versions', { schema: user() })).body).toEqual(
      { id: 1 },
    );
    expect((await call('GET', '/subjects')).body).toEqual([
      'j-value',
      'other-value',
      'users-value',
    ]);
    expect((await call('GET', '/subjects?subjectPrefix=users')).body).toEqual(['users-value']);
    expect((await call('GET', '/subjects/users-value/versions')).body).toEqual([1]);
    expect((await call('GET', '/subjects/users-value/versions/latest')).body).toEqual({
      subject: 'users-value',
      version: 1,
      id: 1,
      schema: user(),
    });
    expect((await call('GET', '/subjects/j-value/versions/1')).body).toMatchObject({
      schemaType: 'JSON',
    });
    expect((await call('GET', '/subjects/users-value/versions/1/schema')).body).toEqual(
      JSON.parse(user()),
    );
    expect((await call('GET', '/schemas/ids/2')).body).toEqual({
      schemaType: 'JSON',
      schema: json,
    });
    expect((await call('GET', '/schemas/ids/1/schema')).body).toEqual(JSON.parse(user()));
    // In registration order.
    expect((await call('GET', '/schemas/ids/1/versions')).body).toEqual([
      { subject: 'users-value', version: 1 },
      { subject: 'other-value', version: 1 },
    ]);
    expect((await call('GET', '/schemas/ids/1/subjects')).body).toEqual([
      'other-value',
      'users-value',
    ]);
    expect((await call('POST', '/subjects/users-value', { schema: user() })).body).toMatchObject({
      subject: 'users-value',
      version: 1,
      id: 1,
    });
    expect((await call('GET', '/schemas/types')).body).toEqual(['JSON', 'AVRO']);
    expect((await call('GET', '/mode')).body).toEqual({ mode: 'READWRITE' });
    // application/json is read alike.
    const res = await app.request('/registry/subjects/users-value/versions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ schema: user() }),
    });
    expect(await res.json()).toEqual({ id: 1 });
  });

  it('answers errors with Confluent codes', async () => {
    await call('POST', '/subjects/users-value/versions', { schema: user() });
    const cases: Array<[string, string, unknown, number, number]> = [
      ['GET', '/subjects/nope/versions', undefined, 404, 40401],
      ['GET', '/subjects/nope/versions/1', undefined, 404, 40401],
      ['GET', '/subjects/users-value/versions/9', undefined, 404, 40402],
      ['GET', '/subjects/users-value/versions/0', undefined, 422, 42202],
      ['GET', '/subjects/users-value/versions/abc', undefined, 422, 42202],
      ['GET', '/schemas/ids/99', undefined, 404, 40403],
      ['POST', '/subjects/users-value', { schema: user([{ name: 'x', type: 'int' }]) }, 404, 40403],
      ['POST', '/subjects/nope', { schema: user() }, 404, 40401],
      ['POST', '/subjects/users-value/versions', { schema: '{"type": "recrd"}' }, 422, 42201],
      [
        'POST',
        '/subjects/users-value/versions',
        { schema: user(), schemaType: 'PROTOBUF' },
        422,
        42201,
      ],
      ['POST', '/subjects/users-value/versions', 'not json', 400, 400],
      ['PUT', '/config/users-value', { compatibility: 'SIDEWAYS' }, 422, 42203],
      ['GET', '/config/users-value', undefined, 404, 40408],
      ['DELETE', '/subjects/users-value?permanent=true', undefined, 404, 40405],
      ['GET', '/no/such/route', undefined, 404, 404],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await call(method, path, body);
      expect({
        method,
        path,
        status: r.status,
        code: (r.body as { error_code: number }).error_code,
      }).toEqual({
        method,
        path,
        status,
        code,
      });
      expect(typeof (r.body as { message: unknown }).message).toBe('string');
    }
    const conflict = await call('POST', '/subjects/users-value/versions', {
      schema: user([{ name: 'name', type: 'string' }]),
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({
      error_code: 409,
      message: expect.stringContaining("errorType:'READER_FIELD_MISSING_DEFAULT_VALUE'"),
    });
    expect(statusFor(50001)).toBe(500);
  });

  it('checks compatibility, sets levels, deletes soft then permanently', async () => {
    await call('POST', '/subjects/u/versions', { schema: user() });
    const breaking = { schema: user([{ name: 'name', type: 'string' }]) };
    expect(
      (await call('POST', '/compatibility/subjects/u/versions/latest', breaking)).body,
    ).toEqual({ is_compatible: false });
    const verbose = await call(
      'POST',
      '/compatibility/subjects/u/versions/latest?verbose=true',
      breaking,
    );
    expect(verbose.body).toMatchObject({
      is_compatible: false,
      messages: expect.arrayContaining(['{oldSchemaVersion: 1}']),
    });
    expect((await call('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('GET', '/config/u?defaultToGlobal=true')).body).toEqual({
      compatibilityLevel: 'BACKWARD',
    });
    expect((await call('PUT', '/config/u', { compatibility: 'none' })).body).toEqual({
      compatibility: 'NONE',
    });
    expect((await call('GET', '/config/u')).body).toEqual({ compatibilityLevel: 'NONE' });
    expect((await call('POST', '/subjects/u/versions', breaking)).body).toEqual({ id: 2 });
    expect((await call('DELETE', '/config/u')).body).toEqual({ compatibilityLevel: 'NONE' });
    expect((await call('PUT', '/config', { compatibility: 'FULL' })).body).toEqual({
      compatibility: 'FULL',
    });

    expect((await call('DELETE', '/subjects/u/versions/1')).body).toBe(1);
    expect((await call('GET', '/subjects/u/versions')).body).toEqual([2]);
    expect((await call('GET', '/subjects/u/versions?deleted=true')).body).toEqual([1, 2]);
    expect((await call('DELETE', '/subjects/u/versions/1?permanent=true')).body).toBe(1);
    expect((await call('DELETE', '/subjects/u')).body).toEqual([2]);
    expect((await call('GET', '/subjects')).body).toEqual([]);
    expect((await call('GET', '/subjects?deleted=true')).body).toEqual(['u']);
    expect((await call('DELETE', '/subjects/u')).body).toMatchObject({ error_code: 40404 });
    expect((await call('DELETE', '/subjects/u?permanent=true')).body).toEqual([2]);
    expect((await call('GET', '/subjects?deleted=true')).body).toEqual([]);
  });
});

describe('ExternalRegistry against the REST API', () => {
  it('implements the same interface over HTTP, errors included', async () => {
    const external = new ExternalRegistry('http://registry.test/registry/', {
      fetch: (input, init) => Promise.resolve(app.request(String(input), init)),
      latestCacheMs: 0,
    });
    const v1 = await external.register('u-value', { schemaType: 'AVRO', schema: user() });
    expect(v1).toEqual({
      subject: 'u-value',
      version: 1,
      id: 1,
      schemaType: 'AVRO',
      schema: user(),
    });
    const json = JSON.stringify({
      type: 'object',
      required: ['n'],
      properties: { n: { type: 'integer' } },
    });
    expect(await external.register('j-value', { schemaType: 'JSON', schema: json })).toMatchObject({
      id: 2,
      schemaType: 'JSON',
    });
    expect(await external.subjects()).toEqual(['j-value', 'u-value']);
    expect(await external.versions('u-value')).toEqual([1]);
    expect(await external.versions('none')).toEqual([]);
    expect(await external.latest('none')).toBeNull();
    expect(await external.getById(2)).toMatchObject({ subject: 'j-value', schemaType: 'JSON' });
    expect(await external.getById(77)).toBeNull();
    expect(await external.validate('j-value', { n: 1 })).toEqual({ ok: true, schemaId: 2 });
    expect(await external.validate('j-value', { n: 'x' })).toMatchObject({
      ok: false,
      errors: ['/n: must be integer'],
    });
    await expect(
      external.register('u-value', {
        schemaType: 'AVRO',
        schema: user([{ name: 'x', type: 'int' }]),
      }),
    ).rejects.toMatchObject({ errorCode: 409, retriable: false });
    await expect(external.getVersion('u-value', 5)).rejects.toMatchObject({ errorCode: 40402 });
    expect(await external.getCompatibility()).toBe('BACKWARD');
    expect(await external.getCompatibility('u-value')).toBeNull();
    expect(await external.setCompatibility('FORWARD', 'u-value')).toBe('FORWARD');
    expect(
      await external.testCompatibility('u-value', {
        schemaType: 'AVRO',
        schema: user([{ name: 'x', type: 'int' }]),
      }),
    ).toEqual({ compatible: true, messages: [] });
    expect(await external.deleteCompatibility('u-value')).toBe('FORWARD');
    expect(await external.deleteVersion('u-value', 1)).toBe(1);
    expect(await external.deleteSubject('u-value', { permanent: true })).toEqual([1]);

    // The wire format through the external registry, read back through the embedded one.
    const bytes = await new WireSerde(external).serialize('j-value', { n: 5 });
    expect(await new WireSerde(registry).deserialize(bytes)).toMatchObject({ value: { n: 5 } });

    const down = new ExternalRegistry('http://127.0.0.1:1', { timeoutMs: 2000 });
    await expect(down.subjects()).rejects.toMatchObject({ errorCode: 50001, retriable: true });
  });
});
