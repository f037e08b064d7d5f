import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import {
  DEFAULT_CONFIG_FILE,
  loadConfigFile,
  type ConfigFile,
  type FreshetConfig,
} from '../config/index.js';

/** The config file to read: --config, else ./freshet.yaml when there is one, else none. */
export async function configFileFor(
  path: string | undefined,
  opts: { readSecrets?: boolean } = {},
): Promise<ConfigFile | null> {
  const file = path ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : null);
  return file ? loadConfigFile(file, process.env, opts) : null;
}

/** Which part of the configuration each `freshet up` flag sets. */
const FLAG_TARGETS: Record<string, (to: FreshetConfig, from: FreshetConfig) => void> = {
  dataDir: (t, f) => (t.dataDir = f.dataDir),
  lake: (t, f) => (t.lakeUrl = f.lakeUrl),
  project: (t, f) => (t.projectDir = f.projectDir),
  port: (t, f) => (t.serve.port = f.serve.port),
  host: (t, f) => (t.serve.host = f.serve.host),
  simulator: (t, f) => (t.simulator.enabled = f.simulator.enabled),
  rate: (t, f) => (t.simulator.rate = f.simulator.rate),
  stores: (t, f) => (t.simulator.stores = f.simulator.stores),
  skus: (t, f) => (t.simulator.skus = f.simulator.skus),
  seed: (t, f) => (t.simulator.seed = f.simulator.seed),
  maxEvents: (t, f) => (t.simulator.maxEvents = f.simulator.maxEvents),
  adversity: (t, f) => (t.simulator.faults = { ...f.simulator.faults }),
  lateRate: (t, f) => (t.simulator.faults.lateRate = f.simulator.faults.lateRate),
  duplicateRate: (t, f) => (t.simulator.faults.duplicateRate = f.simulator.faults.duplicateRate),
  malformedRate: (t, f) => (t.simulator.faults.malformedRate = f.simulator.faults.malformedRate),
  clockSkew: (t, f) => (t.simulator.faults.clockSkewMinutes = f.simulator.faults.clockSkewMinutes),
  shuffle: (t, f) => (t.simulator.faults.shuffle = f.simulator.faults.shuffle),
  silentStores: (t, f) => (t.simulator.faults.silentStores = f.simulator.faults.silentStores),
  silentAfter: (t, f) => (t.simulator.faults.silentAfter = f.simulator.faults.silentAfter),
  // --profile or --date typed replaces the file's replay as a whole; --days and --speed alone
  // change the file's replay, if it has one.
  profile: (t, f) => (t.simulator.replay = f.simulator.replay),
  date: (t, f) => (t.simulator.replay = f.simulator.replay),
  days: (t, f) => {
    if (t.simulator.replay && f.simulator.replay) t.simulator.replay.days = f.simulator.replay.days;
  },
  speed: (t, f) => {
    if (t.simulator.replay && f.simulator.replay)
      t.simulator.replay.speed = f.simulator.replay.speed;
  },
  log: (t, f) => (t.log.url = f.log.url),
  partitions: (t, f) => (t.log.partitions = f.log.partitions),
  fsync: (t, f) => (t.log.fsync = f.log.fsync),
  registry: (t, f) => (t.registry.url = f.registry.url),
  modelInterval: (t, f) => (t.pipeline.modelIntervalMs = f.pipeline.modelIntervalMs),
  bronzeInterval: (t, f) => (t.pipeline.bronzeIntervalMs = f.pipeline.bronzeIntervalMs),
  publishInterval: (t, f) => (t.pipeline.publishIntervalMs = f.pipeline.publishIntervalMs),
  compactInterval: (t, f) => (t.pipeline.compactIntervalMs = f.pipeline.compactIntervalMs),
  bronzeThread: (t, f) => (t.pipeline.bronzeThread = f.pipeline.bronzeThread),
};

/**
 * The file's configuration with every flag the user typed on top: a flag left at its default
 * does not undo what the file says.
 */
export function overlayFlags(
  fromFile: FreshetConfig,
  flags: FreshetConfig,
  cmd: Command,
): FreshetConfig {
  const out = structuredClone(fromFile);
  for (const [option, set] of Object.entries(FLAG_TARGETS)) {
    if (cmd.getOptionValueSource(option) === 'cli') set(out, flags);
  }
  return out;
}
