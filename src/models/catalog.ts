import { describe, quoteIdent, type Connection } from '../engine/index.js';

export type RelationKind = 'table' | 'view';
export type Column = { name: string; type: string };

/**
 * What the runner knows of the database's relations, read once per run instead of one
 * information_schema query per model (a run every second cannot pay for dozens of catalog
 * lookups). The runner is the only writer of the relations it manages, so it keeps the
 * catalog current as it creates, replaces and alters them; `load` re-reads it at every run, so
 * tables created by others (the platform restoring from the lake) are seen.
 */
export class RelationCatalog {
  private kinds = new Map<string, RelationKind>();
  private schemas = new Set<string>();
  private readonly columns = new Map<string, Column[]>();
  /** The SQL each view was last created with here, to skip replacing an unchanged view. */
  private readonly viewSql = new Map<string, string>();

  private key(schema: string, name: string): string {
    return `${schema}\u0000${name}`;
  }

  async load(conn: Connection): Promise<void> {
    const rows = await conn.rows(
      `SELECT schema_name AS s, NULL AS t, NULL AS k FROM information_schema.schemata
       UNION ALL SELECT table_schema, table_name, table_type FROM information_schema.tables`,
    );
    const kinds = new Map<string, RelationKind>();
    const schemas = new Set<string>();
    for (const r of rows) {
      if (r.t === null) schemas.add(String(r.s));
      else kinds.set(this.key(String(r.s), String(r.t)), r.k === 'VIEW' ? 'view' : 'table');
    }
    // A relation dropped or replaced behind our back loses what we remembered of it.
    for (const k of this.columns.keys()) if (!kinds.has(k)) this.columns.delete(k);
    for (const k of this.viewSql.keys()) if (kinds.get(k) !== 'view') this.viewSql.delete(k);
    this.kinds = kinds;
    this.schemas = schemas;
  }

  kind(schema: string, name: string): RelationKind | null {
    return this.kinds.get(this.key(schema, name)) ?? null;
  }

  async ensureSchema(conn: Connection, schema: string): Promise<void> {
    if (this.schemas.has(schema)) return;
    await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    this.schemas.add(schema);
  }

  /** Records what a statement did to a relation (null: dropped). */
  changed(schema: string, name: string, kind: RelationKind | null, viewSql?: string): void {
    const k = this.key(schema, name);
    this.columns.delete(k);
    this.viewSql.delete(k);
    if (kind === null) this.kinds.delete(k);
    else this.kinds.set(k, kind);
    if (viewSql !== undefined) this.viewSql.set(k, viewSql);
  }

  /** True when the view exists and was created here from exactly this SQL. */
  viewIsCurrent(schema: string, name: string, sql: string): boolean {
    return this.viewSql.get(this.key(schema, name)) === sql && this.kind(schema, name) === 'view';
  }

  async columnsOf(conn: Connection, schema: string, name: string): Promise<Column[]> {
    const k = this.key(schema, name);
    let cols = this.columns.get(k);
    if (!cols) {
      cols = await describe(conn, `${quoteIdent(schema)}.${quoteIdent(name)}`);
      this.columns.set(k, cols);
    }
    return cols;
  }

  /** Forgets everything (after a rolled-back run, whose changes the catalog had recorded). */
  clear(): void {
    this.kinds.clear();
    this.schemas.clear();
    this.columns.clear();
    this.viewSql.clear();
  }
}
