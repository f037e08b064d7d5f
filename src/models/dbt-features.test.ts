import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Session, type Connection } from '../engine/index.js';
import { ModelRunError } from './errors.js';
import { ModelRunner, type NodeResult } from './runner.js';
import { resolveTarget } from './profiles.js';
import { checkFreshness } from './freshness.js';
import { buildManifest } from './artifacts.js';

let dir: string;
let session: Session;
let conn: Connection;

async function project(files: Record<string, string>): Promise<ModelRunner> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return ModelRunner.open(dir, {
    target: { name: 'dev', schema: 'main', type: 'duckdb', database: 'memory', threads: 1 },
  });
}

const byName = (results: NodeResult[]) => new Map(results.map((r) => [r.node.name, r]));

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'freshet-dbt-'));
  session = await Session.open({ threads: 2 });
  conn = session.connection;
});

afterEach(async () => {
  session.close();
  await rm(dir, { recursive: true, force: true });
});

// The case study's model (ARCHITECTURE.md): sales since max(last_event) of {{ this }}, a column
// the model computes in a CTE but never selects.
const CASE_STUDY = `{{ config(materialized='incremental', unique_key=['store_id', 'sku']) }}

WITH latest_inventory AS (
    SELECT store_id, sku, quantity, counted_at
    FROM {{ ref('stg_counts') }}
    QUALIFY ROW_NUMBER() OVER (PARTITION BY store_id, sku ORDER BY counted_at DESC) = 1
),
sales AS (
    SELECT store_id, sku, SUM(quantity) AS units_sold, MAX(event_time) AS last_event
    FROM {{ ref('stg_sales') }}
    {% if is_incremental() %}
    WHERE event_time > (SELECT MAX(last_event) FROM {{ this }})
    {% endif %}
    GROUP BY store_id, sku
)
SELECT
    s.store_id,
    s.sku,
    i.quantity - s.units_sold AS projected_qty,
    CASE WHEN i.quantity - s.units_sold < 5 THEN 'LOW' ELSE 'OK' END AS status,
    CURRENT_TIMESTAMP AS updated_at
FROM sales s
LEFT JOIN latest_inventory i ON s.store_id = i.store_id AND s.sku = i.sku
`;

describe('the case study inventory model', () => {
  it('builds, then its incremental run stops with a message naming last_event and the table', async () => {
    await conn.run('CREATE SCHEMA raw');
    await conn.run(
      "CREATE TABLE raw.sales AS SELECT * FROM (VALUES ('S1', 'A', 2, TIMESTAMP '2026-01-01 10:00'), ('S1', 'B', 1, TIMESTAMP '2026-01-01 11:00')) t(store_id, sku, quantity, event_time)",
    );
    await conn.run(
      "CREATE TABLE raw.counts AS SELECT * FROM (VALUES ('S1', 'A', 10, TIMESTAMP '2026-01-01 09:00')) t(store_id, sku, quantity, counted_at)",
    );
    const runner = await project({
      'dbt_project.yml': 'name: retail\n',
      'models/sources.yml':
        'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: sales\n      - name: counts\n',
      'models/stg_sales.sql': "select * from {{ source('raw', 'sales') }}",
      'models/stg_counts.sql': "select * from {{ source('raw', 'counts') }}",
      'models/marts/inventory_realtime.sql': CASE_STUDY,
    });
    await runner.run(conn);
    const rows = await conn.rows(
      'SELECT sku, projected_qty, status FROM main.inventory_realtime ORDER BY sku',
    );
    // (b): B sold without a count, so it is 'OK' with a null quantity.
    expect(rows).toEqual([
      { sku: 'A', projected_qty: 8, status: 'OK' },
      { sku: 'B', projected_qty: null, status: 'OK' },
    ]);
    const err = await runner.run(conn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelRunError);
    const message = (err as Error).message;
    expect(message).toContain("'last_event'");
    expect(message).toContain('"main"."inventory_realtime"');
    expect(message).toContain('models/marts/inventory_realtime.sql');
    expect(message).toMatch(/projected_qty, status, updated_at/);
  });
});

