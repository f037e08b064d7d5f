/** Where things live in a data dir, and how topics and models map to lake tables. */
export const LAKE_DIR = 'lake';
export const LOG_DIR = 'log';
export const REGISTRY_DIR = 'registry';
export const SOURCES_DIR = 'sources';
export const TMP_DIR = 'tmp';

/** The bronze table of a topic: `pos.transactions` → `pos_transactions`. */
export function bronzeTableName(topic: string): string {
  return topic.replace(/[^A-Za-z0-9_]/g, '_').replace(/^_+/, '');
}

/** Lake path of a table in a layer: `bronze/pos_transactions`. */
export function lakePath(layer: string, table: string): string {
  return `${layer}/${table}`;
}

/** appId of the bronze writer's `txn` for one topic partition (version = last offset written). */
export function bronzeAppId(topic: string, partition: number): string {
  return `freshet-bronze:${topic}:${partition}`;
}

/** appId of the model publisher's `txn` for one model (version = publish sequence). */
export function publishAppId(model: string): string {
  return `freshet-model:${model}`;
}
