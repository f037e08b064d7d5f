import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_PROJECT_DIR } from '../config/index.js';
import { DEFAULT_TARGET, ModelRunner } from '../models/index.js';
import { attachLake, Session, type Connection, type Row } from '../engine/index.js';
import { DeltaTable } from '../lake/index.js';
import { openLake } from './data-dir.js';
import { EmbeddedLog, KafkaLog, parseKafkaReaderUrl, type Log } from '../log/index.js';
import { unframe } from '../registry/index.js';
import {
  computeDemandForecast,
  computeInventory,
  computeSalesByCategoryDay,
  computeSalesByStoreHour,
  computeShipments,
  computeStoreHealth,
  type AcceptedEvent,
  type InventoryRow,
} from '../retail/index.js';
import { bronzeAppId, bronzeTableName, lakePath, LOG_DIR } from './names.js';

/** Columns of gold.inventory_realtime that the oracle computes independently. */
export const VERIFIED_COLUMNS = [
  'counted_qty',
  'counted_at',
  'net_movement',
  'projected_qty',
  'reserved_qty',
  'available_qty',
  'status',
  'last_event_at',
  'last_accepted_at',
] as const;

export interface Mismatch {
  mart: string;
  /** The row's key columns, e.g. {store_id, sku} or {store_id, date_ist, hour_ist}. */
  key: Record<string, unknown>;
  /** Kept for inventory rows (and scripts that read them); empty for marts without them. */
  store_id: string;
  sku: string;
  column: string;
  gold: unknown;
  oracle: unknown;
}

/** One gold mart against the oracle. */
export interface MartReport {
  mart: string;
  goldRows: number;
  oracleRows: number;
  mismatches: number;
  /** Mismatches per column (`(row)` for rows only one side has). */
  byColumn: Record<string, number>;
}

/**
 * The case study's inventory model (project/analyses/case_study_inventory_realtime.sql), built
 * once from the same silver tables and compared with the same oracle — reported beside gold, never
 * failing verify.
 */
export interface CaseStudyReport {
  model: string;
  rows: number;
  oracleRows: number;
  /** Pairs the oracle has and the model does not (a count without a sale, for one). */
  missingRows: number;
  /** Pairs whose projected quantity differs from the oracle's (NULL where the oracle has one, too). */
  wrongQuantity: number;
  /** Pairs whose status differs from the oracle's. */
  wrongStatus: number;
  /** Rows with any of the above. */
  mismatches: number;
}

export interface VerifyReport {
  caseStudy: CaseStudyReport | null;
  /** The first mart (gold.inventory_realtime); `marts` has every one. */
  mart: string;
  eventsInLog: number;
  /** Events the log holds that bronze does not yet (the lake is behind: stop or wait first). */
  eventsNotInLake: number;
  goldRows: number;
  oracleRows: number;
  /** Every mismatch of every mart. */
  mismatches: Mismatch[];
  marts: MartReport[];
}

/** What every oracle may read: the accepted events, the inventory oracle's result, the project's vars. */
interface OracleInput {
  events: AcceptedEvent[];
  /** computeInventory(events), computed once for the marts that need it. */
  inventory: () => Map<string, InventoryRow>;
  /** The project's vars the marts use (dbt_project.yml, as the models read them). */
  vars: { silentPosMinutes: number; leadTimeDays: number; safetyDays: number };
}

/** How one gold mart is checked: its key, the columns the oracle computes, its oracle. */
interface MartCheck {
  mart: string;
  keyColumns: string[];
  columns: readonly string[];
  /**
   * Decimal columns computed in DOUBLE on both sides, compared within APPROX: the model sums in
   * whatever order DuckDB's aggregation takes, the oracle in event order, and a sum that differs
   * in its last bit can round to the other side of a hundredth.
   */
  approx?: readonly string[];
  /** SELECT list reading the gold table with values in the oracle's form. */
  select: string;
  oracle: (input: OracleInput) => Map<string, Record<string, unknown>>;
}

/** Tolerance for `approx` columns: one hundredth (they are rounded to 2 decimals), plus float noise. */
const APPROX = 0.01 + 1e-9;

