import { describe, quoteIdent, type Connection } from '../engine/index.js';
import type { Column, RelationCatalog } from './catalog.js';
import type { ParsedModel } from './compile.js';
import { ModelError } from './errors.js';

/** What a materialization did to its relation in this run. */
export type MaterializeAction =
  'view' | 'table' | 'create' | 'append' | 'merge' | 'delete+insert' | 'ephemeral';

export interface MaterializeContext {
  conn: Connection;
  model: ParsedModel;
  fullRefresh: boolean;
  compile: (isIncremental: boolean) => string;
  /** Called with a temporary relation holding exactly the rows an incremental run appended. */
  onAppend?: (model: ParsedModel, newRows: string) => Promise<void>;
  /** Called with an incremental run's SQL before it runs (compile checks against the target). */
  beforeIncremental?: (sql: string) => Promise<void>;
  /** The runner's view of the database's relations (loaded at the start of the run). */
  catalog: RelationCatalog;
}

export interface MaterializeResult {
  action: MaterializeAction;
  sql: string;
  /** Incremental runs: the rows the model's query produced this time (0: nothing to write). */
  rows?: number;
}

/** Replaces whatever is at the relation by a view or table, as dbt does when the kind changes. */
async function dropIfKind(ctx: MaterializeContext, kind: 'table' | 'view') {
  const { schema, identifier } = ctx.model.relation;
  if (ctx.catalog.kind(schema, identifier) !== kind) return;
  await ctx.conn.run(`DROP ${kind.toUpperCase()} ${ctx.model.relation.toString()}`);
  ctx.catalog.changed(schema, identifier, null);
}

function keyColumns(uniqueKey: string | string[] | undefined): string[] {
  if (!uniqueKey) return [];
  return Array.isArray(uniqueKey) ? uniqueKey : [uniqueKey];
}

/**
 * dbt's on_schema_change, with dbt's exact rules (dbt-adapters' process_schema_changes):
 *  - ignore: the insert uses the target's columns; a new column is left out, and a column the
 *    model no longer produces makes the insert fail (as in dbt);
 *  - fail: any added, removed or retyped column stops the run;
 *  - append_new_columns: new columns are added, removed ones stay (null in new rows);
 *  - sync_all_columns: new columns added, removed ones dropped, retyped ones altered.
 * Returns the columns the rows are written with (dbt's dest_columns).
 */
async function processSchemaChanges(
  ctx: MaterializeContext,
  target: string,
  newRows: string,
): Promise<Column[]> {
  const { conn, model, catalog } = ctx;
  const { schema, identifier } = model.relation;
  const mode = model.config.on_schema_change ?? 'ignore';
  const existing = await catalog.columnsOf(conn, schema, identifier);
  if (mode === 'ignore') return existing;
  if (!['fail', 'append_new_columns', 'sync_all_columns'].includes(mode)) {
    throw new ModelError(
      `${model.node.path}: on_schema_change '${String(mode)}' is not one of ignore, fail, append_new_columns, sync_all_columns`,
    );
  }
  const incoming = await describe(conn, newRows);
  const byName = (cols: Column[]) => new Map(cols.map((c) => [c.name.toLowerCase(), c]));
  const existingByName = byName(existing);
  const incomingByName = byName(incoming);
  const added = incoming.filter((c) => !existingByName.has(c.name.toLowerCase()));
  const removed = existing.filter((c) => !incomingByName.has(c.name.toLowerCase()));
  const retyped = incoming.filter((c) => {
    const old = existingByName.get(c.name.toLowerCase());
    return old !== undefined && old.type !== c.type;
  });
  if (added.length === 0 && removed.length === 0 && retyped.length === 0) return incoming;
  if (mode === 'fail') {
    const list = (cols: Column[]) => cols.map((c) => c.name).join(', ') || 'none';
    throw new ModelError(
      `${model.node.path}: the columns of ${target} changed (added: ${list(added)}; removed: ${list(removed)}; type changed: ${list(retyped)}) and on_schema_change is 'fail'; run with --full-refresh or choose another on_schema_change`,
    );
  }
  for (const c of added)
    await conn.run(`ALTER TABLE ${target} ADD COLUMN ${quoteIdent(c.name)} ${c.type}`);
  if (mode === 'sync_all_columns') {
    for (const c of removed)
      await conn.run(`ALTER TABLE ${target} DROP COLUMN ${quoteIdent(c.name)}`);
    for (const c of retyped)
      await conn.run(`ALTER TABLE ${target} ALTER COLUMN ${quoteIdent(c.name)} TYPE ${c.type}`);
  }
  catalog.changed(schema, identifier, 'table');
  return incoming;
}

