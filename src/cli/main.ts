import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  ConfigError,
  DEFAULT_CONFIG_FILE,
  defaultConfig,
  validateConfig,
  type FreshetConfig,
} from '../config/index.js';
import { PROFILES, profileDate, type ProfileName } from '../retail/index.js';
import { DEFAULT_SILENT_AFTER } from '../sources/index.js';
import { configFileFor, overlayFlags } from './config-flags.js';
import {
  DataDirError,
  LOG_DIR,
  Platform,
  verifyInventory,
  prepareDataDir,
} from '../pipeline/index.js';
import { formatVerifyReport } from './verify-report.js';
import { sql } from './sql.js';
import { up } from './up.js';
import { readRunInfo } from './run-file.js';
import { lakeCommand } from './lake.js';
import { modelsCommand } from './models.js';
import { bronzeWorkerCommand } from './bronze-worker.js';
import { sourcesCommand } from './sources.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const number = (name: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError(`${name} must be a number, got '${value}'.`);
  return n;
};

/** Known, user-facing failures: shown as one sentence, never as a stack trace. */
const USER_ERRORS = new Set([
  'ConfigError',
  'DataDirError',
  'ServeError',
  'SqlError',
  'SimulatorMismatchError',
  'ProjectError',
  'CompileError',
  'ModelRunError',
  'QueryError',
  'EngineError',
  'LogLockedError',
  'LogError',
  'LakeError',
  'UnsupportedFeatureError',
  'TableNotFoundError',
]);

function fail(err: unknown): never {
  const e = err instanceof Error ? err : new Error(String(err));
  if (process.env.FRESHET_DEBUG) process.stderr.write(`${e.stack ?? e.message}\n`);
  if (USER_ERRORS.has(e.name) || e.name.endsWith('Error')) {
    process.stderr.write(`freshet: ${e.message}\n`);
  } else {
    process.stderr.write(
      `freshet: ${e.message}\n(unexpected; run again with FRESHET_DEBUG=1 for details)\n`,
    );
  }
  // A project that cannot be read or compiled is a usage error (2, as dbt); a run that failed is 1.
  process.exit(USAGE_ERRORS.has(e.name) ? 2 : 1);
}

const USAGE_ERRORS = new Set(['ProjectError', 'CompileError', 'ModelsUsageError']);

type PlatformCommand = 'up' | 'simulate';

