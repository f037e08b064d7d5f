import { randomUUID } from 'node:crypto';
import {
  LakeError,
  TableNotFoundError,
  checkWritable,
  removeAction,
  type Action,
  type AddFile,
  type DeltaTable,
  type Snapshot,
} from '../lake/index.js';
import { filesMatchingKeys, filesMatchingPredicate } from './data-skipping.js';
import { EngineError } from './errors.js';
import { describe } from './lake-tables.js';
import { FILE_COLUMN, ROW_COLUMN, filesSelect, stageRelation, statsRows } from './lake-rewrite.js';
import { quoteIdent, type Connection } from './session.js';

/**
 * DELETE and MERGE on Delta tables, executed by DuckDB, copy-on-write: the data files that hold
 * affected rows are rewritten without them (remove + add, dataChange true), every other file stays,
 * and the whole change is one commit. Files are chosen by their statistics first (data skipping),
 * then by reading only the candidates.
 *
 * Conflicts follow Delta's WriteSerializable rules: the statement counts as reading every
 * candidate file, so a concurrent commit that removes one of them (another delete, a merge, a
 * compaction) makes it fail with CommitConflictError, and a concurrent blind append commutes with
 * it. A MERGE that inserts also depends on keys being absent anywhere, so it counts as reading the
 * whole table. On a conflict nothing is left behind; redo the statement on a fresh snapshot.
 */

export interface DmlOptions {
  /** Folder for the files DuckDB writes before they move into the table. */
  tmpDir: string;
  /** Progress to record atomically with the change (exactly-once writers). */
  txns?: { appId: string; version: number }[];
  /** Extra commitInfo fields. */
  commitInfo?: Record<string, unknown>;
  /** Rewritten output is split into files of about this many bytes. Default 128 MiB. */
  targetFileBytes?: number;
}

/** What a DELETE or MERGE did. */
export interface DmlResult {
  /** The committed version, or the version read when there was nothing to commit. */
  version: number;
  committed: boolean;
  /** Files read after data skipping. */
  filesScanned: number;
  /** Files data skipping ruled out without reading them. */
  filesSkipped: number;
  filesRemoved: number;
  filesAdded: number;
  /** Unchanged rows copied into the rewritten files. */
  copiedRows: number;
}

export interface DeleteResult extends DmlResult {
  deletedRows: number;
}

const DEFAULT_TARGET_FILE_BYTES = 128 * 1024 * 1024;

/**
 * Deletes the rows for which `predicate` (a DuckDB boolean expression over the table's columns)
 * is true. Rows where it is NULL stay, as in SQL.
 *
 * @example
 * await deleteWhere(conn, table, "store_id = 'S0042' AND sold_at < TIMESTAMPTZ '2026-01-01'",
 *   { tmpDir: '/data/tmp' });
 */
export async function deleteWhere(
  conn: Connection,
  table: DeltaTable,
  predicate: string,
  opts: DmlOptions,
): Promise<DeleteResult> {
  const snapshot = await existing(table);
  const { files: candidates, skipped } = await filesMatchingPredicate(conn, snapshot, predicate);
  const result: DeleteResult = {
    version: snapshot.version,
    committed: false,
    filesScanned: candidates.length,
    filesSkipped: skipped,
    filesRemoved: 0,
    filesAdded: 0,
    copiedRows: 0,
    deletedRows: 0,
  };
  const byUri = new Map(candidates.map((f) => [table.fileUri(f), f]));
  const counts =
    candidates.length === 0
      ? []
      : await conn.rows(
          `SELECT ${quoteIdent(FILE_COLUMN)} AS file, count(*) FILTER (WHERE (${predicate})) AS hit,
                  count(*) AS total
           FROM (${filesSelect(table, snapshot, candidates, { identity: true })})
           GROUP BY ALL HAVING count(*) FILTER (WHERE (${predicate})) > 0`,
        );
  const touched: AddFile[] = [];
  const partly: AddFile[] = [];
  for (const row of counts) {
    const file = byUri.get(String(row.file));
    if (!file)
      throw new EngineError(`DuckDB read a file that is not in the snapshot: ${String(row.file)}`);
    touched.push(file);
    result.deletedRows += Number(row.hit);
    if (Number(row.hit) < Number(row.total)) partly.push(file);
  }
  if (touched.length === 0 && (opts.txns ?? []).length === 0) return result;

  const adds =
    partly.length === 0
      ? []
      : await stageRelation(
          conn,
          `(SELECT * FROM (${filesSelect(table, snapshot, partly)}) WHERE (${predicate}) IS NOT TRUE)`,
          table,
          snapshot,
          {
            tmpDir: opts.tmpDir,
            dataChange: true,
            targetFileBytes: opts.targetFileBytes ?? DEFAULT_TARGET_FILE_BYTES,
          },
        );
  result.copiedRows = adds.reduce((n, f) => n + (statsRows(f) ?? 0), 0);
  const now = Date.now();
  const version = await commitOrDiscard(
    table,
    adds,
    [...touched.map((f) => removeAction(f, true, now)), ...adds.map((add) => ({ add }))],
    {
      operation: 'DELETE',
      operationParameters: { predicate: JSON.stringify([predicate]) },
      readVersion: snapshot.version,
      isBlindAppend: false,
      readPaths: candidates.map((f) => f.path),
      txns: opts.txns,
      commitInfo: {
        ...opts.commitInfo,
        operationMetrics: {
          numRemovedFiles: touched.length,
          numAddedFiles: adds.length,
          numDeletedRows: result.deletedRows,
          numCopiedRows: result.copiedRows,
          numFilesSkipped: skipped,
        },
      },
    },
  );
  return {
    ...result,
    version,
    committed: true,
    filesRemoved: touched.length,
    filesAdded: adds.length,
  };
}

