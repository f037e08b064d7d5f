import { LOG_DIR, parseLogFileName } from './log-files.js';
import type { ObjectStore } from './object-store.js';

/**
 * Paths of the Delta tables under `prefix` (a folder, e.g. 'bronze'): every folder whose
 * `_delta_log/` holds a commit or checkpoint. Sorted. Lists the whole prefix, so use it for
 * discovery at start-up, not in a hot loop.
 */
export async function findTables(store: ObjectStore, prefix = ''): Promise<string[]> {
  const folder = prefix.replace(/^\/+/, '');
  const listPrefix = folder === '' || folder.endsWith('/') ? folder : `${folder}/`;
  const tables = new Set<string>();
  for (const key of await store.list(listPrefix)) {
    const segments = key.split('/');
    // '<table>/_delta_log/<log file>': the log file must sit directly in _delta_log.
    if (segments.length < 2 || segments[segments.length - 2] !== LOG_DIR) continue;
    if (!parseLogFileName(segments[segments.length - 1]!)) continue;
    tables.add(segments.slice(0, -2).join('/'));
  }
  return [...tables].sort();
}