/** The options `freshet up` and `freshet simulate` share (simulate differs only in defaults). */
function platformOptions(cmd: Command, d: FreshetConfig, mode: PlatformCommand): Command {
  return cmd
    .option('--data-dir <dir>', 'folder for the log, the lake and the registry', d.dataDir)
    .option(
      '--port <port>',
      'HTTP port for dashboard, API and metrics (0 = any free port)',
      number('--port'),
      d.serve.port,
    )
    .option('--host <host>', 'interface to listen on (0.0.0.0 to expose it)', d.serve.host)
    .option(
      '--rate <events/s>',
      'simulated operational events per second',
      number('--rate'),
      d.simulator.rate,
    )
    .option('--stores <n>', 'number of simulated stores', number('--stores'), d.simulator.stores)
    .option(
      '--skus <n>',
      'number of SKUs in the simulated catalogue',
      number('--skus'),
      d.simulator.skus,
    )
    .option(
      '--seed <n>',
      'seed of the deterministic simulated stream',
      number('--seed'),
      d.simulator.seed,
    )
    .option(
      '--max-events <n>',
      'stop the simulator after this many events (master data included)',
      number('--max-events'),
    )
    .option('--no-simulator', 'do not run the simulator (serve what the data dir holds)')
    .option(
      '--log <url>',
      'use an Apache Kafka cluster as the log instead of the embedded one in <data-dir>/log: kafka://host:port[,host:port…][?topicPrefix=…][&transactionalId=…] (idempotent producer, acks=all, topics created with --partitions; with transactionalId every append is one Kafka transaction)',
    )
    .option(
      '--registry <url>',
      "use an external Confluent-compatible schema registry instead of the embedded one in <data-dir>/registry: its base URL, http[s]://host:port[/path] (another Freshet's is at /registry)",
    )
    .option(
      '--partitions <n>',
      'partitions per topic in the log (fixed when a topic is created)',
      number('--partitions'),
      d.log.partitions,
    )
    .addOption(
      new Option(
        '--fsync <policy>',
        'when the log fsyncs: always (before acknowledging), interval, never',
      )
        .choices(['always', 'interval', 'never'])
        .default(d.log.fsync),
    )
    .option(
      '--model-interval <ms>',
      'how often the models run',
      number('--model-interval'),
      d.pipeline.modelIntervalMs,
    )
    .option(
      '--bronze-interval <ms>',
      'how often bronze commits what the log holds',
      number('--bronze-interval'),
      d.pipeline.bronzeIntervalMs,
    )
    .option(
      '--no-bronze-thread',
      'write bronze on the main thread instead of its own worker thread',
    )
    .option(
      '--publish-interval <ms>',
      'how often silver and gold are committed to the lake',
      number('--publish-interval'),
      d.pipeline.publishIntervalMs,
    )
    .option(
      '--compact-interval <ms>',
      'how often bronze and append-only silver tables are compacted into larger files (0 = never)',
      number('--compact-interval'),
      d.pipeline.compactIntervalMs,
    )
    .option(
      '--late-rate <share>',
      'share of events the simulator sends late (event time 1 min to 24 h back)',
      number('--late-rate'),
      0,
    )
    .option(
      '--duplicate-rate <share>',
      'share of events the simulator sends twice',
      number('--duplicate-rate'),
      0,
    )
    .option(
      '--malformed-rate <share>',
      'share of events the simulator corrupts (they must land in quarantine)',
      number('--malformed-rate'),
      0,
    )
    .option(
      '--clock-skew <minutes>',
      "each store's clock is off by up to this many minutes",
      number('--clock-skew'),
      0,
    )
    .option('--shuffle', 'deliver each simulated batch out of order')
    .option(
      '--adversity',
      'all of the above at once: 2% late, 2% duplicated, 0.5% malformed, 5 min skew, shuffled',
    )
    .option(
      '--lake <url>',
      'keep the lake in an object store instead of <data-dir>/lake, e.g. s3://bucket/prefix (AWS settings from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL_S3); recorded in the data dir at its creation',
    )
    .option(
      '--project <dir>',
      'dbt-compatible project to run (default: the retail project shipped with Freshet)',
      d.projectDir,
    )
    .option('-q, --quiet', 'print nothing but errors')
    .option(
      '--config <file>',
      `a freshet.yaml with settings and sources (default: ./${DEFAULT_CONFIG_FILE} when there is one); flags given on the command line win over it`,
    )
    .option(
      '--silent-stores <n>',
      'this many stores (picked by the seed) go silent after --silent-after events: nothing more arrives from them, and gold.store_health flags their POS as silent',
      number('--silent-stores'),
    )
    .option(
      '--silent-after <events>',
      `operational events into the stream at which the silent stores stop (default ${DEFAULT_SILENT_AFTER})`,
      number('--silent-after'),
    )
    .addOption(
      new Option(
        '--profile <name>',
        `replay the day of a calendar profile on the simulator's own clock: ${PROFILES.join(', ')} (this year's date; see --date)`,
      )
        .choices([...PROFILES])
        .default(mode === 'simulate' ? 'normal' : undefined),
    )
    .option(
      '--date <YYYY-MM-DD>',
      "replay from 00:00 IST of this day instead of the profile's (festival lifts follow the calendar of that date)",
    )
    .option('--days <n>', 'days to replay', number('--days'), 1)
    .option(
      '--speed <multiple>',
      'simulated time per real second in a replay: 60x (a day in 24 min), 1x (real time), or max (as fast as --rate allows)',
      mode === 'simulate' ? '60x' : '1x',
    );
}

/** The replay the flags describe (`runPlatform` drops it for a live `up`). */
function replayFlags(o: { profile?: string; date?: string; days: number; speed: string }): {
  replay?: NonNullable<FreshetConfig['simulator']['replay']>;
} {
  // `up` without --profile or --date carries the speed and days anyway, for a file's replay.
  return {
    replay: {
      profile: o.profile ?? 'date',
      date: o.date ?? '',
      days: o.days,
      speed: parseSpeed(o.speed),
    },
  };
}

/** `60x`, `60` or `max`. */
function parseSpeed(value: string | number): number | 'max' {
  if (value === 'max') return 'max';
  const n = typeof value === 'number' ? value : Number(String(value).replace(/x$/i, ''));
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError(`--speed must be like 60x, 1x or max, got '${value}'.`);
  return n;
}

