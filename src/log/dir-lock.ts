// An exclusive claim on a log directory, so two processes never append to the same segment
// files (each would overwrite the other's records at the same positions). Node has no flock,
// so the claim is a file created with O_EXCL holding the owner's pid; a lock left behind by a
// process that died (kill -9, power loss) is detected by that pid no longer running on this
// host and is taken over.
//
// Known limit: two processes that find the same stale lock at the same instant could both
// take it over. That needs a crashed owner and two simultaneous starts on one directory.

import { randomUUID } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LogLockedError } from './errors.js';

export const LOCK_FILE = '.freshet.lock';
/** A lock file with no readable owner younger than this may belong to a process starting up. */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

interface LockOwner {
  pid: number;
  hostname: string;
  token: string;
  since: string;
}

export class DirLock {
  private constructor(
    readonly path: string,
    private readonly token: string,
  ) {}

  static async acquire(dir: string): Promise<DirLock> {
    const path = join(dir, LOCK_FILE);
    const owner: LockOwner = {
      pid: process.pid,
      hostname: hostname(),
      token: randomUUID(),
      since: new Date().toISOString(),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(path, 'wx');
        try {
          await fh.writeFile(JSON.stringify(owner) + '\n');
          await fh.sync();
        } finally {
          await fh.close();
        }
        return new DirLock(path, owner.token);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await readOwner(path);
      if (holder === 'gone') continue;
      if (holder === null) {
        const age = await stat(path).then(
          (s) => Date.now() - s.mtimeMs,
          () => Infinity,
        );
        if (age < UNREADABLE_LOCK_GRACE_MS) {
          throw new LogLockedError(dir, 'a process that is starting up', path);
        }
      } else if (holder.hostname !== owner.hostname || isAlive(holder.pid)) {
        throw new LogLockedError(
          dir,
          `pid ${holder.pid} on ${holder.hostname} since ${holder.since}`,
          path,
        );
      }
      // Stale: its owner is dead. Remove it and try to create ours again.
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    throw new LogLockedError(dir, 'another process racing for the same lock', path);
  }

  /** Removes the lock file if it is still ours. */
  async release(): Promise<void> {
    const holder = await readOwner(this.path);
    if (holder !== null && holder !== 'gone' && holder.token === this.token) {
      await unlink(this.path).catch(() => undefined);
    }
  }
}

async function readOwner(path: string): Promise<LockOwner | null | 'gone'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return Number.isInteger(owner.pid) && typeof owner.hostname === 'string' ? owner : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
