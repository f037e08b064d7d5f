// Incremental strategies, run by dbt and by freshet:
//  - delete+insert with incremental_predicates / predicates (dbt-tests-adapter
//    incremental/test_incremental_predicates.py, both test classes);
//  - a source switched by a var between runs (basic/test_incremental.py), and append and
//    delete+insert without an incremental filter;
//  - merge with merge_exclude_columns (incremental/test_incremental_merge_exclude_columns.py),
//    merge_update_columns and a plain merge. dbt-duckdb 1.9.6 offers no merge strategy
//    (DuckDBAdapter.valid_incremental_strategies: append, delete+insert; DuckDB itself has MERGE
//    since 1.4), so freshet's merge is compared with the expected seeds only, and the test checks
//    that dbt still refuses it: when a dbt-duckdb release adds merge, compare with it instead.
import { checkPeers, fixture } from './helpers.js';
import { scenarioSuite } from './suite.js';

const peers = checkPeers('dbt-compat/incremental-strategies.test.ts');

const PRED = 'incremental.test_incremental_predicates';
scenarioSuite({
  title: 'delete+insert with incremental_predicates: freshet agrees with dbt',
  peers,
  project: 'predicates',
  name: 'predicates',
  schema: 'dbt_compat',
  files: (f) => ({
    // TestIncrementalPredicatesDeleteInsert (+incremental_predicates) and
    // TestPredicatesDeleteInsert (+predicates): the same model, one folder each
    'models/incremental_predicates/delete_insert_incremental_predicates.sql': fixture(
      f,
      PRED,
      'models__delete_insert_incremental_predicates_sql',
    ),
    'models/predicates/delete_insert_predicates.sql': fixture(
      f,
      PRED,
      'models__delete_insert_incremental_predicates_sql',
    ),
    'seeds/expected_delete_insert_incremental_predicates.csv': fixture(
      f,
      PRED,
      'seeds__expected_delete_insert_incremental_predicates_csv',
    ),
  }),
  // get_test_fields: seed --full-refresh, run --full-refresh, run
  steps: [
    { args: ['seed', '--full-refresh'] },
    { args: ['run', '--full-refresh'] },
    { args: ['run'] },
  ],
  codes: [0, 0, 0],
  expected: ['delete_insert_incremental_predicates', 'delete_insert_predicates'].map((actual) => ({
    actual,
    expected: 'expected_delete_insert_incremental_predicates',
  })),
});

const BASIC = 'basic.files';
scenarioSuite({
  title:
    'incremental with a var-switched source, append and delete+insert: freshet agrees with dbt',
  peers,
  project: 'append',
  name: 'incremental',
  schema: 'main',
  files: (f) => ({
    'models/incremental.sql': fixture(f, BASIC, 'incremental_sql'),
    'models/schema.yml': fixture(f, BASIC, 'schema_base_yml'),
    'seeds/base.csv': fixture(f, BASIC, 'seeds_base_csv'),
    'seeds/added.csv': fixture(f, BASIC, 'seeds_added_csv'),
  }),
  // BaseIncremental.test_incremental
  steps: [
    { args: ['seed'] },
    { args: ['run', '--vars', 'seed_name: base'] },
    { args: ['run', '--vars', 'seed_name: added'] },
  ],
  codes: [0, 0, 0],
  expected: [
    { actual: 'incremental', expected: 'base', after: 2 },
    { actual: 'incremental', expected: 'added' },
    { actual: 'delete_insert_by_id', expected: 'base', after: 2 },
    { actual: 'delete_insert_by_id', expected: 'added' },
    { actual: 'append_ignores_unique_key', expected: 'base', after: 2 },
    {
      actual: 'append_ignores_unique_key',
      expected: 'select * from main.base union all select * from main.added',
    },
  ],
});

const MERGE = 'incremental.test_incremental_merge_exclude_columns';
scenarioSuite({
  title:
    'merge with merge_exclude_columns / merge_update_columns: freshet gives the expected tables',
  peers,
  project: 'merge',
  name: 'merge',
  schema: 'dbt_compat',
  files: (f) => ({
    'models/merge_exclude_columns.sql': fixture(f, MERGE, 'models__merge_exclude_columns_sql'),
    'seeds/expected_merge_exclude_columns.csv': fixture(
      f,
      MERGE,
      'seeds__expected_merge_exclude_columns_csv',
    ),
  }),
  steps: [
    { args: ['seed', '--full-refresh'] },
    { args: ['run', '--full-refresh'] },
    { args: ['run'] },
  ],
  codes: [0, 0, 0],
  expected: [
    'merge_exclude_columns',
    'merge_update_columns',
    'merge_all_columns',
    'merge_key_list',
  ].map((m) => ({ actual: m, expected: `expected_${m}` })),
  dbtRefuses: /The incremental strategy 'merge' is not valid for this adapter/,
});
