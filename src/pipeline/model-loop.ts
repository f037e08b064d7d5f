import {
  defineLakeView,
  deltaSchemaOf,
  loadLakeTable,
  quoteIdent,
  writeDataFile,
  type Connection,
} from '../engine/index.js';
import { DeltaTable, writeIcebergMetadata, type ObjectStore } from '../lake/index.js';
import type { ModelRunner, ModelRunResult, ParsedModel } from '../models/index.js';
import type { Metrics } from '../observe/index.js';
import type { BronzeSink } from './bronze-writer.js';
import { lakePath, publishAppId } from './names.js';

/** What the serving layer and the health endpoint need to know about the last model run. */
export interface ModelLoopState {
  runs: number;
  lastRunAt: number | null;
  lastRunMs: number | null;
  /** Newest log acceptance time (ms) of any event the served silver/gold tables reflect. */
  watermark: number | null;
  lastError: string | null;
  results: ModelRunResult[];
}

/** The project's data tests at their last run in the loop. */
export interface DataTestState {
  at: number | null;
  pass: number;
  warn: number;
  fail: number;
  error: number;
  /** Every test that did not pass: name, status, failing rows, message. */
  problems: { name: string; status: string; failures: number | null; message: string }[];
}

export interface PublishedTable {
  table: string;
  layer: string;
  version: number;
  /** Newest acceptance time reflected in the lake copy (ms). */
  watermark: number | null;
}

type PublishMode = 'append' | 'full';

/** The layer whose tables also get Iceberg metadata. */
const ICEBERG_LAYER = 'gold';

/**
 * The transformation stage. Each run refreshes the bronze views to the latest Delta snapshots,
 * then runs every model of the project in ONE DuckDB transaction: API readers see all of silver
 * and gold change together, and a failed run changes nothing. Incremental models keep their
 * position in their own rows (dbt's way: max(_accepted_at) minus a lookback, then an anti-join on
 * event id), so a run after any crash recomputes exactly what is missing.
 *
 * Every publish interval, silver and gold are committed to the lake: rows that incremental models
 * appended since the last publish as a Delta append, tables rebuilt by the run as an overwrite,
 * each commit with a `txn` (appId = model, version = publish sequence). On start the DuckDB tables
 * are loaded back from those Delta tables, so the lake stays the source of truth.
 */
export class ModelLoop {
  state: ModelLoopState = {
    runs: 0,
    lastRunAt: null,
    lastRunMs: null,
    watermark: null,
    lastError: null,
    results: [],
  };
  dataTests: DataTestState = { at: null, pass: 0, warn: 0, fail: 0, error: 0, problems: [] };
  readonly published = new Map<string, PublishedTable>();
  private readonly tables = new Map<string, DeltaTable>();
  private readonly dirty = new Map<string, PublishMode>();
  private lastBronzeVersions = '';
  private pendingWatermark: number | null = null;
  private lastRunClock = 0;
  /** Delta version each bronze view currently reads. */
  private readonly viewVersions = new Map<string, number>();

  constructor(
    private readonly conn: Connection,
    private readonly store: ObjectStore,
    private readonly runner: ModelRunner,
    private readonly bronze: BronzeSink[],
    private readonly tmpDir: string,
    private readonly metrics: Metrics,
  ) {}

  /** Models that have a lake table (views and ephemeral models are only SQL). */
  private publishable(): ParsedModel[] {
    return this.runner.order
      .map((name) => this.runner.models.get(name)!)
      .filter((m) => m.config.materialized === 'table' || m.config.materialized === 'incremental');
  }

  private pendingRelation(model: ParsedModel): string {
    return `_freshet_pending.${quoteIdent(`${model.relation.schema}__${model.relation.identifier}`)}`;
  }

  private async deltaFor(model: ParsedModel): Promise<DeltaTable> {
    let table = this.tables.get(model.node.name);
    if (!table) {
      table = await DeltaTable.open(
        this.store,
        lakePath(model.relation.schema, model.relation.identifier),
      );
      this.tables.set(model.node.name, table);
    }
    return table;
  }

  /** Lake tables of incremental append models (they grow by one small file per publish). */
  appendOnlyTables(): DeltaTable[] {
    return this.publishable()
      .filter(
        (m) =>
          m.config.materialized === 'incremental' &&
          (m.config.incremental_strategy ?? (m.config.unique_key ? 'merge' : 'append')) ===
            'append',
      )
      .map((m) => this.tables.get(m.node.name))
      .filter((t): t is DeltaTable => t !== undefined);
  }

