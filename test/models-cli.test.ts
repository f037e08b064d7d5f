import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRESHET_BIN } from './helpers/platform-process.js';

const run = promisify(execFile);

async function models(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [FRESHET_BIN, 'models', ...args], {
      cwd,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function write(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

const PROJECT = {
  'dbt_project.yml':
    'name: shop\nprofile: shop\nmodels:\n  shop:\n    marts:\n      +materialized: table\n',
  'profiles.yml':
    'shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: target/shop.duckdb\n      schema: analytics\n      threads: 2\n',
  'seeds/raw_orders.csv': 'id,customer,amount\n1,a,10\n2,b,20\n3,a,5\n',
  'models/staging/stg_orders.sql':
    "select id as order_id, customer, amount from {{ ref('raw_orders') }}",
  'models/marts/customers.sql':
    "select customer, sum(amount) as total from {{ ref('stg_orders') }} group by customer",
  'models/schema.yml':
    'version: 2\nmodels:\n  - name: customers\n    columns:\n      - name: customer\n        tests: [unique, not_null]\n      - name: total\n        tests:\n          - accepted_values:\n              values: [15, 20]\n              quote: false\n',
};

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'freshet-models-cli-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('freshet models', () => {
  it('build runs seeds, models and tests into the profile’s database and writes dbt artifacts', async () => {
    const dir = join(root, 'ok');
    await write(dir, PROJECT);
    const r = await models(['build', '--project', '.'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Done\. PASS=6 WARN=0 ERROR=0 SKIP=0 TOTAL=6/);
    await stat(join(dir, 'target/shop.duckdb'));
    const results = JSON.parse(await readFile(join(dir, 'target/run_results.json'), 'utf8')) as {
      results: { unique_id: string; status: string }[];
    };
    const status = Object.fromEntries(results.results.map((x) => [x.unique_id, x.status]));
    expect(status['seed.shop.raw_orders']).toBe('success');
    expect(status['model.shop.customers']).toBe('success');
    expect(status['test.shop.unique_customers_customer']).toBe('pass');
    expect(status['test.shop.accepted_values_customers_total__False__15__20']).toBe('pass');
    const manifest = JSON.parse(await readFile(join(dir, 'target/manifest.json'), 'utf8')) as {
      nodes: Record<string, { relation_name: string }>;
    };
    expect(manifest.nodes['model.shop.customers']!.relation_name).toBe('"analytics"."customers"');
    const compiled = await readFile(
      join(dir, 'target/compiled/shop/models/marts/customers.sql'),
      'utf8',
    );
    expect(compiled).toContain('"analytics"."stg_orders"');

    const show = await models(
      [
        'show',
        '--inline',
        "select * from {{ ref('customers') }} order by customer",
        '--format',
        'json',
      ],
      dir,
    );
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual({
      node: 'inline_query',
      show: [
        { customer: 'a', total: 15 },
        { customer: 'b', total: 20 },
      ],
    });
    const ls = await models(
      ['ls', '-s', '+customers', '--resource-type', 'model', '--output', 'name'],
      dir,
    );
    expect(ls.stdout.trim().split('\n')).toEqual(['customers', 'stg_orders']);
  });

  it('a failing test exits 1 and names the test and its failing rows', async () => {
    const dir = join(root, 'failing');
    await write(dir, {
      ...PROJECT,
      'seeds/raw_orders.csv': 'id,customer,amount\n1,a,10\n2,b,20\n3,c,7\n',
    });
    const r = await models(['build'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL in test accepted_values_customers_total__False__15__20/);
    expect(r.stdout).toMatch(/Got 2 results, configured to fail if != 0/);
  });

  it('a project error exits 2 with one sentence naming the file', async () => {
    const dir = join(root, 'broken');
    await write(dir, {
      ...PROJECT,
      'models/marts/customers.sql': "select * from {{ ref('stg_ordrs') }}",
    });
    const r = await models(['run'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /models\/marts\/customers\.sql: ref\('stg_ordrs'\) names a model that does not exist/,
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('a model the database refuses is named with its file and compiled SQL; children are skipped', async () => {
    const dir = join(root, 'sqlerror');
    await write(dir, {
      ...PROJECT,
      'models/staging/stg_orders.sql':
        "select id as order_id, customer, amont from {{ ref('raw_orders') }}",
    });
    const r = await models(['build'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ERROR in model stg_orders \(models\/staging\/stg_orders\.sql\)/);
    expect(r.stdout).toMatch(/amont/);
    expect(r.stdout).toMatch(
      /compiled SQL: .*target\/compiled\/shop\/models\/staging\/stg_orders\.sql/,
    );
    expect(r.stdout).toMatch(/SKIP=4/);
  });

  it('--help lists every command', async () => {
    const r = await models(['--help'], root);
    for (const c of ['ls', 'compile', 'run', 'test', 'seed', 'build', 'show', 'source', 'parse'])
      expect(r.stdout).toMatch(new RegExp(`\\n\\s+${c}\\b`));
  });
});
