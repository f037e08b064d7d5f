import { fileURLToPath } from 'node:url';
import type { SourceConfig } from './source-config.js';

/**
 * Everything `freshet up` can be told. Every field has an embedded default, so a newcomer needs
 * no configuration file, server or account.
 */
export interface FreshetConfig {
  /** Folder holding the log, the lake and the registry. Default ./freshet-data. */
  dataDir: string;
  /**
   * Where the lake lives when not in the data dir: an s3://bucket/prefix URL (or a file:// URL).
   * Recorded in the data dir when it is created. Default: <dataDir>/lake.
   */
  lakeUrl?: string;
  /** The dbt-compatible project the model loop runs. Default: the retail project shipped with Freshet. */
  projectDir: string;
  serve: {
    /** HTTP port for the API, the dashboard and /metrics. Default 8080; 0 picks a free port. */
    port: number;
    /** Interface to listen on. Default 127.0.0.1 (loopback); 0.0.0.0 exposes it to the network. */
    host: string;
  };
  simulator: {
    enabled: boolean;
    /** Operational events per second (master data is sent once, as a burst). Default 100. */
    rate: number;
    /** Number of stores. Default 800. */
    stores: number;
    /** Number of SKUs in the catalogue. Default 3000. */
    skus: number;
    /** Seed of the deterministic stream. Default 42. */
    seed: number;
    /** Stop after this many events in total (master data included); default: run until stopped. */
    maxEvents?: number;
    /** Real-feed faults to inject (late, duplicate, malformed events, clock skew, shuffled batches). Default: none. */
    faults: {
      lateRate: number;
      duplicateRate: number;
      malformedRate: number;
      clockSkewMinutes: number;
      shuffle: boolean;
      /** Stores (picked by the seed) that go silent: nothing more from them. Default 0. */
      silentStores?: number;
      /** How many operational events in the silent stores stop sending. Default 5,000. */
      silentAfter?: number;
    };
    /**
     * Replay a stretch of the calendar on the simulator's own clock (hours, weekdays, festivals)
     * instead of a flat live stream paced by `rate`. Default: live.
     */
    replay?: {
      /** What is replayed, for messages: a profile name (diwali, eoss, …) or `date`. */
      profile: string;
      /** First IST day replayed, `YYYY-MM-DD`. */
      date: string;
      /** Days replayed; the simulator finishes after them. Default 1. */
      days: number;
      /** Simulated seconds per wall-clock second, or 'max' (as fast as `rate` allows). */
      speed: number | 'max';
    };
  };
  log: {
    /**
     * Which log: undefined for the embedded log in the data dir (the default), or a Kafka
     * cluster as kafka://host:port[,host:port…][?topicPrefix=…].
     */
    url?: string;
    /** Partitions of each topic. Default 4. */
    partitions: number;
    /** 'always': fsync before acknowledging (no acknowledged event is lost, the default). */
    fsync: 'always' | 'interval' | 'never';
  };
  registry: {
    /**
     * Which schema registry: undefined for the embedded one in the data dir (the default), or a
     * Confluent-compatible registry's base URL (http[s]://host:port[/path]).
     */
    url?: string;
  };
  /** Source systems beyond the simulator (freshet.yaml's `sources:`). Default: none. */
  sources: SourceConfig[];
  pipeline: {
    /** How often the bronze writer commits what the log holds. Default 250 ms. */
    bronzeIntervalMs: number;
    /** How often the model loop runs the project. Default 1000 ms. */
    modelIntervalMs: number;
    /** How often silver and gold are published to the lake. Default 5000 ms. */
    publishIntervalMs: number;
    /** Most records per partition in one bronze commit. Default 50,000. */
    maxBatch: number;
    /**
     * Write bronze on its own thread: decoding and Parquet then run beside the thread that
     * appends, not between its appends. Default true.
     */
    bronzeThread: boolean;
    /**
     * How often bronze and append-only silver tables are compacted: streaming commits make many
     * small files, which slow every reader. Default 60,000 ms; 0 turns it off.
     */
    compactIntervalMs: number;
  };
}

export const DEFAULT_PROJECT_DIR = fileURLToPath(new URL('../../project', import.meta.url));

export function defaultConfig(): FreshetConfig {
  return {
    dataDir: './freshet-data',
    projectDir: DEFAULT_PROJECT_DIR,
    serve: { port: 8080, host: '127.0.0.1' },
    simulator: {
      enabled: true,
      rate: 100,
      stores: 800,
      skus: 3000,
      seed: 42,
      faults: {
        lateRate: 0,
        duplicateRate: 0,
        malformedRate: 0,
        clockSkewMinutes: 0,
        shuffle: false,
      },
    },
    log: { partitions: 4, fsync: 'always' },
    registry: {},
    sources: [],
    pipeline: {
      bronzeIntervalMs: 250,
      modelIntervalMs: 1000,
      publishIntervalMs: 5000,
      maxBatch: 50_000,
      bronzeThread: true,
      compactIntervalMs: 60_000,
    },
  };
}