/** dbt's merge_update_columns / merge_exclude_columns (get_merge_update_columns). */
function updateColumns(model: ParsedModel, dest: Column[]): string[] {
  const only = model.config.merge_update_columns;
  const exclude = model.config.merge_exclude_columns;
  if (only && exclude) {
    throw new ModelError(
      `${model.node.path}: Model cannot specify merge_update_columns and merge_exclude_columns. Please update model to use only one config`,
    );
  }
  if (only) return only;
  const names = dest.map((c) => c.name);
  if (exclude) {
    const ex = new Set(exclude.map((e) => e.toLowerCase()));
    return names.filter((n) => !ex.has(n.toLowerCase()));
  }
  return names;
}

function predicatesOf(model: ParsedModel): string[] {
  const p =
    model.config.incremental_predicates ?? (model.config.predicates as string[] | undefined);
  if (!p) return [];
  return Array.isArray(p) ? p.map(String) : [String(p)];
}

/** The statements of dbt-duckdb's delete+insert (duckdb__get_delete_insert_merge_sql). */
function deleteInsertSql(model: ParsedModel, target: string, source: string, keys: string[]) {
  const predicates = predicatesOf(model)
    .map((p) => ` and ${p}`)
    .join('');
  if (keys.length === 0) return null;
  if (Array.isArray(model.config.unique_key)) {
    const match = keys
      .map((k) => `${source}.${quoteIdent(k)} = DBT_INCREMENTAL_TARGET.${quoteIdent(k)}`)
      .join(' and ');
    return `DELETE FROM ${target} AS DBT_INCREMENTAL_TARGET USING ${source} WHERE (${match}${predicates})`;
  }
  // A single unique_key is an expression in dbt (it may name several columns with commas).
  const key = model.config.unique_key as string;
  return `DELETE FROM ${target} WHERE (${key}) IN (SELECT (${key}) FROM ${source})${predicates}`;
}

/** dbt's default__get_merge_sql, as DuckDB's MERGE INTO. */
function mergeSql(
  model: ParsedModel,
  target: string,
  source: string,
  keys: string[],
  dest: Column[],
): string {
  const predicates = [...predicatesOf(model)];
  if (Array.isArray(model.config.unique_key)) {
    for (const k of keys)
      predicates.push(`DBT_INTERNAL_SOURCE.${quoteIdent(k)} = DBT_INTERNAL_DEST.${quoteIdent(k)}`);
  } else {
    // dbt 1.10's equals(): a single key matches null to null.
    const k = model.config.unique_key as string;
    predicates.push(
      `DBT_INTERNAL_SOURCE.${k} = DBT_INTERNAL_DEST.${k} or (DBT_INTERNAL_SOURCE.${k} is null and DBT_INTERNAL_DEST.${k} is null)`,
    );
  }
  const cols = dest.map((c) => quoteIdent(c.name));
  const update = updateColumns(model, dest)
    .map((c) => `${quoteIdent(c)} = DBT_INTERNAL_SOURCE.${quoteIdent(c)}`)
    .join(', ');
  const whenMatched = update ? `WHEN MATCHED THEN UPDATE SET ${update} ` : '';
  return (
    `MERGE INTO ${target} AS DBT_INTERNAL_DEST USING ${source} AS DBT_INTERNAL_SOURCE ` +
    `ON (${predicates.join(') AND (')}) ${whenMatched}` +
    `WHEN NOT MATCHED THEN INSERT (${cols.join(', ')}) VALUES (${cols.map((c) => `DBT_INTERNAL_SOURCE.${c}`).join(', ')})`
  );
}