/** Looks up a replay profile's day (this year's Diwali, …) and reads a speed given as text. */
function resolveReplay(config: FreshetConfig): FreshetConfig {
  const r = config.simulator.replay;
  if (!r) return config;
  const profile = r.profile === 'date' ? 'normal' : r.profile;
  if (!(PROFILES as readonly string[]).includes(profile))
    throw new ConfigError(`--profile must be one of ${PROFILES.join(', ')}, got ${r.profile}`);
  const year = new Date().getUTCFullYear();
  const date = r.date || profileDate(profile as ProfileName, year);
  return {
    ...config,
    simulator: { ...config.simulator, replay: { ...r, date, speed: parseSpeed(r.speed) } },
  };
}

async function runPlatform(
  // commander's parsed options; their names are the flags above.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  o: any,
  cmd: Command,
  mode: PlatformCommand,
): Promise<void> {
  const d = defaultConfig();
  const flags: FreshetConfig = {
    dataDir: o.dataDir,
    lakeUrl: o.lake,
    projectDir: o.project,
    serve: { port: o.port, host: o.host },
    simulator: {
      enabled: o.simulator,
      rate: o.rate,
      stores: o.stores,
      skus: o.skus,
      seed: o.seed,
      maxEvents: o.maxEvents,
      faults: o.adversity
        ? {
            lateRate: 0.02,
            duplicateRate: 0.02,
            malformedRate: 0.005,
            clockSkewMinutes: 5,
            shuffle: true,
            silentStores: o.silentStores ?? 1,
            silentAfter: o.silentAfter,
          }
        : {
            lateRate: o.lateRate,
            duplicateRate: o.duplicateRate,
            malformedRate: o.malformedRate,
            clockSkewMinutes: o.clockSkew,
            shuffle: Boolean(o.shuffle),
            silentStores: o.silentStores,
            silentAfter: o.silentAfter,
          },
      ...replayFlags(o),
    },
    log: { url: o.log, partitions: o.partitions, fsync: o.fsync },
    registry: { url: o.registry },
    pipeline: {
      bronzeIntervalMs: o.bronzeInterval,
      modelIntervalMs: o.modelInterval,
      publishIntervalMs: o.publishInterval,
      maxBatch: d.pipeline.maxBatch,
      bronzeThread: o.bronzeThread,
      compactIntervalMs: o.compactInterval,
    },
    sources: [],
  };
  const file = await configFileFor(o.config);
  const merged = file ? overlayFlags(file.apply(defaultConfig()), flags, cmd) : flags;
  // `up` is live unless --profile, --date or the file asks for a replay.
  if (mode === 'up' && !file && o.profile === undefined && o.date === undefined)
    delete merged.simulator.replay;
  // `simulate` always replays: the file's replay settings, else the flags' defaults.
  if (mode === 'simulate' && !merged.simulator.replay)
    merged.simulator.replay = flags.simulator.replay;
  const config = validateConfig(resolveReplay(merged));
  await up(config, { quiet: Boolean(o.quiet), configFile: file?.path });
  // Everything is stopped and saved; do not wait on a client's open connection.
  process.exit(process.exitCode ?? 0);
}