/** A setting that is out of range; the message names the setting and what is allowed. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new ConfigError(message);
}

/** Checks ranges a typo could break, so the user gets one sentence instead of a failure later. */
export function validateConfig(c: FreshetConfig): FreshetConfig {
  const int = (v: number) => Number.isInteger(v);
  check(
    int(c.serve.port) && c.serve.port >= 0 && c.serve.port <= 65535,
    `--port must be an integer from 0 to 65535, got ${c.serve.port}`,
  );
  check(
    Number.isFinite(c.simulator.rate) && c.simulator.rate > 0 && c.simulator.rate <= 1_000_000,
    `--rate must be a number of events per second above 0 and at most 1000000, got ${c.simulator.rate}`,
  );
  check(
    int(c.simulator.stores) && c.simulator.stores >= 1 && c.simulator.stores <= 9999,
    `--stores must be an integer from 1 to 9999, got ${c.simulator.stores}`,
  );
  check(
    int(c.simulator.skus) && c.simulator.skus >= 10 && c.simulator.skus <= 99999,
    `--skus must be an integer from 10 to 99999, got ${c.simulator.skus}`,
  );
  check(
    int(c.simulator.seed) && c.simulator.seed >= 0,
    `--seed must be a non-negative integer, got ${c.simulator.seed}`,
  );
  check(
    c.simulator.maxEvents === undefined ||
      (int(c.simulator.maxEvents) && c.simulator.maxEvents > 0),
    `--max-events must be a positive integer, got ${c.simulator.maxEvents}`,
  );
  check(
    int(c.log.partitions) && c.log.partitions >= 1 && c.log.partitions <= 256,
    `--partitions must be an integer from 1 to 256, got ${c.log.partitions}`,
  );
  check(
    c.log.url === undefined || /^kafka:\/\/[^/?#\s]+\/?(\?[^#\s]*)?$/.test(c.log.url),
    `--log must be kafka://host:port[,host:port…][?topicPrefix=…], got ${c.log.url}`,
  );
  check(
    c.registry.url === undefined || /^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(c.registry.url),
    `--registry must be a Confluent-compatible registry's URL, http[s]://host:port[/path], got ${c.registry.url}`,
  );
  check(
    ['always', 'interval', 'never'].includes(c.log.fsync),
    `--fsync must be always, interval or never, got ${c.log.fsync}`,
  );
  for (const [key, v] of Object.entries({
    '--bronze-interval': c.pipeline.bronzeIntervalMs,
    '--model-interval': c.pipeline.modelIntervalMs,
    '--publish-interval': c.pipeline.publishIntervalMs,
  })) {
    check(
      int(v) && v >= 10 && v <= 3_600_000,
      `${key} must be a number of milliseconds from 10 to 3600000, got ${v}`,
    );
  }
  check(
    int(c.pipeline.maxBatch) && c.pipeline.maxBatch >= 1,
    `--max-batch must be a positive integer, got ${c.pipeline.maxBatch}`,
  );
  const f = c.simulator.faults;
  for (const [flag, v] of Object.entries({
    '--late-rate': f.lateRate,
    '--duplicate-rate': f.duplicateRate,
    '--malformed-rate': f.malformedRate,
  })) {
    check(Number.isFinite(v) && v >= 0 && v <= 1, `${flag} must be a share from 0 to 1, got ${v}`);
  }
  check(
    Number.isFinite(f.clockSkewMinutes) && f.clockSkewMinutes >= 0 && f.clockSkewMinutes <= 1440,
    `--clock-skew must be 0 to 1440 minutes, got ${f.clockSkewMinutes}`,
  );
  check(
    f.silentStores === undefined ||
      (int(f.silentStores) && f.silentStores >= 0 && f.silentStores <= c.simulator.stores),
    `--silent-stores must be an integer from 0 to the number of stores (${c.simulator.stores}), got ${f.silentStores}`,
  );
  check(
    f.silentAfter === undefined || (int(f.silentAfter) && f.silentAfter >= 0),
    `--silent-after must be a non-negative number of events, got ${f.silentAfter}`,
  );
  const r = c.simulator.replay;
  if (r) {
    check(
      /^\d{4}-\d{2}-\d{2}$/.test(r.date) && !Number.isNaN(Date.parse(r.date)),
      `--date must be an IST day as YYYY-MM-DD, got ${r.date}`,
    );
    check(int(r.days) && r.days >= 1 && r.days <= 366, `--days must be 1 to 366, got ${r.days}`);
    check(
      r.speed === 'max' || (Number.isFinite(r.speed) && r.speed > 0 && r.speed <= 1_000_000),
      `--speed must be a multiple of real time above 0 (e.g. 60x) or max, got ${r.speed}`,
    );
  }
  const ci = c.pipeline.compactIntervalMs;
  check(
    int(ci) && (ci === 0 || (ci >= 1000 && ci <= 86_400_000)),
    `--compact-interval must be 0 (off) or a number of milliseconds from 1000 to 86400000, got ${ci}`,
  );
  return c;
}