describe('compile checks against {{ this }}', () => {
  it('stops a filter that would silently bind a missing column to the outer query', async () => {
    const runner = await project({
      'dbt_project.yml': 'name: p\n',
      // Without the check, last_seen in the subquery binds to the outer source column: a
      // correlated subquery that runs and filters wrongly.
      'models/m.sql':
        "{{ config(materialized='incremental') }}\nselect id, ts as last_seen from (values (1, 10)) t(id, ts)\n{% if is_incremental() %} where ts > (select max(ts) from {{ this }}){% endif %}",
    });
    await runner.run(conn);
    await expect(runner.run(conn)).rejects.toThrow(
      /reads 'ts' from \{\{ this \}\} \("main"."m"\).*columns are: id, last_seen/,
    );
  });

  it('runs pre- and post-hooks in the model’s context', async () => {
    await conn.run('CREATE TABLE audit (what VARCHAR)');
    const runner = await project({
      'dbt_project.yml': 'name: p\n',
      'models/m.sql':
        "{{ config(materialized='table', pre_hook=\"insert into audit values ('before')\", post_hook=[\"insert into audit select 'after ' || count(*) from {{ this }}\"]) }}\nselect 1 as x",
    });
    await runner.run(conn);
    expect(await conn.rows('SELECT what FROM audit')).toEqual([
      { what: 'before' },
      { what: 'after 1' },
    ]);
  });
});

describe('data tests', () => {
  const files = {
    'dbt_project.yml': 'name: shop\n',
    'seeds/customers.csv': 'id,name\n1,a\n2,b\n',
    'models/orders.sql':
      "select * from (values (1, 1, 'placed'), (2, 1, 'shipped'), (3, 9, 'lost'), (3, null, 'placed')) t(order_id, customer_id, status)",
    'models/schema.yml': `version: 2
models:
  - name: orders
    columns:
      - name: order_id
        tests: [unique, not_null]
      - name: customer_id
        data_tests:
          - not_null:
              config:
                severity: warn
          - relationships:
              arguments:
                to: ref('customers')
                field: id
              config:
                store_failures: true
      - name: status
        tests:
          - accepted_values:
              values: ['placed', 'shipped']
              where: "order_id < 3"
          - accepted_values:
              name: status_known
              values: ['placed', 'shipped']
              error_if: '>5'
              warn_if: '>0'
`,
    'tests/no_order_zero.sql': "select * from {{ ref('orders') }} where order_id = 0",
    'macros/positive.sql':
      '{% test is_positive(model, column_name) %}\nselect * from {{ model }} where {{ column_name }} <= 0\n{% endtest %}',
    'models/more.yml':
      'version: 2\nmodels:\n  - name: amounts\n    columns:\n      - name: v\n        tests: [is_positive]\n',
    'models/amounts.sql': 'select * from (values (1), (-2)) t(v)',
  };

  it('unique, not_null, accepted_values, relationships, custom and singular tests with severity, where, store_failures, thresholds', async () => {
    const runner = await project(files);
    const nodes = runner.graph.select(['seed', 'model', 'test'], undefined, undefined);
    const results = byName(await runner.execute([conn], nodes));
    expect(results.get('unique_orders_order_id')!.status).toBe('fail');
    expect(results.get('unique_orders_order_id')!.failures).toBe(1);
    expect(results.get('not_null_orders_order_id')!.status).toBe('pass');
    expect(results.get('not_null_orders_customer_id')!.status).toBe('warn');
    const rel = results.get('relationships_orders_customer_id__id__ref_customers_')!;
    expect(rel.status).toBe('fail');
    expect(rel.message).toContain('dbt_test__audit');
    const stored = await conn.rows(
      'SELECT from_field FROM main_dbt_test__audit.relationships_orders_customer_id__id__ref_customers_',
    );
    expect(stored).toEqual([{ from_field: 9 }]);
    // `where: order_id < 3` hides the 'lost' row.
    expect(results.get('accepted_values_orders_status__placed__shipped')!.status).toBe('pass');
    expect(results.get('status_known')!.status).toBe('warn');
    expect(results.get('no_order_zero')!.status).toBe('pass');
    expect(results.get('is_positive_amounts_v')!.status).toBe('fail');
  });

  it('build skips the children of a model whose test fails', async () => {
    const runner = await project({
      ...files,
      'models/order_report.sql': "select count(*) as n from {{ ref('orders') }}",
    });
    const nodes = runner.graph.select(['seed', 'model', 'test'], undefined, undefined);
    const results = byName(await runner.execute([conn], nodes));
    expect(results.get('order_report')!.status).toBe('skipped');
    expect(results.get('amounts')!.status).toBe('success');
  });
});

