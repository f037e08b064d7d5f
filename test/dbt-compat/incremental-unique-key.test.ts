// dbt-tests-adapter incremental/test_incremental_unique_id.py, run by dbt and by freshet:
// unique_key as a column, as a one-, two-times- and three-column list, empty, absent and naming a
// column that does not exist. As in dbt's test: seed, build, change the seed with SQL, run again.
// dbt's test does this once per model with --select; here one project runs every model, once
// with each of dbt's two seed changes (add_new_rows: two new keys; duplicate_insert: a newer row
// for an existing key). Ours besides: the key list with delete+insert named explicitly, and
// append with a unique_key (append ignores it).
import { checkPeers, fixture, type DbtFixtures } from './helpers.js';
import { scenarioSuite } from './suite.js';

const peers = checkPeers('dbt-compat/incremental-unique-key.test.ts');
const M = 'incremental.test_incremental_unique_id';

/** dbt's seeds() and models() of SubBaseIncrementalUniqueKey: file → fixture name */
const FILES: Record<string, string> = {
  'seeds/duplicate_insert.sql': 'seeds__duplicate_insert_sql',
  'seeds/seed.csv': 'seeds__seed_csv',
  'seeds/add_new_rows.sql': 'seeds__add_new_rows_sql',
  'models/trinary_unique_key_list.sql': 'models__trinary_unique_key_list_sql',
  'models/nontyped_trinary_unique_key_list.sql': 'models__nontyped_trinary_unique_key_list_sql',
  'models/unary_unique_key_list.sql': 'models__unary_unique_key_list_sql',
  'models/not_found_unique_key.sql': 'models__not_found_unique_key_sql',
  'models/empty_unique_key_list.sql': 'models__empty_unique_key_list_sql',
  'models/no_unique_key.sql': 'models__no_unique_key_sql',
  'models/empty_str_unique_key.sql': 'models__empty_str_unique_key_sql',
  'models/str_unique_key.sql': 'models__str_unique_key_sql',
  'models/duplicated_unary_unique_key_list.sql': 'models__duplicated_unary_unique_key_list_sql',
  'models/not_found_unique_key_list.sql': 'models__not_found_unique_key_list_sql',
  'models/expected/one_str__overwrite.sql': 'models__expected__one_str__overwrite_sql',
  'models/expected/unique_key_list__inplace_overwrite.sql':
    'models__expected__unique_key_list__inplace_overwrite_sql',
};

const files = (f: DbtFixtures) =>
  Object.fromEntries(Object.entries(FILES).map(([file, key]) => [file, fixture(f, M, key)]));

/** dbt's get_test_fields, for every model at once; `change` is a seeds/*.sql fixture. */
const steps = (change: string) => [
  { args: ['seed', '--select', 'seed', '--full-refresh'] },
  { args: ['run', '--full-refresh'] },
  { sql: fixture(peers.fixtures!, M, change) },
  { args: ['run'] },
];

const common = {
  peers,
  project: 'unique_key',
  name: 'unique_key',
  schema: 'dbt_compat',
  files,
  codes: [0, 0, 1],
  // fail_to_build_inc_missing_unique_key_column: error, and the message names the column
  errors: ['not_found_unique_key', 'not_found_unique_key_list'],
  errorMessages: {
    not_found_unique_key: /thisisnotacolumn/i,
    not_found_unique_key_list: /thisisnotacolumn/i,
  },
};

scenarioSuite({
  ...common,
  title: 'incremental unique_key, new keys (add_new_rows): freshet agrees with dbt',
  steps: peers.fixtures ? steps('seeds__add_new_rows_sql') : [],
  // test__empty_unique_key_list, test__no_unique_keys, test__empty_str_unique_key,
  // test__trinary_unique_key_list_no_update: the model equals the seed (9 rows); with only new
  // keys, so do the models keyed on columns.
  expected: [
    'empty_unique_key_list',
    'no_unique_key',
    'empty_str_unique_key',
    'nontyped_trinary_unique_key_list',
    'trinary_unique_key_list',
    'unary_unique_key_list',
    'duplicated_unary_unique_key_list',
    'str_unique_key',
    'delete_insert_trinary',
    'append_str_unique_key',
  ].map((actual) => ({ actual, expected: 'seed' })),
});

scenarioSuite({
  ...common,
  title:
    'incremental unique_key, a newer row for a key (duplicate_insert): freshet agrees with dbt',
  steps: peers.fixtures ? steps('seeds__duplicate_insert_sql') : [],
  expected: [
    // test__one_unique_key
    { actual: 'str_unique_key', expected: 'one_str__overwrite' },
    // test__unary_unique_key_list, test__duplicated_unary_unique_key_list,
    // test__trinary_unique_key_list
    ...[
      'unary_unique_key_list',
      'duplicated_unary_unique_key_list',
      'trinary_unique_key_list',
      'nontyped_trinary_unique_key_list',
      'delete_insert_trinary',
    ].map((actual) => ({ actual, expected: 'unique_key_list__inplace_overwrite' })),
    // no key, or append: the newer row is added beside the old one, like in the seed (8 rows)
    ...[
      'empty_unique_key_list',
      'no_unique_key',
      'empty_str_unique_key',
      'append_str_unique_key',
    ].map((actual) => ({ actual, expected: 'seed' })),
  ],
});