/** A target row matched by a source row: update it (every column from the source unless `set`), or delete it. */
export type WhenMatched =
  | {
      action: 'update';
      /** Column -> SQL expression over `t` (target) and `s` (source); other columns keep their value. */
      set?: Record<string, string>;
      /** Only rows for which this SQL condition over `t` and `s` holds. */
      condition?: string;
    }
  | { action: 'delete'; condition?: string };

/** A source row that matches no target row: insert it (every column from the source unless `values`). */
export interface WhenNotMatched {
  action: 'insert';
  /** Column -> SQL expression over `s`; columns not given are NULL. */
  values?: Record<string, string>;
  /** Only source rows for which this SQL condition over `s` holds. */
  condition?: string;
}

export interface MergeOptions extends DmlOptions {
  /** Key columns: a target and a source row match when all are equal (null keys never match). */
  on: string[];
  /** Default `{ action: 'update' }` (update every column from the source); null leaves matches alone. */
  whenMatched?: WhenMatched | null;
  /** Default `{ action: 'insert' }` (insert every column from the source); null inserts nothing. */
  whenNotMatched?: WhenNotMatched | null;
}

export interface MergeResult extends DmlResult {
  sourceRows: number;
  updatedRows: number;
  deletedRows: number;
  insertedRows: number;
}

/**
 * Delta MERGE of the rows of `source` (a DuckDB relation: a table name or a parenthesised SELECT)
 * into `table` by the key columns `on`: matched target rows are updated or deleted, unmatched
 * source rows inserted, all in one commit. Only files that hold a matched key are rewritten.
 * Throws EngineError when two source rows match one target row (the result would depend on
 * their order; deduplicate the source by the keys first).
 *
 * @example
 * await mergeInto(conn, table, 'staged_inventory', { on: ['store_id', 'sku'], tmpDir,
 *   txns: [{ appId: 'inventory-upsert', version: 17 }] });
 */