describe('selection', () => {
  it('names, +ancestors, descendants+, tag:, path:, intersections and --exclude', async () => {
    const runner = await project({
      'dbt_project.yml': 'name: p\nmodels:\n  p:\n    marts:\n      +tags: [nightly]\n',
      'models/staging/a.sql': 'select 1 as x',
      'models/staging/b.sql': "select * from {{ ref('a') }}",
      'models/marts/c.sql': "select * from {{ ref('b') }}",
      'models/marts/d.sql': "{{ config(tags=['finance']) }} select * from {{ ref('a') }}",
    });
    const names = (sel?: string[], ex?: string[]) =>
      runner.graph
        .select(['model'], sel, ex)
        .map((n) => n.name)
        .sort();
    expect(names(['c'])).toEqual(['c']);
    expect(names(['+c'])).toEqual(['a', 'b', 'c']);
    expect(names(['a+'])).toEqual(['a', 'b', 'c', 'd']);
    expect(names(['a+1'])).toEqual(['a', 'b', 'd']);
    expect(names(['tag:nightly'])).toEqual(['c', 'd']);
    expect(names(['tag:finance'])).toEqual(['d']);
    expect(names(['path:models/staging'])).toEqual(['a', 'b']);
    expect(names(['tag:nightly,+c'])).toEqual(['c']);
    expect(names(['a+'], ['tag:nightly'])).toEqual(['a', 'b']);
    expect(names(['@b'])).toEqual(['a', 'b', 'c']);
    // As in dbt, a folder is selected by its fqn, with or without the project's name.
    expect(names(['p.staging'])).toEqual(['a', 'b']);
    expect(names(['staging'])).toEqual(['a', 'b']);
    expect(names(['marts.c'])).toEqual(['c']);
    expect(() => names(['bogus:x'])).toThrow(/unknown selector method 'bogus:'/);
  });
});

describe('parallel DAG', () => {
  it('runs independent models on several connections and reports every node', async () => {
    const file = join(dir, 'db.duckdb');
    const fileSession = await Session.open({ path: file });
    const pool = [fileSession.connection, await fileSession.connect(), await fileSession.connect()];
    try {
      const models: Record<string, string> = { 'dbt_project.yml': 'name: p\n' };
      for (let i = 0; i < 8; i++)
        models[`models/m${i}.sql`] =
          `{{ config(materialized='table') }} select range as x from range(${20000 * (i + 1)})`;
      models['models/total.sql'] =
        "{{ config(materialized='table') }} select " +
        Array.from({ length: 8 }, (_, i) => `(select count(*) from {{ ref('m${i}') }})`).join(
          ' + ',
        ) +
        ' as n';
      const runner = await project(models);
      let concurrent = 0;
      let maxConcurrent = 0;
      const results = await runner.execute(
        pool,
        runner.graph.select(['model'], undefined, undefined),
        {
          onStart: () => {
            maxConcurrent = Math.max(maxConcurrent, ++concurrent);
          },
          onResult: () => {
            concurrent--;
          },
        },
      );
      expect(results.every((r) => r.status === 'success')).toBe(true);
      expect(results[results.length - 1]!.node.name).toBe('total');
      expect(maxConcurrent).toBeGreaterThan(1);
      const [row] = await pool[0]!.rows('select n from main.total');
      expect(Number(row!.n)).toBe(20000 * 36);
    } finally {
      for (const c of pool.slice(1)) c.close();
      fileSession.close();
    }
  });
});