/** Runs one model's compiled SQL into its relation according to its materialization. */
export async function materialize(ctx: MaterializeContext): Promise<MaterializeResult> {
  const { conn, model, catalog } = ctx;
  const { schema, identifier } = model.relation;
  const target = model.relation.toString();
  const kind = model.config.materialized;
  if (kind === 'ephemeral') return { action: 'ephemeral', sql: '' };

  if (kind === 'view') {
    const sql = ctx.compile(false);
    // A view the runner created from this very SQL is already what the model asks for.
    if (catalog.viewIsCurrent(schema, identifier, sql)) return { action: 'view', sql };
    await dropIfKind(ctx, 'table');
    await conn.run(`CREATE OR REPLACE VIEW ${target} AS ${sql}`);
    catalog.changed(schema, identifier, 'view', sql);
    return { action: 'view', sql };
  }
  if (kind === 'table') {
    const sql = ctx.compile(false);
    await dropIfKind(ctx, 'view');
    await conn.run(`CREATE OR REPLACE TABLE ${target} AS ${sql}`);
    catalog.changed(schema, identifier, 'table');
    return { action: 'table', sql };
  }
  if (kind !== 'incremental') {
    throw new ModelError(
      `${model.node.path}: materialization '${String(kind)}' is not supported (use view, table, incremental or ephemeral)`,
    );
  }

  const existing = catalog.kind(schema, identifier);
  // dbt's `full_refresh: false` config keeps a model incremental even under --full-refresh.
  const fullRefresh = ctx.fullRefresh && model.config.full_refresh !== false;
  if (existing !== 'table' || fullRefresh) {
    const sql = ctx.compile(false);
    if (existing === 'view') await conn.run(`DROP VIEW ${target}`);
    await conn.run(`CREATE OR REPLACE TABLE ${target} AS ${sql}`);
    catalog.changed(schema, identifier, 'table');
    return { action: 'create', sql };
  }

  const keys = keyColumns(model.config.unique_key);
  const strategy = model.config.incremental_strategy ?? 'delete+insert';
  if (!['append', 'merge', 'delete+insert'].includes(strategy)) {
    throw new ModelError(
      `${model.node.path}: incremental_strategy '${String(strategy)}' is not supported (append, merge, delete+insert)`,
    );
  }
  const sql = ctx.compile(true);
  await ctx.beforeIncremental?.(sql);
  const newRows = quoteIdent(`__freshet_new_${identifier}`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${newRows} AS ${sql}`);
  try {
    const dest = await processSchemaChanges(ctx, target, newRows);
    const [count] = await conn.rows(`SELECT count(*)::BIGINT AS n FROM ${newRows}`);
    const rows = Number(count!.n);
    const del = strategy === 'delete+insert' ? deleteInsertSql(model, target, newRows, keys) : null;
    const action: MaterializeAction =
      strategy === 'merge' && keys.length > 0 ? 'merge' : del ? 'delete+insert' : 'append';
    // Nothing new: the delete would still scan the target, and the insert has nothing to add.
    if (rows === 0) return { action, sql, rows };
    const columns = dest.map((c) => quoteIdent(c.name)).join(', ');
    if (action === 'merge') {
      await conn.run(mergeSql(model, target, newRows, keys, dest));
      return { action, sql, rows };
    }
    if (del) await conn.run(del);
    await conn.run(`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${newRows}`);
    if (!del && ctx.onAppend) await ctx.onAppend(model, newRows);
    return { action, sql, rows };
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${newRows}`);
  }
}