  /** Rebuilds the serving tables from the lake (invariant 1) and loads the seeds. */
  async restore(onProgress: (message: string) => void = () => undefined): Promise<string[]> {
    await this.conn.run('CREATE SCHEMA IF NOT EXISTS _freshet_pending');
    await this.runner.seed(this.conn);
    const restored: string[] = [];
    for (const model of this.publishable()) {
      const table = await this.deltaFor(model);
      if (!(await table.exists())) continue;
      const snapshot = await table.snapshot();
      const started = performance.now();
      await loadLakeTable(
        this.conn,
        model.relation.schema,
        model.relation.identifier,
        table,
        snapshot,
      );
      const watermark = Number(snapshot.commitInfo()?.['freshet.watermark'] ?? NaN);
      this.published.set(model.node.name, {
        table: `${model.relation.schema}.${model.relation.identifier}`,
        layer: model.relation.schema,
        version: snapshot.version,
        watermark: Number.isNaN(watermark) ? null : watermark,
      });
      restored.push(model.relation.toString());
      onProgress(
        `loaded ${model.relation.schema}.${model.relation.identifier} from the lake (version ${snapshot.version}, ${snapshot.files.length} files) in ${Math.round(performance.now() - started)} ms`,
      );
    }
    return restored;
  }

  /** Points each bronze view at its table's latest version; a view whose table did not change is left as it is. */
  private async refreshBronzeViews(): Promise<string> {
    const versions: string[] = [];
    for (const writer of this.bronze) {
      const snapshot = await writer.delta.snapshot();
      versions.push(`${writer.state.table}@${snapshot.version}`);
      if (this.viewVersions.get(writer.state.table) === snapshot.version) continue;
      await defineLakeView(this.conn, 'bronze', writer.state.table, writer.delta, snapshot);
      this.viewVersions.set(writer.state.table, snapshot.version);
    }
    return versions.join(',');
  }

  /** One run of the whole DAG, unless no bronze table changed since the last one. */
  async runOnce(opts: { force?: boolean; fullRefresh?: boolean } = {}): Promise<boolean> {
    const watermark = this.bronze.reduce<number | null>((m, w) => {
      const t = w.state.maxAcceptedAt;
      return t !== null && (m === null || t > m) ? t : m;
    }, null);
    const versions = await this.refreshBronzeViews();
    if (!opts.force && versions === this.lastBronzeVersions) return false;
    const started = performance.now();
    try {
      const results = await this.conn.transaction(async () => {
        await this.checkClock();
        return this.runner.run(this.conn, {
          fullRefresh: opts.fullRefresh,
          onAppend: (model, rows) => this.trackAppend(model, rows),
        });
      });
      for (const r of results) {
        const model = this.runner.models.get(r.name)!;
        // An incremental run whose query found nothing left its table as it was.
        if (r.rows === 0 || r.action === 'unchanged') continue;
        if (r.action === 'append') {
          if (!this.dirty.has(r.name)) this.dirty.set(r.name, 'append');
        } else if (r.action !== 'view' && r.action !== 'ephemeral') {
          this.dirty.set(r.name, 'full');
          await this.conn.run(`DROP TABLE IF EXISTS ${this.pendingRelation(model)}`);
        }
      }
      const ms = performance.now() - started;
      this.lastBronzeVersions = versions;
      this.pendingWatermark = watermark;
      this.state = {
        runs: this.state.runs + 1,
        lastRunAt: Date.now(),
        lastRunMs: ms,
        watermark,
        lastError: null,
        results,
      };
      this.metrics.modelRuns.inc({ outcome: 'ok' });
      await this.countQuarantine();
      this.metrics.modelRunSeconds.observe(ms / 1000);
      return true;
    } catch (err) {
      this.state = { ...this.state, lastError: err instanceof Error ? err.message : String(err) };
      this.metrics.modelRuns.inc({ outcome: 'error' });
      throw err;
    }
  }

  /**
   * Models stamp rows with the run's now() (the transaction's start) and find what changed since
   * the last run by comparing stamps, so run stamps must increase. If the wall clock stepped back,
   * the run waits until it has passed the last stamp instead of missing rows.
   */
  private async checkClock(): Promise<void> {
    const [row] = await this.conn.rows('SELECT epoch_us(now()) AS t');
    const t = Number(row?.t);
    if (t <= this.lastRunClock) {
      throw new Error(
        `the clock is behind the last model run by ${((this.lastRunClock - t) / 1e6).toFixed(3)} s; waiting for it to pass before running`,
      );
    }
    this.lastRunClock = t;
  }

