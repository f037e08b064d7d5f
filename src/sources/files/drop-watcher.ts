// Which files in the drop location are ready to take. A file still being written must not be
// read half-way: it is taken only once two polls in a row saw the same size and modification
// time (or, with a marker suffix, once `<file><marker>` exists, for writers that say so).

import type { ObjectStore } from '../../lake/object-store.js';
import type { FileVersion } from './ledger.js';

export interface WatchOptions {
  /** Keys under the location to consider: a suffix ('.csv'), or a glob ('exports/*.csv'). */
  pattern?: string;
  /** Keys under this prefix are never taken (archived files). */
  excludePrefix?: string;
  /** When set, a file is ready once `<key><marker>` exists, without waiting for stability. */
  readyMarker?: string;
}

export class DropWatcher {
  private seen = new Map<string, { size: number; mtime: number }>();
  private readonly match: (key: string) => boolean;

  constructor(
    private readonly store: ObjectStore,
    private readonly opts: WatchOptions,
  ) {
    this.match = matcher(opts.pattern);
  }

  /**
   * The files ready now, in key order, with every key listed (so the caller can forget files
   * that are gone). `isDone` spares a file already taken the stability wait.
   */
  async poll(
    isDone: (v: FileVersion) => boolean,
  ): Promise<{ ready: FileVersion[]; listed: Set<string> }> {
    const keys = await this.store.list('');
    const listed = new Set(keys);
    const marker = this.opts.readyMarker;
    const ready: FileVersion[] = [];
    const next = new Map<string, { size: number; mtime: number }>();
    for (const key of keys) {
      if (marker && key.endsWith(marker)) continue;
      if (this.opts.excludePrefix && key.startsWith(this.opts.excludePrefix)) continue;
      if (!this.match(key)) continue;
      if (marker && !listed.has(key + marker)) continue;
      const info = await this.store.head?.(key);
      if (!info) continue; // gone since the listing
      const v: FileVersion = { key, size: info.size, mtime: info.lastModified };
      if (isDone(v)) continue;
      next.set(key, { size: v.size, mtime: v.mtime });
      const before = this.seen.get(key);
      if (marker || (before && before.size === v.size && before.mtime === v.mtime)) ready.push(v);
    }
    this.seen = next;
    return { ready, listed };
  }
}

/** '*.csv' and 'a/**' style globs; a pattern without '*' or '?' is a suffix. */
export function matcher(pattern: string | undefined): (key: string) => boolean {
  if (!pattern) return () => true;
  if (!/[*?]/.test(pattern)) return (key) => key.endsWith(pattern);
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const compiled = new RegExp(`^${re}$`);
  return (key) => compiled.test(key);
}