const SALES_COLUMNS = [
  'units_sold',
  'units_returned',
  'sales_paise',
  'returns_paise',
  'units_voided',
  'voids_paise',
  'net_sales_paise',
] as const;

const MARTS: MartCheck[] = [
  {
    mart: 'inventory_realtime',
    keyColumns: ['store_id', 'sku'],
    columns: VERIFIED_COLUMNS,
    select: '*',
    oracle: ({ inventory }) =>
      rekey(inventory() as Map<string, unknown> as Map<string, Record<string, unknown>>, [
        'store_id',
        'sku',
      ]),
  },
  {
    mart: 'sales_by_store_hour',
    keyColumns: ['store_id', 'date_ist', 'hour_ist'],
    columns: ['bills', ...SALES_COLUMNS],
    select: `store_id, strftime(date_ist, '%Y-%m-%d') AS date_ist, hour_ist::INTEGER AS hour_ist, bills, ${SALES_COLUMNS.join(', ')}`,
    oracle: ({ events }) =>
      rekey(
        computeSalesByStoreHour(events) as Map<string, unknown> as Map<
          string,
          Record<string, unknown>
        >,
        ['store_id', 'date_ist', 'hour_ist'],
      ),
  },
  {
    mart: 'sales_by_category_day',
    keyColumns: ['date_ist', 'category'],
    columns: SALES_COLUMNS,
    select: `strftime(date_ist, '%Y-%m-%d') AS date_ist, category, ${SALES_COLUMNS.join(', ')}`,
    oracle: ({ events }) =>
      rekey(
        computeSalesByCategoryDay(events) as Map<string, unknown> as Map<
          string,
          Record<string, unknown>
        >,
        ['date_ist', 'category'],
      ),
  },
  {
    mart: 'shipments',
    keyColumns: ['store_id', 'shipment_id'],
    columns: [
      'dc_id',
      'status',
      'dispatched_at',
      'eta',
      'received_at',
      'units_dispatched',
      'units_received',
      'shrinkage_units',
      'was_delayed',
      'incoming',
      'last_event_at',
    ],
    select: '*',
    oracle: ({ events }) =>
      rekey(
        computeShipments(events) as Map<string, unknown> as Map<string, Record<string, unknown>>,
        ['store_id', 'shipment_id'],
      ),
  },
  {
    mart: 'store_health',
    keyColumns: ['store_id'],
    columns: [
      'name',
      'city',
      'region',
      'format',
      'opens',
      'closes',
      'last_pos_at',
      'last_event_at',
      'last_accepted_at',
      'pos_bills',
      'chain_watermark',
      'pos_gap_minutes',
      'open_at_watermark',
      'silent_open_minutes',
      'is_silent',
      'silent_after_minutes',
    ],
    approx: ['pos_gap_minutes', 'silent_open_minutes'],
    select: '*',
    oracle: ({ events, vars }) =>
      rekey(
        computeStoreHealth(events, { silentAfterMinutes: vars.silentPosMinutes }) as Map<
          string,
          unknown
        > as Map<string, Record<string, unknown>>,
        ['store_id'],
      ),
  },
  {
    mart: 'demand_forecast',
    keyColumns: ['store_id', 'sku'],
    columns: [
      'category',
      'forecast_date',
      'event',
      'window_start',
      'window_end',
      'units_in_window',
      'forecast_units',
      'available_qty',
      'low_stock_threshold',
      'days_of_cover',
      'stockout_risk',
      'suggested_replenishment_qty',
    ],
    approx: ['forecast_units', 'days_of_cover'],
    select: `* REPLACE (strftime(forecast_date, '%Y-%m-%d') AS forecast_date)`,
    oracle: ({ events, inventory, vars }) =>
      rekey(
        computeDemandForecast(events, {
          inventory: inventory(),
          leadTimeDays: vars.leadTimeDays,
          safetyDays: vars.safetyDays,
        }) as Map<string, unknown> as Map<string, Record<string, unknown>>,
        ['store_id', 'sku'],
      ),
  },
];

function keyOf(row: Record<string, unknown>, columns: string[]): string {
  return columns.map((c) => String(row[c])).join('|');
}

function rekey(
  rows: Map<string, Record<string, unknown>>,
  columns: string[],
): Map<string, Record<string, unknown>> {
  return new Map([...rows.values()].map((r) => [keyOf(r, columns), r]));
}

