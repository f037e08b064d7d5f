// dbt-tests-adapter incremental/test_incremental_on_schema_change.py, run by dbt and by freshet:
// on_schema_change ignore / fail / append_new_columns / sync_all_columns, each model built and
// then run incrementally against a changed query, compared with its *_target model. dbt's test
// runs each pair with --select; here one project runs all of them in two `run`s (the models are
// independent), and the second run errors exactly where dbt's does: on_schema_change='fail', and
// 'ignore' when the new query lacks a column the table has (incremental_ignore_remove, ours).
import { fixture } from './helpers.js';
import { checkPeers } from './helpers.js';
import { scenarioSuite } from './suite.js';

const peers = checkPeers('dbt-compat/incremental-on-schema-change.test.ts');
const M = 'incremental.fixtures';

/** dbt's models() of BaseIncrementalOnSchemaChangeSetup: file → fixture name */
const MODELS: Record<string, string> = {
  incremental_sync_remove_only: '_MODELS__INCREMENTAL_SYNC_REMOVE_ONLY',
  incremental_ignore: '_MODELS__INCREMENTAL_IGNORE',
  incremental_sync_remove_only_target: '_MODELS__INCREMENTAL_SYNC_REMOVE_ONLY_TARGET',
  incremental_ignore_target: '_MODELS__INCREMENTAL_IGNORE_TARGET',
  incremental_fail: '_MODELS__INCREMENTAL_FAIL',
  incremental_sync_all_columns: '_MODELS__INCREMENTAL_SYNC_ALL_COLUMNS',
  incremental_append_new_columns_remove_one: '_MODELS__INCREMENTAL_APPEND_NEW_COLUMNS_REMOVE_ONE',
  model_a: '_MODELS__A',
  incremental_append_new_columns_target: '_MODELS__INCREMENTAL_APPEND_NEW_COLUMNS_TARGET',
  incremental_append_new_columns: '_MODELS__INCREMENTAL_APPEND_NEW_COLUMNS',
  incremental_sync_all_columns_target: '_MODELS__INCREMENTAL_SYNC_ALL_COLUMNS_TARGET',
  incremental_append_new_columns_remove_one_target:
    '_MODELS__INCREMENTAL_APPEND_NEW_COLUMNS_REMOVE_ONE_TARGET',
};

/** dbt's compare_source → compare_target pairs (run_twice_and_assert) */
const PAIRS = [
  'incremental_ignore',
  'incremental_append_new_columns',
  'incremental_append_new_columns_remove_one',
  'incremental_sync_all_columns',
  'incremental_sync_remove_only',
];

scenarioSuite({
  title: 'incremental on_schema_change: freshet agrees with dbt',
  peers,
  project: 'on_schema_change',
  name: 'on_schema_change',
  schema: 'main',
  files: (f) =>
    Object.fromEntries(
      Object.entries(MODELS).map(([file, key]) => [`models/${file}.sql`, fixture(f, M, key)]),
    ),
  steps: [{ args: ['run'] }, { args: ['run'] }],
  codes: [0, 1],
  errors: ['incremental_fail', 'incremental_ignore_remove'],
  expected: PAIRS.map((m) => ({ actual: m, expected: `${m}_target` })),
});