function program(): Command {
  const d = defaultConfig();
  const root = new Command('freshet')
    .description(
      'A real-time lakehouse for retail operations: sources → log → Delta bronze/silver/gold → dbt-compatible models on DuckDB → API, dashboard, SQL.',
    )
    .version(pkg.version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ showGlobalOptions: true });

  const upCommand = root
    .command('up')
    .description(
      'Run the whole platform in this process with embedded defaults: the retail simulator, the log, bronze Delta tables, the model loop, and the HTTP server (dashboard, JSON API, /metrics). Ctrl-C stops it cleanly; a second `up` on the same data dir resumes where it stopped. The simulated stream is live (event times from the clock, paced by --rate) unless --profile or --date asks for a replay of the calendar.',
    );
  platformOptions(upCommand, d, 'up').action((o, cmd: Command) => runPlatform(o, cmd, 'up'));

  const simulateCommand = root
    .command('simulate')
    .description(
      "Replay a stretch of the calendar faster than real time: the whole platform as `freshet up` runs it, but the simulator keeps its own clock from 00:00 IST of the profile's day and sends the chain's day as it happens — opening hours, the evening peak, weekends, and festivals that lift volume several times over, category by category. E.g. `freshet simulate --profile diwali --speed 60x` replays Diwali 2026 (a day in 24 minutes). The platform keeps serving after the replay ends; Ctrl-C stops it.",
    );
  platformOptions(simulateCommand, d, 'simulate').action((o, cmd: Command) =>
    runPlatform(o, cmd, 'simulate'),
  );

  root
    .command('rebuild')
    .description(
      'Rebuild every silver and gold table from bronze (a full refresh of the project) and publish them to the lake; use it after changing a model. The platform must be stopped. (`freshet up` already rebuilds its serving tables from the lake at every start.)',
    )
    .option('--data-dir <dir>', 'the data dir `freshet up` used', d.dataDir)
    .option(
      '--project <dir>',
      'dbt-compatible project to run (default: the retail project shipped with Freshet)',
      d.projectDir,
    )
    .action(async (o) => {
      const config = defaultConfig();
      config.dataDir = (await prepareDataDir(o.dataDir, { create: false })) as string;
      config.projectDir = o.project;
      config.simulator.enabled = false;
      const started = performance.now();
      const platform = await Platform.open(config);
      try {
        await platform.rebuild();
      } finally {
        await platform.stop();
      }
      const tables = platform.tables().filter((t) => t.layer !== 'bronze');
      for (const t of tables) process.stdout.write(`${t.name.padEnd(32)} version ${t.version}\n`);
      process.stdout.write(
        `rebuilt ${tables.length} tables from bronze in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
      );
    });

  root
    .command('sql')
    .description(
      'Run one read-only SQL query over the platform tables by name (bronze.<topic>, silver.<model>, gold.<model>). Asks the running platform when there is one, else reads the lake.',
    )
    .argument('<query>', 'a SELECT (or WITH … SELECT, or EXPLAIN) statement')
    .option('--data-dir <dir>', 'the data dir `freshet up` used', d.dataDir)
    .addOption(
      new Option('--format <format>', 'output: table for people, json or ndjson for scripts')
        .choices(['table', 'json', 'ndjson'])
        .default('table'),
    )
    .action(async (query: string, o) => {
      await sql(query, { dataDir: o.dataDir, format: o.format });
    });

  root
    .command('verify')
    .description(
      "Compare every gold mart in the lake (inventory_realtime, sales_by_store_hour, sales_by_category_day, shipments, store_health, demand_forecast) with an independent computation (the oracles in src/retail/) from every event the log accepted. Prints each mart's rows and its mismatches by mart, key (store, SKU, hour, …) and column; exits 0 only when there are none. The case study's inventory model is built from the same silver and reported beside, without failing. Run it with the platform stopped.",
    )
    .option('--data-dir <dir>', 'the data dir `freshet up` used', d.dataDir)
    .option('--json', 'print the report as JSON')
    .option('--limit <n>', 'most mismatches to print', number('--limit'), 20)
    .option(
      '--log <url>',
      'the Kafka log the platform ran on (kafka://…, as given to `freshet up --log`); default: the embedded log in the data dir',
    )
    .action(async (o) => {
      const dataDir = await prepareDataDir(o.dataDir, { create: false });
      if (!o.log && !existsSync(join(dataDir, LOG_DIR))) {
        throw new DataDirError(
          `${dataDir} has no embedded log: its platform ran on Kafka; pass the same --log kafka://… to verify`,
        );
      }
      const running = await readRunInfo(dataDir);
      if (running) {
        throw new DataDirError(
          `a platform (pid ${running.pid}) is running on ${dataDir}; stop it (Ctrl-C) so the lake holds every accepted event, then verify`,
        );
      }
      const report = await verifyInventory(dataDir, undefined, { logUrl: o.log });
      process.stdout.write(
        o.json ? JSON.stringify(report, null, 2) + '\n' : formatVerifyReport(report, o.limit),
      );
      process.exitCode = report.mismatches.length === 0 && report.eventsNotInLake === 0 ? 0 : 1;
    });

  // Positional options: `-V, --version` belongs to `freshet` itself, so `lake read --version N` is free.
  root.enablePositionalOptions().addCommand(lakeCommand(d.dataDir));
  root.addCommand(modelsCommand());
  root.addCommand(bronzeWorkerCommand(d.dataDir));
  root.addCommand(sourcesCommand(d.dataDir));

  return root;
}

export async function main(argv: string[]): Promise<void> {
  // `freshet models ls | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  try {
    await program().parseAsync(argv);
  } catch (err) {
    fail(err);
  }
}

await main(process.argv);