/** Every event the log accepted, in log order per partition. */
async function readAccepted(
  log: Log,
): Promise<{ events: AcceptedEvent[]; ends: Map<string, number[]> }> {
  const events: AcceptedEvent[] = [];
  const ends = new Map<string, number[]>();
  for (const t of await log.topics()) {
    const topicEnds: number[] = [];
    for (let p = 0; p < t.partitions; p++) {
      let offset = await log.startOffset(t.name, p);
      for (;;) {
        const batch = await log.read(t.name, p, offset, { maxRecords: 50_000 });
        if (batch.length === 0) break;
        for (const r of batch) {
          let value: Record<string, unknown>;
          try {
            // On Kafka, events carry Confluent's wire-format frame; bronze takes it off too.
            value = JSON.parse(unframe(r.value).payload.toString('utf8')) as Record<
              string,
              unknown
            >;
          } catch {
            continue; // not JSON: silver quarantines it, and so does the oracle
          }
          events.push({ topic: t.name, value, acceptedAt: r.timestamp });
        }
        offset = batch[batch.length - 1]!.offset + 1;
      }
      topicEnds.push(offset);
    }
    ends.set(t.name, topicEnds);
  }
  return { events, ends };
}

const norm = (v: unknown) => (v === undefined ? null : v);

/**
 * Compares every gold mart an oracle covers (MARTS: inventory, sales, shipments, store health,
 * demand forecast) in the lake with the oracles' computation from every event the log accepted.
 * The data dir must not be in use (the log is opened for reading).
 */
export async function verifyInventory(
  dataDir: string,
  projectDir: string = DEFAULT_PROJECT_DIR,
  opts: { logUrl?: string } = {},
): Promise<VerifyReport> {
  const log: Log = opts.logUrl
    ? await KafkaLog.open({ ...parseKafkaReaderUrl(opts.logUrl), clientId: 'freshet-verify' })
    : await EmbeddedLog.open(join(dataDir, LOG_DIR));
  let accepted: Awaited<ReturnType<typeof readAccepted>>;
  try {
    accepted = await readAccepted(log);
  } finally {
    await log.close();
  }
  const { store } = await openLake(dataDir);
  let behind = 0;
  for (const [topic, ends] of accepted.ends) {
    const table = await DeltaTable.open(store, lakePath('bronze', bronzeTableName(topic)));
    const snapshot = (await table.exists()) ? await table.snapshot() : null;
    ends.forEach((end, p) => {
      const done = (snapshot?.txnVersion(bronzeAppId(topic, p)) ?? -1) + 1;
      behind += Math.max(0, end - done);
    });
  }
  const runner = await ModelRunner.open(projectDir, { target: DEFAULT_TARGET });
  const session = await Session.open({ threads: 2 });
  const golds = new Map<string, Row[]>();
  let caseStudyRows: Row[] | null = null;
  try {
    const tables = await attachLake(session.connection, store);
    for (const m of MARTS) {
      golds.set(
        m.mart,
        tables.includes(`gold.${m.mart}`)
          ? await session.connection.rows(`SELECT ${m.select} FROM gold.${m.mart}`)
          : [],
      );
    }
    caseStudyRows = await buildCaseStudy(session.connection, tables, projectDir, runner);
  } finally {
    session.close();
  }
  let inventory: Map<string, InventoryRow> | undefined;
  const input: OracleInput = {
    events: accepted.events,
    inventory: () => (inventory ??= computeInventory(accepted.events)),
    vars: {
      silentPosMinutes: projectVar(runner, 'silent_pos_minutes', 60),
      leadTimeDays: projectVar(runner, 'lead_time_days', 2),
      safetyDays: projectVar(runner, 'safety_days', 1),
    },
  };
  const mismatches: Mismatch[] = [];
  const marts: MartReport[] = [];
  for (const m of MARTS) {
    const gold = golds.get(m.mart)!;
    const oracle = m.oracle(input);
    const found = compareMart(m, gold, oracle);
    mismatches.push(...found);
    const byColumn: Record<string, number> = {};
    for (const f of found) byColumn[f.column] = (byColumn[f.column] ?? 0) + 1;
    marts.push({
      mart: `gold.${m.mart}`,
      goldRows: gold.length,
      oracleRows: oracle.size,
      mismatches: found.length,
      byColumn,
    });
  }
  const caseStudy = caseStudyRows && compareCaseStudy(caseStudyRows, MARTS[0]!.oracle(input));
  return {
    caseStudy,
    mart: marts[0]!.mart,
    eventsInLog: accepted.events.length,
    eventsNotInLake: behind,
    goldRows: marts[0]!.goldRows,
    oracleRows: marts[0]!.oracleRows,
    mismatches,
    marts,
  };
}