describe('incremental strategies', () => {
  const base = {
    'dbt_project.yml': 'name: p\n',
    'models/sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: src\n',
  };
  const model = (config: string) =>
    `{{ config(materialized='incremental', ${config}) }}\nselect * from {{ source('raw', 'src') }}{% if is_incremental() %} where id >= 2{% endif %}`;

  beforeEach(async () => {
    await conn.run('CREATE SCHEMA raw');
    await conn.run(
      "CREATE TABLE raw.src AS SELECT * FROM (VALUES (1, 'a', 'x'), (2, 'b', 'x'), (3, 'c', 'x')) t(id, name, note)",
    );
  });

  async function twice(config: string) {
    const runner = await project({ ...base, 'models/m.sql': model(config) });
    await runner.run(conn);
    await conn.run("UPDATE raw.src SET name = upper(name), note = 'y'");
    await conn.run("INSERT INTO raw.src VALUES (4, 'd', 'y')");
    await runner.run(conn);
    return conn.rows('SELECT id, name, note FROM main.m ORDER BY id, note');
  }

  it('merge updates matched rows, merge_update_columns limits what changes', async () => {
    expect(await twice("unique_key='id', incremental_strategy='merge'")).toEqual([
      { id: 1, name: 'a', note: 'x' },
      { id: 2, name: 'B', note: 'y' },
      { id: 3, name: 'C', note: 'y' },
      { id: 4, name: 'd', note: 'y' },
    ]);
  });

  it('merge_update_columns and merge_exclude_columns', async () => {
    const only = await twice(
      "unique_key='id', incremental_strategy='merge', merge_update_columns=['name']",
    );
    expect(only.find((r) => r.id === 2)).toEqual({ id: 2, name: 'B', note: 'x' });
    await conn.run('DROP TABLE main.m');
    await conn.run('DROP TABLE raw.src');
    await conn.run(
      "CREATE TABLE raw.src AS SELECT * FROM (VALUES (1, 'a', 'x'), (2, 'b', 'x'), (3, 'c', 'x')) t(id, name, note)",
    );
    const excluded = await twice(
      "unique_key='id', incremental_strategy='merge', merge_exclude_columns=['name']",
    );
    expect(excluded.find((r) => r.id === 2)).toEqual({ id: 2, name: 'b', note: 'y' });
  });

  it('incremental_predicates restrict which target rows a merge may touch', async () => {
    const rows = await twice(
      "unique_key='id', incremental_strategy='merge', incremental_predicates=['DBT_INTERNAL_DEST.id > 2']",
    );
    // id 2 is outside the predicate: it is not matched, so the new version is inserted beside it.
    expect(rows.filter((r) => r.id === 2)).toHaveLength(2);
    expect(rows.find((r) => r.id === 3)).toEqual({ id: 3, name: 'C', note: 'y' });
  });

  it('delete+insert with a list key, and append', async () => {
    expect(await twice("unique_key=['id', 'note'], incremental_strategy='delete+insert'")).toEqual([
      { id: 1, name: 'a', note: 'x' },
      { id: 2, name: 'b', note: 'x' },
      { id: 2, name: 'B', note: 'y' },
      { id: 3, name: 'c', note: 'x' },
      { id: 3, name: 'C', note: 'y' },
      { id: 4, name: 'd', note: 'y' },
    ]);
  });

  it('on_schema_change: ignore fails on a removed column, append_new_columns keeps it, fail stops', async () => {
    const changing = (mode: string) =>
      `{{ config(materialized='incremental', unique_key='id', on_schema_change='${mode}') }}\n` +
      "select id, {% if is_incremental() %}name || '!' as shout{% else %}name{% endif %} from {{ source('raw', 'src') }}";
    for (const [mode, expectation] of [
      ['ignore', /name/],
      ['fail', /on_schema_change is 'fail'/],
    ] as const) {
      const runner = await project({ ...base, 'models/m.sql': changing(mode) });
      await runner.run(conn, { fullRefresh: true });
      await expect(runner.run(conn)).rejects.toThrow(expectation);
    }
    const append = await project({ ...base, 'models/m.sql': changing('append_new_columns') });
    await append.run(conn, { fullRefresh: true });
    await append.run(conn);
    const cols = (await conn.rows('DESCRIBE main.m')).map((r) => r.column_name);
    expect(cols).toEqual(['id', 'name', 'shout']);
    expect(await conn.rows('SELECT name, shout FROM main.m WHERE id = 1')).toEqual([
      { name: null, shout: 'a!' },
    ]);
    const sync = await project({ ...base, 'models/m.sql': changing('sync_all_columns') });
    await sync.run(conn, { fullRefresh: true });
    await sync.run(conn);
    expect((await conn.rows('DESCRIBE main.m')).map((r) => r.column_name)).toEqual(['id', 'shout']);
  });
});

