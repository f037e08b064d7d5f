import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  Session,
  compactTable,
  prepareSnapshotSelect,
  type QueryResult,
  type Row,
} from '../engine/index.js';
import {
  DeltaTable,
  type ObjectStore,
  checkTable,
  deletedFileRetentionMs,
  findTables,
  tableHistory,
  vacuum,
  type DeltaType,
  type Snapshot,
} from '../lake/index.js';
import { TMP_DIR } from '../pipeline/names.js';
import { openLake, prepareDataDir } from '../pipeline/index.js';
import { formatResult, type OutputFormat } from './format.js';
import { readRunInfo } from './run-file.js';

/** A `freshet lake` command could not do what was asked; the message says what to do instead. */
export class LakeCommandError extends Error {
  override name = 'LakeCommandError';
}

const HOUR_MS = 3_600_000;
/** While a platform writes, vacuum never takes files younger than this (staged, not committed). */
const MIN_RETENTION_WHILE_RUNNING_MS = HOUR_MS;

const count = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min)
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got '${value}'.`);
  return n;
};
const amount = (name: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`${name} must be a number >= 0, got '${value}'.`);
  return n;
};

/**
 * `freshet lake`: inspect and maintain the Delta tables of a data dir. Read-only subcommands
 * (list, show, history, read, check) work while `freshet up` runs; compact and vacuum are safe
 * then too (compaction commutes with the platform's appends; vacuum keeps young files).
 */
export function lakeCommand(defaultDataDir: string): Command {
  const lake = new Command('lake')
    .description(
      'Inspect and maintain the Delta tables of a data dir (<data-dir>/lake/<layer>/<table>): list them, show one, its history, read its rows at any version, compact small files, vacuum unreferenced files, check the log. Safe to run while `freshet up` runs.',
    )
    .helpOption('-h, --help', 'show help for a command')
    .showHelpAfterError('(add --help for usage)');
  const dataDir = () =>
    new Option('--data-dir <dir>', 'the data dir `freshet up` used').default(defaultDataDir);
  const format = (choices: OutputFormat[]) =>
    new Option('--format <format>', 'output: table for people, json or ndjson for scripts')
      .choices(choices)
      .default('table');
  const tableArg =
    'a table as <layer>.<name>, e.g. bronze.pos_transactions or gold.inventory_realtime';

  lake
    .command('list')
    .description('List every table of the lake with its version, files, rows and size.')
    .addOption(dataDir())
    .addOption(format(['table', 'json', 'ndjson']))
    .action(async (o: { dataDir: string; format: OutputFormat }) => {
      const { store } = await openDataDirLake(o.dataDir);
      const rows: Row[] = [];
      for (const path of await findTables(store)) {
        const parts = path.split('/');
        if (parts.length !== 2) continue;
        const snapshot = await (await DeltaTable.open(store, path)).snapshot();
        const { rows: n, size } = totals(snapshot);
        rows.push({
          table: parts.join('.'),
          version: snapshot.version,
          files: snapshot.files.length,
          rows: n,
          size: o.format === 'table' ? formatBytes(size) : size,
          updated: new Date(snapshot.timestamp).toISOString(),
        });
      }
      write(result(['table', 'version', 'files', 'rows', 'size', 'updated'], rows), o.format);
    });

  lake
    .command('show')
    .description(
      'Show one table: version, files, rows, size, schema, partition columns, properties and protocol.',
    )
    .argument('<table>', tableArg)
    .addOption(dataDir())
    .option('--json', 'print it as JSON')
    .action(async (name: string, o: { dataDir: string; json?: boolean }) => {
      const { store, lakeDir } = await openDataDirLake(o.dataDir);
      const table = await openTable(store, lakeDir, name);
      const snapshot = await table.snapshot();
      const { rows, size } = totals(snapshot);
      const info = {
        table: tableName(table.tablePath),
        location: `${lakeDir}/${table.tablePath}`,
        version: snapshot.version,
        updated: new Date(snapshot.timestamp).toISOString(),
        files: snapshot.files.length,
        rows,
        size,
        partitionColumns: snapshot.partitionColumns,
        properties: snapshot.metadata.configuration,
        protocol: snapshot.protocol,
        id: snapshot.metadata.id,
        ...(snapshot.metadata.name ? { name: snapshot.metadata.name } : {}),
        ...(snapshot.metadata.description ? { description: snapshot.metadata.description } : {}),
        schema: snapshot.schema.fields.map((f) => ({
          name: f.name,
          type: typeName(f.type),
          nullable: f.nullable,
        })),
      };
      if (o.json) {
        process.stdout.write(JSON.stringify(info, null, 2) + '\n');
        return;
      }
      const p = snapshot.protocol;
      const features = [...new Set([...(p.readerFeatures ?? []), ...(p.writerFeatures ?? [])])];
      const props = Object.entries(info.properties).map(([k, v]) => `${k}=${v}`);
      const lines = [
        ['table', info.table],
        ['location', info.location],
        ['version', `${info.version} (${info.updated})`],
        ['files', String(info.files)],
        ['rows', rows === null ? 'unknown (files without statistics)' : String(rows)],
        ['size', formatBytes(size)],
        ['partitioned by', info.partitionColumns.join(', ') || '(not partitioned)'],
        ['properties', props.join(', ') || '(none)'],
        [
          'protocol',
          `reader ${p.minReaderVersion}, writer ${p.minWriterVersion}${features.length ? ` (${features.join(', ')})` : ''}`,
        ],
        ['table id', info.id],
        ...(info.description ? [['description', info.description]] : []),
      ];
      const out = lines.map(([k, v]) => `${k!.padEnd(15)} ${v}`);
      out.push('schema');
      out.push(
        formatResult(
          result(
            ['column', 'type', 'nullable'],
            info.schema.map((c) => ({ column: c.name, type: c.type, nullable: c.nullable })),
          ),
          'table',
        )
          .trimEnd()
          .split('\n')
          .slice(0, -1) // the "(n rows)" footer
          .map((l) => `  ${l}`)
          .join('\n'),
      );
      process.stdout.write(out.join('\n') + '\n');
    });

  lake
    .command('history')
    .description(
      "Show a table's commits, newest first: version, time, operation and its parameters, the version it read, whether it was a blind append, the writing engine and the txn application ids it recorded.",
    )
    .argument('<table>', tableArg)
    .addOption(dataDir())
    .option('--limit <n>', 'most commits to show (0 for all)', count('--limit', 0), 20)
    .addOption(format(['table', 'json', 'ndjson']))
    .action(async (name: string, o: { dataDir: string; limit: number; format: OutputFormat }) => {
      const { store, lakeDir } = await openDataDirLake(o.dataDir);
      const table = await openTable(store, lakeDir, name);
      const history = await tableHistory(table, o.limit === 0 ? {} : { limit: o.limit });
      if (o.format !== 'table') {
        write(result([], history as unknown as Row[]), o.format);
        return;
      }
      const rows: Row[] = history.map((h) => ({
        version: h.version,
        timestamp: new Date(h.timestamp).toISOString(),
        operation: h.operation,
        parameters: Object.entries(h.operationParameters)
          .filter(([, v]) => v !== null && v !== '[]' && v !== '{}')
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' '),
        read: h.readVersion,
        blind: h.isBlindAppend,
        engine: h.engineInfo,
        txns: h.txns.map((t) => `${t.appId}=${t.version}`).join(' '),
      }));
      write(
        result(
          ['version', 'timestamp', 'operation', 'parameters', 'read', 'blind', 'engine', 'txns'],
          rows,
        ),
        'table',
      );
    });

  lake
    .command('read')
    .description('Print the rows of a table, as of its latest version or of an older one.')
    .argument('<table>', tableArg)
    .addOption(dataDir())
    .option(
      '--version <n>',
      'the version to read (time travel; default: the latest)',
      count('--version', 0),
    )
    .option(
      '--as-of <time>',
      'read the table as it was at this time (ISO-8601, e.g. 2026-11-24T18:30:00Z): the latest version committed at or before it',
      instant,
    )
    .option('--limit <n>', 'most rows to print (0 for all)', count('--limit', 0), 100)
    .addOption(format(['table', 'ndjson', 'json']))
    .action(
      async (
        name: string,
        o: {
          dataDir: string;
          version?: number;
          asOf?: number;
          limit: number;
          format: OutputFormat;
        },
      ) => {
        if (o.version !== undefined && o.asOf !== undefined) {
          throw new InvalidArgumentError('give --version or --as-of, not both.');
        }
        const { store, lakeDir } = await openDataDirLake(o.dataDir);
        const table = await openTable(store, lakeDir, name);
        const snapshot =
          o.version !== undefined
            ? await table.snapshotAt(o.version)
            : o.asOf !== undefined
              ? await table.snapshotAsOf(o.asOf)
              : await table.snapshot();
        const session = await Session.open({ threads: 2 });
        try {
          const select = await prepareSnapshotSelect(table, snapshot);
          const limit = o.limit === 0 ? '' : ` LIMIT ${o.limit}`;
          write(await session.connection.query(`SELECT * FROM (${select})${limit}`), o.format);
        } finally {
          session.close();
        }
      },
    );

  lake
    .command('compact')
    .description(
      'Bin-pack the small files of each partition (a streaming writer makes many) into files of about the target size, in one commit per table that changes no data (dataChange=false). Safe while `freshet up` appends.',
    )
    .argument('[table]', `${tableArg}; or --all`)
    .addOption(dataDir())
    .option('--all', 'compact every table of the lake')
    .option(
      '--target-size <MiB>',
      'size a compacted file aims at, in MiB',
      amount('--target-size'),
      128,
    )
    .option('--target-rows <n>', 'also close a file at this many rows', count('--target-rows', 1))
    .action(
      async (
        name: string | undefined,
        o: { dataDir: string; all?: boolean; targetSize: number; targetRows?: number },
      ) => {
        const { abs, store, lakeDir } = await openDataDirLake(o.dataDir);
        const tables = await selectTables(store, lakeDir, name, o.all, 'compact');
        const tmpDir = join(abs, TMP_DIR, `lake-compact-${randomUUID()}`);
        const session = await Session.open({ threads: 2 });
        try {
          for (const table of tables) {
            const label = tableName(table.tablePath).padEnd(32);
            try {
              const r = await compactTable(session.connection, table, {
                tmpDir,
                targetFileBytes: Math.max(1, Math.round(o.targetSize * 1024 * 1024)),
                targetRows: o.targetRows,
              });
              process.stdout.write(
                r.committed
                  ? `${label} ${r.filesRemoved} files → ${r.filesAdded} (${formatBytes(r.bytesRemoved)} → ${formatBytes(r.bytesAdded)}, ${r.rows} rows), version ${r.version}\n`
                  : `${label} nothing to compact (version ${r.version})\n`,
              );
            } catch (err) {
              if (tables.length === 1) throw err;
              process.stderr.write(`${label} not compacted: ${(err as Error).message}\n`);
              process.exitCode = 1;
            }
          }
        } finally {
          session.close();
          await rm(tmpDir, { recursive: true, force: true });
        }
      },
    );

  lake
    .command('vacuum')
    .description(
      "Delete the files in a table's folder that no version inside the retention references: removed files whose tombstone is older than the retention, and orphans (written but never committed, e.g. after a crash) older than it. Never touches _delta_log. Safe while `freshet up` runs.",
    )
    .argument('<table>', tableArg)
    .addOption(dataDir())
    .option(
      '--retention-hours <h>',
      "keep files removed (or written) less than this long ago (default: the table's delta.deletedFileRetentionDuration, 168 when unset)",
      amount('--retention-hours'),
    )
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .option(
      '--force',
      "allow a retention shorter than the table's own; readers of older versions may then fail",
    )
    .action(
      async (
        name: string,
        o: { dataDir: string; retentionHours?: number; dryRun?: boolean; force?: boolean },
      ) => {
        const { abs, store, lakeDir } = await openDataDirLake(o.dataDir);
        const table = await openTable(store, lakeDir, name);
        const retentionMs =
          o.retentionHours === undefined ? undefined : Math.round(o.retentionHours * HOUR_MS);
        const running = await readRunInfo(abs);
        const effective =
          retentionMs ?? deletedFileRetentionMs((await table.snapshot()).metadata.configuration);
        if (running && effective < MIN_RETENTION_WHILE_RUNNING_MS) {
          throw new LakeCommandError(
            `a platform (pid ${running.pid}) is writing to ${abs}, and a retention under 1 hour could delete files it has written but not committed yet; pass --retention-hours 1 or more, or stop it first`,
          );
        }
        const r = await vacuum(table, {
          ...(retentionMs === undefined ? {} : { retentionMs }),
          dryRun: Boolean(o.dryRun),
          allowShortRetention: Boolean(o.force),
        });
        const verb = r.dryRun ? 'would delete' : 'deleted';
        for (const f of r.files) {
          process.stdout.write(`${verb} ${f.path} (${formatBytes(f.size)}, ${f.reason})\n`);
        }
        const hours = r.retentionMs / HOUR_MS;
        process.stdout.write(
          `${tableName(table.tablePath)}: ${verb} ${r.files.length} file(s), ${formatBytes(r.bytes)}` +
            ` (retention ${Number.isInteger(hours) ? hours : hours.toFixed(2)} h, version ${r.version})` +
            (r.keptRecent > 0
              ? `; kept ${r.keptRecent} unreferenced file(s) younger than the retention`
              : '') +
            '\n',
        );
      },
    );

  lake
    .command('check')
    .description(
      "Check a table's log for consistency: versions contiguous, every commit parses, checkpoints readable, every referenced file present with the recorded size, statistics parse. Exits 1 and lists the problems when there are any.",
    )
    .argument('[table]', `${tableArg}; or --all`)
    .addOption(dataDir())
    .option('--all', 'check every table of the lake')
    .action(async (name: string | undefined, o: { dataDir: string; all?: boolean }) => {
      const { store, lakeDir } = await openDataDirLake(o.dataDir);
      const tables = await selectTables(store, lakeDir, name, o.all, 'check');
      let bad = 0;
      for (const table of tables) {
        const r = await checkTable(table);
        const label = tableName(table.tablePath);
        const status = r.problems.length === 0 ? 'OK' : `${r.problems.length} problem(s)`;
        process.stdout.write(
          `${label}: version ${r.version}, ${r.files} files, ${r.commits} commit files: ${status}\n`,
        );
        for (const p of r.problems) process.stdout.write(`  problem: ${p}\n`);
        for (const w of r.warnings) process.stdout.write(`  warning: ${w}\n`);
        if (r.problems.length > 0) bad++;
      }
      if (bad > 0) process.exitCode = 1;
    });

  return lake;
}

/** Parses an ISO-8601 time for --as-of into milliseconds since the epoch. */
function instant(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(
      `--as-of must be a time such as 2026-11-24T18:30:00Z, got '${value}'.`,
    );
  }
  return ms;
}

// ------------------------------------------------------------------------------------------------

async function openDataDirLake(
  dataDir: string,
): Promise<{ abs: string; lakeDir: string; store: ObjectStore }> {
  const abs = await prepareDataDir(dataDir, { create: false });
  const lake = await openLake(abs);
  return { abs, lakeDir: lake.location, store: lake.store };
}

const PART = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

async function openTable(store: ObjectStore, lakeDir: string, name: string): Promise<DeltaTable> {
  const parts = name.includes('/') ? name.split('/') : name.split('.');
  if (parts.length !== 2 || !parts.every((p) => PART.test(p))) {
    throw new LakeCommandError(
      `'${name}' is not a table name: use <layer>.<table>, e.g. bronze.pos_transactions (\`freshet lake list\` shows them)`,
    );
  }
  const table = await DeltaTable.open(store, parts.join('/'));
  if (!(await table.exists())) {
    throw new LakeCommandError(
      `there is no table ${parts.join('.')} in ${lakeDir}; \`freshet lake list\` shows the tables`,
    );
  }
  return table;
}

