import { join } from 'node:path';
import { ConfigError, type FreshetConfig, type SourceConfig } from '../config/index.js';
import type { Log } from '../log/index.js';
import type { Metrics } from '../observe/index.js';
import type { SchemaRegistry } from '../registry/index.js';
import {
  createIngest,
  FileDropSource,
  HttpPullSource,
  KafkaTopicSource,
  MysqlCdcSource,
  PostgresCdcSource,
  type Ingest,
  type Source,
} from '../sources/index.js';
import { SOURCES_DIR, TMP_DIR } from './names.js';

export interface ConfiguredSources {
  /** Sources that run on their own (CDC, pull, files, Kafka), started and stopped with the platform. */
  sources: Source[];
  /** The push endpoints of the `http` sources, when any are declared. */
  ingest: Ingest | null;
}

interface Context {
  config: FreshetConfig;
  dataDir: string;
  log: Log;
  registry: SchemaRegistry;
  metrics: Metrics;
  onError: (source: string, err: unknown) => void;
  onProgress: (message: string) => void;
}

/**
 * The sources freshet.yaml declares, built with what the platform shares (its log, registry and
 * metrics) and a position file each under <data-dir>/sources. Secrets were resolved when the
 * file was read and go only to the connector that needs them.
 */
export async function openConfiguredSources(ctx: Context): Promise<ConfiguredSources> {
  const sources: Source[] = [];
  const push = ctx.config.sources.filter((s) => s.type === 'http');
  for (const s of ctx.config.sources) {
    if (s.type === 'http') continue;
    sources.push(buildSource(s, ctx));
  }
  const ingest =
    push.length === 0
      ? null
      : await createIngest({
          log: ctx.log,
          registry: ctx.registry,
          metrics: ctx.metrics,
          dataDir: join(ctx.dataDir, SOURCES_DIR, 'http'),
          sources: push.map((s) => ({ name: s.name, token: s.token, topics: s.topics })),
          partitions: ctx.config.log.partitions,
          keyFields: Object.assign({}, ...push.map((s) => s.keyFields ?? {})) as Record<
            string,
            string
          >,
          wireFormat: ctx.config.log.url !== undefined,
        });
  return { sources, ingest };
}

function buildSource(s: Exclude<SourceConfig, { type: 'http' }>, ctx: Context): Source {
  const common = {
    log: ctx.log,
    registry: ctx.registry,
    metrics: ctx.metrics,
    checkpointPath: join(ctx.dataDir, SOURCES_DIR, `${s.name}.json`),
    wireFormat: ctx.config.log.url !== undefined,
    onError: (err: unknown) => ctx.onError(s.name, err),
  };
  switch (s.type) {
    case 'postgres':
      return new PostgresCdcSource({
        ...common,
        name: s.name,
        connection: s.connection,
        topicPrefix: s.topicPrefix,
        tables: s.tables,
        ...(s.slot ? { slot: s.slot } : {}),
        ...(s.publication ? { publication: s.publication } : {}),
        partitions: s.partitions ?? ctx.config.log.partitions,
        ...(s.snapshotChunkSize ? { snapshotChunkSize: s.snapshotChunkSize } : {}),
        ...(s.heartbeatIntervalMs ? { heartbeatIntervalMs: s.heartbeatIntervalMs } : {}),
        onProgress: (m: string) => ctx.onProgress(`${s.name}: ${m}`),
      });
    case 'mysql':
      return new MysqlCdcSource({
        ...common,
        name: s.name,
        connection: s.connection,
        topicPrefix: s.topicPrefix,
        tables: s.tables,
        ...(s.serverId ? { replicaServerId: s.serverId } : {}),
        partitions: s.partitions ?? ctx.config.log.partitions,
        ...(s.snapshotChunkSize ? { snapshotChunkSize: s.snapshotChunkSize } : {}),
        onProgress: (m: string) => ctx.onProgress(`${s.name}: ${m}`),
      });
    case 'files':
      return new FileDropSource({
        ...common,
        name: s.name,
        location: s.location,
        topic: s.topic,
        partitions: ctx.config.log.partitions,
        ...(s.format ? { format: s.format } : {}),
        ...(s.pattern ? { pattern: s.pattern } : {}),
        ...(s.keyField ? { keyField: s.keyField } : {}),
        ...(s.pollIntervalMs ? { pollIntervalMs: s.pollIntervalMs } : {}),
        ...(s.schema ? { schema: s.schema } : {}),
        ...(s.csv ? { csv: s.csv } : {}),
        ...(s.readyMarker ? { readyMarker: s.readyMarker } : {}),
        ...(s.archive ? { archive: s.archive } : {}),
        storeOptions: { s3: { cacheDir: join(ctx.dataDir, TMP_DIR, `files-${s.name}`) } },
        onProgress: (m: string) => ctx.onProgress(`${s.name}: ${m}`),
      });
    case 'kafka': {
      const prefix = s.targetPrefix ?? '';
      return new KafkaTopicSource({
        ...common,
        name: s.name,
        brokers: s.brokers,
        topics: s.topics,
        groupId: s.group ?? `freshet-${s.name}`,
        ...(s.format ? { format: s.format } : {}),
        ...(s.registryUrl ? { sourceRegistry: KafkaTopicSource.registryAt(s.registryUrl) } : {}),
        ...(prefix ? { targetTopics: (topic: string) => `${prefix}${topic}` } : {}),
        onProgress: (m: string) => ctx.onProgress(`${s.name}: ${m}`),
      });
    }
    case 'http-pull':
      return new HttpPullSource({
        ...common,
        name: s.name,
        url: s.url,
        topic: s.topic,
        partitions: ctx.config.log.partitions,
        ...(s.cursorParam ? { cursorParam: s.cursorParam } : {}),
        ...(s.recordsPath !== undefined ? { recordsPath: s.recordsPath } : {}),
        ...(s.nextCursorPath !== undefined ? { nextCursorPath: s.nextCursorPath } : {}),
        ...(s.initialCursor !== undefined ? { initialCursor: s.initialCursor } : {}),
        ...(s.headers ? { headers: s.headers } : {}),
        ...(s.pollIntervalMs ? { pollIntervalMs: s.pollIntervalMs } : {}),
        ...(s.keyField ? { keyField: s.keyField } : {}),
      });
    default: {
      const unknown: never = s;
      throw new ConfigError(`unknown source type in ${JSON.stringify(unknown)}`);
    }
  }
}