describe('a run every second', () => {
  it('leaves tables alone when the incremental query finds nothing, and skips models whose inputs did not change', async () => {
    await conn.run('CREATE SCHEMA raw');
    await conn.run('CREATE TABLE raw.events AS SELECT range AS id FROM range(5)');
    const runner = await project({
      'dbt_project.yml': 'name: p\n',
      'models/sources.yml':
        'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: events\n',
      'models/stg.sql': "select * from {{ source('raw', 'events') }}",
      'models/loaded.sql':
        "{{ config(materialized='incremental', unique_key='id') }}\nselect id from {{ ref('stg') }}{% if is_incremental() %} where id > (select max(id) from {{ this }}){% endif %}",
      'models/doubled.sql':
        "{{ config(materialized='incremental', unique_key='id') }}\nselect id, id * 2 as d from {{ ref('loaded') }}{% if is_incremental() %} where id > (select max(id) from {{ this }}){% endif %}",
    });
    await runner.run(conn);
    const idle = await runner.run(conn, { skipUnchanged: true });
    expect(idle.map((r) => [r.name, r.action, r.rows])).toEqual([
      ['stg', 'view', undefined],
      ['loaded', 'delete+insert', 0],
      ['doubled', 'unchanged', 0],
    ]);
    await conn.run('INSERT INTO raw.events VALUES (7)');
    const busy = await runner.run(conn, { skipUnchanged: true });
    expect(busy.map((r) => [r.name, r.rows])).toEqual([
      ['stg', undefined],
      ['loaded', 1],
      ['doubled', 1],
    ]);
    expect(await conn.rows('SELECT max(d) AS d FROM main.doubled')).toEqual([{ d: 14 }]);
  });
});

describe('dependencies', () => {
  it('orders a model after what it refs only in its incremental branch', async () => {
    const runner = await project({
      'dbt_project.yml': 'name: p\n',
      // 'a_reader' sorts before 'z_source': without the incremental ref it would run first.
      'models/a_reader.sql':
        "{{ config(materialized='incremental') }}\nselect 1 as x{% if is_incremental() %} from {{ ref('z_source') }}{% endif %}",
      'models/z_source.sql': 'select 1 as x',
    });
    expect(runner.order).toEqual(['z_source', 'a_reader']);
  });
});

describe('Jinja as dbt uses it', () => {
  it('return() from macros, do, string methods, config.get, two-argument ref, dispatch, cross-db macros', async () => {
    const runner = await project({
      'dbt_project.yml': 'name: p\nvars:\n  p:\n    scoped: 7\n',
      'macros/m.sql': `
{% macro cols() %}{{ return(['a', 'b']) }}{% endmacro %}
{% macro default__greet() %}'hi'{% endmacro %}
{% macro greet() %}{{ return(adapter.dispatch('greet')()) }}{% endmacro %}
`,
      'models/base.sql': 'select 1 as a, 2 as b',
      'models/m.sql': `{{ config(materialized='table', meta={'owner': 'ops'}) }}
{%- set names = [] -%}
{%- for c in cols() %}{% do names.append(c.upper()) %}{% endfor -%}
select {{ names | join(' + ') | lower }} as total,
  {{ greet() }} as greeting,
  '{{ config.get('materialized') }}' as mat,
  {{ var('scoped') }} as scoped,
  {{ dbt.date_trunc('day', "timestamp '2026-01-02 10:00'") }} as day,
  '{{ "a,b".split(",") | length }}' as parts,
  '{{ [{'n': 'x'}, {'n': 'y'}] | map(attribute='n') | join('') }}{{ ['a', 'a'] | unique | length }}' as mapped,
  '{{ 'yes' if none is none and [1] is sequence and {'a': 1} is mapping else 'no' }}' as tested
from {{ ref('p', 'base') }}`,
    });
    await runner.run(conn);
    const [row] = await conn.rows('select * from main.m');
    expect(row).toMatchObject({
      total: 3,
      greeting: 'hi',
      mat: 'table',
      scoped: 7,
      parts: '2',
      mapped: 'xy1',
      tested: 'yes',
    });
    expect(String(row!.day)).toContain('2026-01-02');
  });

  it('points at the model file, line and column of a Jinja error', async () => {
    await expect(
      project({
        'dbt_project.yml': 'name: p\n',
        'models/bad.sql': 'select 1\n{% if %}',
      }),
    ).rejects.toThrow(/models\/bad\.sql: Jinja error: .*line 2/);
  });
});

