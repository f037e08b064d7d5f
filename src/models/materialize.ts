import { describe, quoteIdent, quoteLiteral, type Connection } from '../engine/index.js';
import type { ParsedModel } from './compile.js';
import { ModelError } from './errors.js';

/** What a materialization did to its relation in this run. */
export type MaterializeAction =
  'view' | 'table' | 'create' | 'append' | 'delete+insert' | 'ephemeral';

export interface MaterializeContext {
  conn: Connection;
  model: ParsedModel;
  fullRefresh: boolean;
  compile: (isIncremental: boolean) => string;
  /** Called with a temporary relation holding exactly the rows an incremental run appended. */
  onAppend?: (model: ParsedModel, newRows: string) => Promise<void>;
}

export interface MaterializeResult {
  action: MaterializeAction;
  sql: string;
}

export async function relationExists(
  conn: Connection,
  schema: string,
  name: string,
): Promise<boolean> {
  const rows = await conn.rows(
    `SELECT 1 FROM information_schema.tables WHERE table_schema = ${quoteLiteral(schema)} AND table_name = ${quoteLiteral(name)}`,
  );
  return rows.length > 0;
}

async function relationKind(
  conn: Connection,
  schema: string,
  name: string,
): Promise<'table' | 'view' | null> {
  const rows = await conn.rows(
    `SELECT table_type FROM information_schema.tables WHERE table_schema = ${quoteLiteral(schema)} AND table_name = ${quoteLiteral(name)}`,
  );
  if (rows.length === 0) return null;
  return rows[0]!.table_type === 'VIEW' ? 'view' : 'table';
}

/** Replaces whatever is at the relation by a view or table, as dbt does when the kind changes. */
async function dropIfKind(conn: Connection, schema: string, name: string, kind: 'table' | 'view') {
  const existing = await relationKind(conn, schema, name);
  if (existing === kind)
    await conn.run(`DROP ${kind.toUpperCase()} ${quoteIdent(schema)}.${quoteIdent(name)}`);
}

function keyColumns(uniqueKey: string | string[] | undefined): string[] {
  if (!uniqueKey) return [];
  return Array.isArray(uniqueKey) ? uniqueKey : [uniqueKey];
}

/** dbt's on_schema_change: what to do when the new rows' columns differ from the table's. */
async function reconcileColumns(
  ctx: MaterializeContext,
  target: string,
  newRows: string,
): Promise<string[]> {
  const { conn, model } = ctx;
  const mode = model.config.on_schema_change ?? 'ignore';
  const existing = await describe(conn, target);
  const incoming = await describe(conn, newRows);
  const existingNames = new Set(existing.map((c) => c.name));
  const incomingNames = new Set(incoming.map((c) => c.name));
  const added = incoming.filter((c) => !existingNames.has(c.name));
  const removed = existing.filter((c) => !incomingNames.has(c.name));
  if (added.length === 0 && removed.length === 0) return incoming.map((c) => c.name);
  if (mode === 'fail') {
    throw new ModelError(
      `${model.node.path}: the model's columns changed (added: ${added.map((c) => c.name).join(', ') || 'none'}; removed: ${removed.map((c) => c.name).join(', ') || 'none'}) and on_schema_change is 'fail'; run with --full-refresh or set on_schema_change`,
    );
  }
  if (mode === 'append_new_columns' || mode === 'sync_all_columns') {
    for (const c of added)
      await conn.run(`ALTER TABLE ${target} ADD COLUMN ${quoteIdent(c.name)} ${c.type}`);
  }
  if (mode === 'sync_all_columns') {
    for (const c of removed)
      await conn.run(`ALTER TABLE ${target} DROP COLUMN ${quoteIdent(c.name)}`);
  }
  const now = new Set((await describe(conn, target)).map((c) => c.name));
  return incoming.map((c) => c.name).filter((n) => now.has(n));
}

/** Runs one model's compiled SQL into its relation according to its materialization. */
export async function materialize(ctx: MaterializeContext): Promise<MaterializeResult> {
  const { conn, model } = ctx;
  const { schema, identifier } = model.relation;
  const target = model.relation.toString();
  const kind = model.config.materialized;
  if (kind === 'ephemeral') return { action: 'ephemeral', sql: '' };
  await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);

  if (kind === 'view') {
    const sql = ctx.compile(false);
    await dropIfKind(conn, schema, identifier, 'table');
    await conn.run(`CREATE OR REPLACE VIEW ${target} AS ${sql}`);
    return { action: 'view', sql };
  }
  if (kind === 'table') {
    const sql = ctx.compile(false);
    await dropIfKind(conn, schema, identifier, 'view');
    await conn.run(`CREATE OR REPLACE TABLE ${target} AS ${sql}`);
    return { action: 'table', sql };
  }
  if (kind !== 'incremental') {
    throw new ModelError(
      `${model.node.path}: materialization '${String(kind)}' is not supported (use view, table, incremental or ephemeral)`,
    );
  }

  const existing = await relationKind(conn, schema, identifier);
  if (existing !== 'table' || ctx.fullRefresh) {
    const sql = ctx.compile(false);
    if (existing === 'view') await conn.run(`DROP VIEW ${target}`);
    await conn.run(`CREATE OR REPLACE TABLE ${target} AS ${sql}`);
    return { action: 'create', sql };
  }

  const sql = ctx.compile(true);
  const newRows = quoteIdent(`__freshet_new_${identifier}`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE ${newRows} AS ${sql}`);
  try {
    const columns = (await reconcileColumns(ctx, target, newRows)).map(quoteIdent).join(', ');
    const keys = keyColumns(model.config.unique_key);
    const strategy = model.config.incremental_strategy ?? (keys.length > 0 ? 'merge' : 'append');
    if (strategy !== 'append' && keys.length === 0) {
      throw new ModelError(
        `${model.node.path}: incremental_strategy '${strategy}' needs a unique_key`,
      );
    }
    let action: MaterializeAction = 'append';
    if (strategy === 'merge' || strategy === 'delete+insert') {
      // merge and delete+insert agree whenever unique_key is unique, which dbt requires of it.
      const tuple = keys.map(quoteIdent).join(', ');
      await conn.run(`DELETE FROM ${target} WHERE (${tuple}) IN (SELECT ${tuple} FROM ${newRows})`);
      action = 'delete+insert';
    } else if (strategy !== 'append') {
      throw new ModelError(
        `${model.node.path}: incremental_strategy '${String(strategy)}' is not supported (append, merge, delete+insert)`,
      );
    }
    await conn.run(`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${newRows}`);
    if (action === 'append' && ctx.onAppend) await ctx.onAppend(model, newRows);
    return { action, sql };
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${newRows}`);
  }
}