export async function mergeInto(
  conn: Connection,
  table: DeltaTable,
  source: string,
  opts: MergeOptions,
): Promise<MergeResult> {
  const snapshot = await existing(table);
  const matched = opts.whenMatched === undefined ? { action: 'update' as const } : opts.whenMatched;
  const notMatched =
    opts.whenNotMatched === undefined ? { action: 'insert' as const } : opts.whenNotMatched;
  const columns = snapshot.schema.fields.map((f) => f.name);
  const keys = opts.on;
  if (keys.length === 0) throw new EngineError('MERGE needs at least one key column (on)');

  const id = randomUUID().slice(0, 8);
  const src = quoteIdent(`__freshet_merge_src_${id}`);
  const hits = quoteIdent(`__freshet_merge_hits_${id}`);
  const SROW = quoteIdent('__freshet_srow');
  try {
    await conn.run(
      `CREATE TEMP TABLE ${src} AS SELECT *, row_number() OVER () AS ${SROW} FROM ${source}`,
    );
    const sourceColumns = new Set((await describe(conn, src)).map((c) => c.name));
    const missingKeys = keys.filter((k) => !columns.includes(k) || !sourceColumns.has(k));
    if (missingKeys.length > 0) {
      throw new EngineError(
        `MERGE key column(s) ${missingKeys.join(', ')} must be in both the table and the source`,
      );
    }
    const needsAll =
      (matched?.action === 'update' && matched.set === undefined) ||
      (notMatched !== null && notMatched.values === undefined);
    const lacking = columns.filter((c) => !sourceColumns.has(c));
    if (needsAll && lacking.length > 0) {
      throw new EngineError(
        `the MERGE source lacks column(s) ${lacking.join(', ')} of '${table.tablePath}'; add them, or give explicit update/insert expressions`,
      );
    }
    const unknownSet = Object.keys({
      ...(matched?.action === 'update' ? matched.set : {}),
      ...notMatched?.values,
    }).filter((c) => !columns.includes(c));
    if (unknownSet.length > 0) {
      throw new EngineError(
        `MERGE sets column(s) ${unknownSet.join(', ')} that '${table.tablePath}' does not have`,
      );
    }

    const [{ n: sourceRows } = { n: 0 }] = await conn.rows(`SELECT count(*) AS n FROM ${src}`);
    const { files: candidates, skipped } = await filesMatchingKeys(conn, snapshot, src, keys);
    const on = keys.map((k) => `t.${quoteIdent(k)} = s.${quoteIdent(k)}`).join(' AND ');
    const applies = matched?.condition ? `COALESCE((${matched.condition}), false)` : 'true';
    // Every key match, and whether the matched clause applies to it.
    await conn.run(
      `CREATE TEMP TABLE ${hits} AS
       SELECT t.${quoteIdent(FILE_COLUMN)} AS file, t.${quoteIdent(ROW_COLUMN)} AS row,
              s.${SROW} AS srow, ${matched ? applies : 'false'} AS apply
       FROM (${filesSelect(table, snapshot, candidates, { identity: true })}) t JOIN ${src} s ON ${on}`,
    );
    if (matched) {
      const [dup] = await conn.rows(
        `SELECT file, row FROM ${hits} WHERE apply GROUP BY ALL HAVING count(*) > 1 LIMIT 1`,
      );
      if (dup) {
        throw new EngineError(
          `MERGE found several source rows for one target row (keys ${keys.join(', ')}): the result would depend on their order; deduplicate the source by the keys first`,
        );
      }
    }
    const byUri = new Map(candidates.map((f) => [table.fileUri(f), f]));
    const touchedRows = await conn.rows(`SELECT DISTINCT file FROM ${hits} WHERE apply ORDER BY 1`);
    const touched = touchedRows.map((r) => {
      const f = byUri.get(String(r.file));
      if (!f)
        throw new EngineError(`DuckDB read a file that is not in the snapshot: ${String(r.file)}`);
      return f;
    });
    const [{ n: applied } = { n: 0 }] = await conn.rows(
      `SELECT count(*) AS n FROM ${hits} WHERE apply`,
    );

    const parts: string[] = [];
    if (touched.length > 0) {
      const value = (c: string) => {
        const q = quoteIdent(c);
        if (matched?.action !== 'update') return `t.${q}`;
        const expr = matched.set === undefined ? `s.${q}` : (matched.set[c] ?? `t.${q}`);
        return `CASE WHEN m.srow IS NOT NULL THEN ${expr} ELSE t.${q} END`;
      };
      parts.push(
        `SELECT ${columns.map((c) => `${value(c)} AS ${quoteIdent(c)}`).join(', ')}
         FROM (${filesSelect(table, snapshot, touched, { identity: true })}) t
         LEFT JOIN (SELECT * FROM ${hits} WHERE apply) m
           ON t.${quoteIdent(FILE_COLUMN)} = m.file AND t.${quoteIdent(ROW_COLUMN)} = m.row
         LEFT JOIN ${src} s ON s.${SROW} = m.srow
         ${matched?.action === 'delete' ? 'WHERE m.srow IS NULL' : ''}`,
      );
    }
    let inserted = 0;
    if (notMatched) {
      const insertWhere = `s.${SROW} NOT IN (SELECT srow FROM ${hits})${
        notMatched.condition ? ` AND COALESCE((${notMatched.condition}), false)` : ''
      }`;
      const [{ n } = { n: 0 }] = await conn.rows(
        `SELECT count(*) AS n FROM ${src} s WHERE ${insertWhere}`,
      );
      inserted = Number(n);
      if (inserted > 0) {
        const value = (c: string) =>
          notMatched.values === undefined ? `s.${quoteIdent(c)}` : (notMatched.values[c] ?? 'NULL');
        parts.push(
          `SELECT ${columns.map((c) => `${value(c)} AS ${quoteIdent(c)}`).join(', ')} FROM ${src} s WHERE ${insertWhere}`,
        );
      }
    }

    const result: MergeResult = {
      version: snapshot.version,
      committed: false,
      filesScanned: candidates.length,
      filesSkipped: skipped,
      filesRemoved: 0,
      filesAdded: 0,
      copiedRows: 0,
      sourceRows: Number(sourceRows),
      updatedRows: matched?.action === 'update' ? Number(applied) : 0,
      deletedRows: matched?.action === 'delete' ? Number(applied) : 0,
      insertedRows: inserted,
    };
    if (parts.length === 0 && (opts.txns ?? []).length === 0) return result;

    const adds =
      parts.length === 0
        ? []
        : await stageRelation(conn, `(${parts.join(' UNION ALL ')})`, table, snapshot, {
            tmpDir: opts.tmpDir,
            dataChange: true,
            targetFileBytes: opts.targetFileBytes ?? DEFAULT_TARGET_FILE_BYTES,
          });
    const written = adds.reduce((n, f) => n + (statsRows(f) ?? 0), 0);
    result.copiedRows = Math.max(0, written - inserted - result.updatedRows);
    const now = Date.now();
    const clause = (kind: string, condition?: string) => ({
      actionType: kind,
      ...(condition ? { predicate: condition } : {}),
    });
    const version = await commitOrDiscard(
      table,
      adds,
      [...touched.map((f) => removeAction(f, true, now)), ...adds.map((add) => ({ add }))],
      {
        operation: 'MERGE',
        operationParameters: {
          predicate: JSON.stringify([on]),
          matchedPredicates: JSON.stringify(
            matched ? [clause(matched.action, matched.condition)] : [],
          ),
          notMatchedPredicates: JSON.stringify(
            notMatched ? [clause('insert', notMatched.condition)] : [],
          ),
        },
        readVersion: snapshot.version,
        isBlindAppend: false,
        readPaths: candidates.map((f) => f.path),
        // "Not matched" is a statement about the whole table: a concurrent writer adding the key
        // anywhere must make this commit fail rather than produce a duplicate.
        readWholeTable: inserted > 0,
        txns: opts.txns,
        commitInfo: {
          ...opts.commitInfo,
          operationMetrics: {
            numSourceRows: result.sourceRows,
            numTargetRowsUpdated: result.updatedRows,
            numTargetRowsDeleted: result.deletedRows,
            numTargetRowsInserted: result.insertedRows,
            numTargetRowsCopied: result.copiedRows,
            numTargetFilesRemoved: touched.length,
            numTargetFilesAdded: adds.length,
            numTargetFilesSkipped: skipped,
          },
        },
      },
    );
    return {
      ...result,
      version,
      committed: true,
      filesRemoved: touched.length,
      filesAdded: adds.length,
    };
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${hits}`).catch(() => undefined);
    await conn.run(`DROP TABLE IF EXISTS ${src}`).catch(() => undefined);
  }
}

async function existing(table: DeltaTable): Promise<Snapshot> {
  const snapshot = await table.snapshot();
  if (snapshot.version < 0) throw new TableNotFoundError(table.tablePath, table.store.description);
  // Before any work: files are read here as plain Parquet, which deletion vectors or column
  // mapping would make wrong, and such tables are refused for writing anyway.
  checkWritable(snapshot.protocol, snapshot.metadata, table.tablePath);
  return snapshot;
}

/** Commits, or deletes the staged files when the commit is refused, so a lost race leaves no orphans. */
export async function commitOrDiscard(
  table: DeltaTable,
  staged: readonly AddFile[],
  actions: Action[],
  opts: Parameters<DeltaTable['commit']>[1],
): Promise<number> {
  try {
    return await table.commit(actions, opts);
  } catch (err) {
    // A LakeError is raised before the commit file is written (a conflict, a refused commit), so
    // the files are certainly unreferenced. After an I/O error the commit may have landed: keep
    // them (vacuum takes them later if it did not).
    if (err instanceof LakeError) {
      await Promise.all(staged.map((f) => table.discardStagedFile(f).catch(() => undefined)));
    }
    throw err;
  }
}
