import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from './config-file.js';
import { ConfigError, defaultConfig } from './config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(text: string, env: NodeJS.ProcessEnv = {}) {
  const path = join(dir, 'freshet.yaml');
  await writeFile(path, text);
  return loadConfigFile(path, env);
}

async function problems(text: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const err = await load(text, env).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as Error).message;
}

describe('freshet.yaml', () => {
  it('asks for a replay of the calendar and silent stores', async () => {
    const file = await load(
      `simulator:
  profile: diwali
  days: 2
  speed: 120x
  faults:
    silent_stores: 3
    silent_after: 10000
`,
    );
    const c = file.apply(defaultConfig());
    // The profile's day is looked up by the command, which knows the calendar.
    expect(c.simulator.replay).toEqual({ profile: 'diwali', date: '', days: 2, speed: '120x' });
    expect(c.simulator.faults).toMatchObject({ silentStores: 3, silentAfter: 10000 });
    expect(defaultConfig().simulator.replay).toBeUndefined();
    expect(
      await problems(`simulator:
  date: 8 Nov 2026
`),
    ).toMatch(/freshet\.yaml:2:\d+: simulator\.date: "8 Nov 2026" does not have the right form/);
  });

  it('sets what it names over the defaults, with paths relative to the file and secrets from env and files', async () => {
    await writeFile(join(dir, 'token.txt'), 'push-secret-1234567890\n');
    const file = await load(
      `data_dir: ./data
log:
  partitions: 8
simulator:
  rate: 250
  faults:
    late_rate: 0.1
pipeline:
  bronze_interval_ms: 500
sources:
  - name: erp-db
    type: postgres
    connection:
      host: 127.0.0.1
      port: 5433
      user: freshet
      password: \${env:ERP_PASSWORD}
      database: erp
    topic_prefix: erp
    tables: [public.orders, public.order_lines]
  - name: logistics
    type: http
    token: \${file:token.txt}
    topics: ["logistics.*"]
    key_fields: { logistics.pings: store_id }
`,
      { ERP_PASSWORD: 'pg-secret' },
    );
    const c = file.apply(defaultConfig());
    expect(c.dataDir).toBe(join(dir, 'data'));
    expect(c.log.partitions).toBe(8);
    expect(c.log.fsync).toBe('always'); // untouched default
    expect(c.simulator.rate).toBe(250);
    expect(c.simulator.faults.lateRate).toBe(0.1);
    expect(c.simulator.faults.duplicateRate).toBe(0);
    expect(c.pipeline.bronzeIntervalMs).toBe(500);
    expect(c.sources).toEqual([
      {
        name: 'erp-db',
        type: 'postgres',
        connection: {
          host: '127.0.0.1',
          port: 5433,
          user: 'freshet',
          password: 'pg-secret',
          database: 'erp',
        },
        topicPrefix: 'erp',
        tables: ['public.orders', 'public.order_lines'],
      },
      {
        name: 'logistics',
        type: 'http',
        token: 'push-secret-1234567890',
        topics: ['logistics.*'],
        keyFields: { 'logistics.pings': 'store_id' },
      },
    ]);
  });

  it('names the line and key of every mistake at once', async () => {
    const msg = await problems(`log:
  partitons: 4
simulator:
  rate: fast
sources:
  - name: erp-db
    type: postgres
    connection: { host: db, user: u, database: erp }
    topic_prefix: erp
    tabels: [public.orders]
  - name: x
    type: ftp
`);
    expect(msg).toMatch(/freshet\.yaml:2:\d+: log\.partitons: is not a setting Freshet knows/);
    expect(msg).toMatch(/freshet\.yaml:4:\d+: simulator\.rate: must be number/);
    expect(msg).toMatch(/freshet\.yaml:10:\d+: sources\[0\]\.tabels: is not a setting/);
    expect(msg).toMatch(/sources\[0\]: is missing tables/);
    expect(msg).toMatch(
      /freshet\.yaml:12:\d+: sources\[1\]\.type: type must be one of postgres, mysql, http/,
    );
  });

  it('refuses a secret written in the file, an unset variable, a missing file and a name used twice', async () => {
    const msg = await problems(`sources:
  - name: a
    type: http
    token: plain-text-token-in-the-file
    topics: [t]
  - name: b
    type: http
    token: \${env:NOT_SET_ANYWHERE}
    topics: [t]
  - name: c
    type: http-pull
    url: https://api.example/feed
    topic: t
    headers: { Authorization: "\${file:missing.txt}" }
`);
    expect(msg).toMatch(
      /freshet\.yaml:4:\d+: sources\[0\]\.token: a secret must not be written in the file; .*\$\{env:NAME\}/,
    );
    expect(msg).not.toContain('plain-text-token-in-the-file');
    expect(msg).toMatch(
      /freshet\.yaml:8:\d+: sources\[1\]\.token: the environment variable NOT_SET_ANYWHERE is not set/,
    );
    expect(msg).toMatch(
      /sources\[2\]\.headers\.Authorization: cannot read .*missing\.txt \(ENOENT\)/,
    );
    const twice = await problems(
      `sources:
  - { name: a, type: http, token: "\${env:T}", topics: [t] }
  - { name: a, type: http-pull, url: "http://x", topic: t }
`,
      { T: 'secret-value-long-enough' },
    );
    expect(twice).toMatch(/freshet\.yaml:3:\d+: sources\[1\]\.name: 'a' names two sources/);
  });

  it('reports YAML that does not parse with its line, and a file that is not there', async () => {
    expect(await problems('log:\n  partitions: 4\n bad indent: [\n')).toMatch(
      /freshet\.yaml:3:\d+: /,
    );
    await expect(loadConfigFile(join(dir, 'nope.yaml'))).rejects.toThrow(
      /cannot read the configuration file .*nope\.yaml \(ENOENT\); pass --config with an existing file/,
    );
  });
});