  /**
   * Runs the project's data tests (schema and singular tests) on the served tables, outside any
   * model run: a failing test is reported (health, metrics), never a reason to stop the loop.
   */
  async runDataTests(): Promise<DataTestState> {
    const state: DataTestState = {
      at: Date.now(),
      pass: 0,
      warn: 0,
      fail: 0,
      error: 0,
      problems: [],
    };
    for (const test of this.runner.compiler.dataTests.values()) {
      try {
        const r = await this.runner.runTest(this.conn, test);
        state[r.status]++;
        this.metrics.dataTestFailures.set(
          { test: test.name, severity: test.config.severity },
          r.failures,
        );
        if (r.status !== 'pass')
          state.problems.push({
            name: test.name,
            status: r.status,
            failures: r.failures,
            message: r.message,
          });
      } catch (err) {
        state.error++;
        state.problems.push({
          name: test.name,
          status: 'error',
          failures: null,
          message: err instanceof Error ? err.message : String(err),
        });
      }
    }
    this.dataTests = state;
    return state;
  }

  /** Publishes the size of the project's quarantine model (if it has one) as a metric. */
  private async countQuarantine(): Promise<void> {
    const model = this.runner.models.get('quarantine');
    if (!model) return;
    const rows = await this.conn.rows(
      `SELECT source_table, count(*) AS n FROM ${model.relation.toString()} GROUP BY ALL`,
    );
    for (const r of rows)
      this.metrics.quarantinedRows.set({ table: String(r.source_table) }, Number(r.n));
  }

  /** Keeps the rows an incremental model appended, to publish them as a Delta append later. */
  private async trackAppend(model: ParsedModel, newRows: string): Promise<void> {
    if (this.dirty.get(model.node.name) === 'full') return; // the whole table goes out anyway
    const pending = this.pendingRelation(model);
    await this.conn.run(
      `CREATE TABLE IF NOT EXISTS ${pending} AS SELECT * FROM ${newRows} WHERE false`,
    );
    await this.conn.run(`INSERT INTO ${pending} BY NAME SELECT * FROM ${newRows}`);
  }

  /** Commits every changed silver and gold table to the lake. */
  async publish(): Promise<number> {
    let commits = 0;
    for (const model of this.publishable()) {
      const mode = this.dirty.get(model.node.name);
      if (!mode) continue;
      const table = await this.deltaFor(model);
      const relation = model.relation.toString();
      const source = mode === 'append' ? this.pendingRelation(model) : relation;
      // The model's columns now: a model changed since the table was created (a column added,
      // say) changes the table's schema with this commit, or readers would never see the column.
      const schema = await deltaSchemaOf(this.conn, relation);
      if (!(await table.exists())) {
        await table.create({
          schema,
          name: model.relation.identifier,
          description: model.node.description,
        });
      }
      const snapshot = await table.snapshot();
      const appId = publishAppId(model.node.name);
      const txns = [{ appId, version: (snapshot.txnVersion(appId) ?? -1) + 1 }];
      const commitInfo = { 'freshet.watermark': this.pendingWatermark, 'freshet.mode': mode };
      const add = await writeDataFile(this.conn, source, table, this.tmpDir);
      const version =
        mode === 'append'
          ? await table.append(add ? [add] : [], { txns, commitInfo, schema })
          : await table.overwrite(add ? [add] : [], { txns, commitInfo, schema });
      if (mode === 'append') await this.conn.run(`DELETE FROM ${source}`);
      // Gold is also readable as Iceberg (warehouses such as Snowflake read Iceberg tables),
      // kept in step with every Delta version the publisher commits.
      if (model.relation.schema === ICEBERG_LAYER)
        await writeIcebergMetadata(table, await table.snapshot());
      this.dirty.delete(model.node.name);
      this.published.set(model.node.name, {
        table: `${model.relation.schema}.${model.relation.identifier}`,
        layer: model.relation.schema,
        version,
        watermark: this.pendingWatermark,
      });
      this.metrics.lakePublishes.inc({
        table: `${model.relation.schema}.${model.relation.identifier}`,
      });
      commits++;
    }
    return commits;
  }
}