async function selectTables(
  store: ObjectStore,
  lakeDir: string,
  name: string | undefined,
  all: boolean | undefined,
  verb: string,
): Promise<DeltaTable[]> {
  if (name !== undefined && all) {
    throw new LakeCommandError(`name one table or pass --all, not both`);
  }
  if (name !== undefined) return [await openTable(store, lakeDir, name)];
  if (!all) throw new LakeCommandError(`name a table to ${verb}, or pass --all`);
  const paths = (await findTables(store)).filter((p) => p.split('/').length === 2);
  return Promise.all(paths.map((p) => DeltaTable.open(store, p)));
}

const tableName = (path: string) => path.split('/').join('.');

/** Rows from the statistics (null when a file has none) and bytes of a snapshot. */
function totals(snapshot: Snapshot): { rows: number | null; size: number } {
  let rows: number | null = 0;
  let size = 0;
  for (const f of snapshot.files) {
    size += f.size;
    let n: unknown;
    try {
      n =
        f.stats === undefined
          ? undefined
          : (JSON.parse(f.stats) as { numRecords?: unknown }).numRecords;
    } catch {
      n = undefined;
    }
    // Rows a deletion vector hides are still counted in the file's statistics.
    const hidden = f.deletionVector?.cardinality ?? 0;
    rows = rows === null || typeof n !== 'number' ? null : rows + n - hidden;
  }
  return { rows, size };
}

function typeName(type: DeltaType): string {
  return typeof type === 'string' ? type : JSON.stringify(type);
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

function result(columns: string[], rows: Row[]): QueryResult {
  return { columns: columns.map((name) => ({ name, type: 'VARCHAR' })), rows };
}

function write(r: QueryResult, format: OutputFormat): void {
  process.stdout.write(formatResult(r, format));
}
