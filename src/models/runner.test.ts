import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Session } from '../engine/index.js';
import { CompileError } from './errors.js';
import { ModelRunner } from './runner.js';

let dir: string;
let session: Session;

async function project(files: Record<string, string>): Promise<string> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

const PROJECT_YML = `name: shop
models:
  shop:
    staging:
      +materialized: view
    marts:
      +schema: marts
      +materialized: table
seeds:
  shop:
    +schema: ref_data
`;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-models-'));
  session = await Session.open({ threads: 1 });
  await session.connection.run('CREATE SCHEMA raw');
  await session.connection.run(
    'CREATE TABLE raw.orders (id INTEGER, customer VARCHAR, amount INTEGER, ordered_at TIMESTAMPTZ)',
  );
  await session.connection.run(
    "INSERT INTO raw.orders VALUES (1, 'a', 10, '2026-01-01T00:00:00Z'), (2, 'b', 20, '2026-01-01T00:01:00Z'), (3, 'a', 5, '2026-01-01T00:02:00Z')",
  );
});

afterEach(async () => {
  session.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ModelRunner', () => {
  it('runs views, tables, ephemeral models and seeds in dependency order', async () => {
    await project({
      'dbt_project.yml': PROJECT_YML,
      'models/sources.yml':
        'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n',
      'models/staging/stg_orders.sql':
        "select id, customer, amount from {{ source('raw', 'orders') }}",
      'models/staging/big_orders.sql':
        "{{ config(materialized='ephemeral') }}\nselect * from {{ ref('stg_orders') }} where amount >= {{ var('big', 10) }}",
      'models/marts/customers.sql':
        "with t as (select customer, sum(amount) as total from {{ ref('stg_orders') }} group by 1)\nselect t.*, s.tier, (select count(*) from {{ ref('big_orders') }} b where b.customer = t.customer) as big_orders\nfrom t left join {{ ref('tiers') }} s using (customer)",
      'seeds/tiers.csv': 'customer,tier\na,gold\nb,silver\n',
    });
    const runner = await ModelRunner.open(dir);
    expect(runner.order).toEqual(['stg_orders', 'big_orders', 'customers']);
    await runner.seed(session.connection);
    const results = await runner.run(session.connection);
    expect(results.map((r) => [r.name, r.action])).toEqual([
      ['stg_orders', 'view'],
      ['big_orders', 'ephemeral'],
      ['customers', 'table'],
    ]);
    // dbt's default schema rule: target schema + custom schema.
    const rows = await session.connection.rows(
      'SELECT * FROM main_marts.customers ORDER BY customer',
    );
    expect(rows).toEqual([
      { customer: 'a', total: 15, tier: 'gold', big_orders: 1 },
      { customer: 'b', total: 20, tier: 'silver', big_orders: 1 },
    ]);
  });

  it('appends only new rows on incremental runs and merges by unique_key', async () => {
    await project({
      'dbt_project.yml': 'name: shop\n',
      'models/sources.yml':
        'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n',
      'models/appended.sql':
        "{{ config(materialized='incremental') }}\nselect id, amount, ordered_at from {{ source('raw', 'orders') }}\n{% if is_incremental() %} where ordered_at > (select max(ordered_at) from {{ this }}) {% endif %}",
      'models/latest_by_customer.sql':
        "{{ config(materialized='incremental', unique_key='customer', incremental_strategy='delete+insert') }}\nselect customer, max(amount) as amount from {{ source('raw', 'orders') }}\n{% if is_incremental() %} where ordered_at > (select coalesce(max(ordered_at), 'epoch'::timestamptz) from {{ source('raw', 'orders') }} where id <= 3) {% endif %}\ngroup by 1",
    });
    const runner = await ModelRunner.open(dir);
    const appended: number[] = [];
    const onAppend = async (_m: unknown, rel: string) => {
      const [r] = await session.connection.rows(`SELECT count(*) AS n FROM ${rel}`);
      appended.push(Number(r!.n));
    };
    const first = await runner.run(session.connection, { onAppend });
    expect(first.map((r) => r.action)).toEqual(['create', 'create']);
    await session.connection.run(
      "INSERT INTO raw.orders VALUES (4, 'b', 99, '2026-01-01T00:03:00Z')",
    );
    const second = await runner.run(session.connection, { onAppend });
    expect(second.map((r) => r.action)).toEqual(['append', 'delete+insert']);
    expect(appended).toEqual([1]);
    expect(await session.connection.rows('SELECT id FROM main.appended ORDER BY id')).toEqual([
      { id: 1 },
      { id: 2 },
      { id: 3 },
      { id: 4 },
    ]);
    expect(
      await session.connection.rows('SELECT * FROM main.latest_by_customer ORDER BY customer'),
    ).toEqual([
      { customer: 'a', amount: 10 },
      { customer: 'b', amount: 99 },
    ]);
    // --full-refresh rebuilds from scratch.
    const full = await runner.run(session.connection, { fullRefresh: true });
    expect(full.map((r) => r.action)).toEqual(['create', 'create']);
  });

  it('names the file and the missing model for a bad ref, and the path of a cycle', async () => {
    await project({
      'dbt_project.yml': 'name: shop\n',
      'models/a.sql': "select * from {{ ref('nope') }}",
    });
    await expect(ModelRunner.open(dir)).rejects.toThrow(
      /models\/a\.sql: ref\('nope'\) names a model that does not exist/,
    );
    await project({
      'models/a.sql': "select * from {{ ref('b') }}",
      'models/b.sql': "select * from {{ ref('a') }}",
    });
    await expect(ModelRunner.open(dir)).rejects.toThrow(CompileError);
    await expect(ModelRunner.open(dir)).rejects.toThrow(/cycle: (a -> b -> a|b -> a -> b)/);
  });

  it('reports which model failed and what the database said', async () => {
    await project({
      'dbt_project.yml': 'name: shop\n',
      'models/bad.sql': 'select no_such_column from range(3)',
    });
    const runner = await ModelRunner.open(dir);
    await expect(runner.run(session.connection)).rejects.toThrow(
      /model bad \(models\/bad\.sql\) failed: .*no_such_column/,
    );
  });
});

describe('compile errors', () => {
  it('point at the line of the model file, not of the macros rendered before it', async () => {
    await project({
      'dbt_project.yml': 'name: shop\n',
      'macros/m.sql': '{% macro one() %}1{% endmacro %}\n{% macro two() %}2{% endmacro %}\n',
      'models/broken.sql': "select 1\n\n{{ config(materialized='table' )) }}",
    });
    await expect(ModelRunner.open(dir)).rejects.toThrow(
      /models\/broken\.sql: Jinja error: line 3, column \d+: expected variable end/,
    );
  });
});