/** Every row of the mart against the oracle's: missing rows, extra rows, differing columns. */
function compareMart(
  m: MartCheck,
  gold: Row[],
  oracle: Map<string, Record<string, unknown>>,
): Mismatch[] {
  const out: Mismatch[] = [];
  const mismatch = (row: Record<string, unknown>, column: string, g: unknown, o: unknown) => {
    const key = Object.fromEntries(m.keyColumns.map((c) => [c, row[c]]));
    out.push({
      mart: m.mart,
      key,
      store_id: typeof row.store_id === 'string' ? row.store_id : '',
      sku: typeof row.sku === 'string' ? row.sku : '',
      column,
      gold: g,
      oracle: o,
    });
  };
  const seen = new Set<string>();
  for (const row of gold) {
    const key = keyOf(row, m.keyColumns);
    seen.add(key);
    const expected = oracle.get(key);
    if (!expected) {
      mismatch(row, '(row)', 'present', 'absent');
      continue;
    }
    for (const column of m.columns) {
      const g = norm(row[column]);
      const o = norm(expected[column]);
      if (g === o) continue;
      const close =
        m.approx?.includes(column) &&
        typeof g === 'number' &&
        typeof o === 'number' &&
        Math.abs(g - o) <= APPROX;
      if (!close) mismatch(expected, column, g, o);
    }
  }
  for (const [key, expected] of oracle)
    if (!seen.has(key)) mismatch(expected, '(row)', 'absent', 'present');
  return out;
}

/** A numeric project var as the models read it (dbt's lookup, `--vars` aside), or `fallback`. */
function projectVar(runner: ModelRunner, name: string, fallback: number): number {
  const { sql } = runner.compiler.compileInline(`{{ var('${name}', ${fallback}) }}`);
  const value = Number(sql.trim());
  if (!Number.isFinite(value)) throw new Error(`var('${name}') must be a number, got '${sql}'`);
  return value;
}

const CASE_STUDY = 'analyses/case_study_inventory_realtime.sql';

/** Builds the case study's model as its first full build over the lake's silver tables. */
async function buildCaseStudy(
  conn: Connection,
  tables: string[],
  projectDir: string,
  runner: ModelRunner,
): Promise<Row[] | null> {
  const file = join(projectDir, CASE_STUDY);
  const text = await readFile(file, 'utf8').catch(() => null);
  if (
    text === null ||
    !tables.includes('silver.pos_lines') ||
    !tables.includes('silver.count_lines')
  )
    return null;
  const { sql } = runner.compiler.compileInline(text);
  return conn.rows(`SELECT store_id, sku, projected_qty, status FROM (${sql}) AS case_study`);
}

function compareCaseStudy(
  rows: Row[],
  oracle: Map<string, Record<string, unknown>>,
): CaseStudyReport {
  const byKey = new Map(rows.map((r) => [`${r.store_id}|${r.sku}`, r]));
  let missingRows = 0;
  let wrongQuantity = 0;
  let wrongStatus = 0;
  let mismatches = 0;
  for (const [key, o] of oracle) {
    const r = byKey.get(key);
    if (!r) {
      missingRows++;
      mismatches++;
      continue;
    }
    const q = norm(r.projected_qty) !== norm(o.projected_qty);
    const st = r.status !== o.status;
    if (q) wrongQuantity++;
    if (st) wrongStatus++;
    if (q || st) mismatches++;
  }
  return {
    model: CASE_STUDY,
    rows: rows.length,
    oracleRows: oracle.size,
    missingRows,
    wrongQuantity,
    wrongStatus,
    mismatches,
  };
}