describe('profiles, freshness and artifacts', () => {
  it('resolves a dbt-duckdb profile with env_var, relative path from the working directory', async () => {
    await writeFile(join(dir, 'dbt_project.yml'), 'name: p\nprofile: shop\n');
    await writeFile(
      join(dir, 'profiles.yml'),
      "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: \"{{ env_var('FRESHET_TEST_DB', 'x/local.duckdb') }}\"\n      schema: analytics\n      threads: 3\n    pg:\n      type: postgres\n",
    );
    const t = await resolveTarget(dir, 'shop', {});
    expect(t).toMatchObject({ name: 'dev', schema: 'analytics', threads: 3, database: 'local' });
    expect(t.path).toBe(join(process.cwd(), 'x/local.duckdb'));
    await expect(resolveTarget(dir, 'shop', { target: 'pg' })).rejects.toThrow(
      /type 'postgres'; Freshet runs models on DuckDB/,
    );
    await expect(resolveTarget(dir, 'nope', {})).rejects.toThrow(/no profile 'nope'/);
  });

  it('source freshness: pass, warn and error by the age of loaded_at_field', async () => {
    await conn.run('CREATE SCHEMA raw');
    await conn.run("CREATE TABLE raw.fresh AS SELECT now() - INTERVAL '5 minutes' AS loaded_at");
    await conn.run("CREATE TABLE raw.stale AS SELECT now() - INTERVAL '3 hours' AS loaded_at");
    await conn.run("CREATE TABLE raw.dead AS SELECT now() - INTERVAL '3 days' AS loaded_at");
    const runner = await project({
      'dbt_project.yml': 'name: p\n',
      'models/sources.yml': `version: 2
sources:
  - name: raw
    loaded_at_field: loaded_at
    freshness:
      warn_after: {count: 1, period: hour}
      error_after: {count: 1, period: day}
    tables:
      - name: fresh
      - name: stale
      - name: dead
      - name: unchecked
        freshness: null
`,
    });
    const results = await checkFreshness(conn, [...runner.project.sources.values()]);
    expect(results.map((r) => [r.source, r.status])).toEqual([
      ['raw.fresh', 'pass'],
      ['raw.stale', 'warn'],
      ['raw.dead', 'error'],
    ]);
  });

  it('the manifest names nodes, dependencies and relations as dbt does', async () => {
    const runner = await project({
      'dbt_project.yml': 'name: shop\n',
      'seeds/raw.csv': 'id\n1\n',
      'models/a.sql': "select * from {{ ref('raw') }}",
      'models/schema.yml':
        'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tests: [unique]\n',
    });
    const manifest = buildManifest(runner) as {
      nodes: Record<
        string,
        { depends_on: { nodes: string[] }; relation_name?: string; resource_type: string }
      >;
      child_map: Record<string, string[]>;
    };
    expect(manifest.nodes['model.shop.a']!.depends_on.nodes).toEqual(['seed.shop.raw']);
    expect(manifest.nodes['model.shop.a']!.relation_name).toBe('"main"."a"');
    expect(manifest.nodes['test.shop.unique_a_id']!.resource_type).toBe('test');
    expect(manifest.child_map['model.shop.a']).toEqual(['test.shop.unique_a_id']);
  });
});
