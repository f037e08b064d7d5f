import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { assertValidKey, type ObjectInfo, type ObjectStore } from './object-store.js';

/** Suffix of our in-flight temporary files; `list` hides them. */
const TEMP_SUFFIX = '.freshet-tmp';

/**
 * An object store on a local (or mounted) filesystem.
 *
 * Atomic create uses the classic pattern: write the whole object to a temporary file beside the
 * target, fsync it, then `link()` it to the final name. `link` fails with EEXIST when the name is
 * taken, so exactly one racing writer wins, and the target name only ever points at complete
 * bytes. (`open(..., 'wx')` alone would be exclusive too, but a reader could then see the file
 * while it is still being written.)
 */
export class LocalObjectStore implements ObjectStore {
  readonly rootDir: string;
  readonly description: string;

  constructor(rootDir: string) {
    this.rootDir = path.resolve(rootDir);
    this.description = `local folder ${this.rootDir}`;
  }

  localPath(key: string): string {
    assertValidKey(key);
    return path.join(this.rootDir, ...key.split('/'));
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await fs.readFile(this.localPath(key));
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      const st = await fs.stat(this.localPath(key));
      return st.isFile() ? { size: st.size, lastModified: Math.floor(st.mtimeMs) } : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async putIfAbsent(key: string, data: Buffer): Promise<boolean> {
    const target = this.localPath(key);
    // Cheap early answer for the common loser of a commit race: no temp file, no fsync.
    if (await pathExists(target)) return false;
    const dir = path.dirname(target);
    await fs.mkdir(dir, { recursive: true });
    const temp = tempPathBeside(target);
    await writeDurably(temp, data, 'wx');
    try {
      await fs.link(temp, target);
    } catch (err) {
      if (errorCode(err) === 'EEXIST') return false;
      // Some filesystems (certain FUSE, SMB and FAT mounts) have no hard links. Exclusive create
      // is still atomic there, but a concurrent reader may see a partly written file.
      if (!isLinkUnsupported(err)) throw err;
      return await createExclusive(target, data);
    } finally {
      await fs.rm(temp, { force: true });
    }
    await syncDirectory(dir);
    return true;
  }

  async put(key: string, data: Buffer): Promise<void> {
    const target = this.localPath(key);
    const dir = path.dirname(target);
    await fs.mkdir(dir, { recursive: true });
    const temp = tempPathBeside(target);
    try {
      await writeDurably(temp, data, 'wx');
      await fs.rename(temp, target);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw err;
    }
    await syncDirectory(dir);
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const target = this.localPath(key);
    const dir = path.dirname(target);
    await fs.mkdir(dir, { recursive: true });
    // The file was written by someone else (often DuckDB) who may not have synced it; a commit that
    // points at a file whose bytes die in a power cut would break the table.
    await syncFile(localPath);
    try {
      await fs.rename(localPath, target);
    } catch (err) {
      if (errorCode(err) !== 'EXDEV') throw err;
      // Across filesystems: copy to a temp name on the target filesystem, then rename into place,
      // so the target never holds a partial copy.
      const temp = tempPathBeside(target);
      try {
        await fs.copyFile(localPath, temp);
        await syncFile(temp);
        await fs.rename(temp, target);
      } catch (copyErr) {
        await fs.rm(temp, { force: true });
        throw copyErr;
      }
      await fs.rm(localPath, { force: true });
    }
    await syncDirectory(dir);
  }

  async list(prefix: string): Promise<string[]> {
    // Walk only the deepest folder the prefix names, then filter by the full string prefix
    // (object-store semantics: 'a/b' also matches 'a/bc/...').
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    const start = dirKey === '' ? this.rootDir : this.localPath(dirKey);
    const keys: string[] = [];
    await walk(start, dirKey, keys);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.localPath(key), { force: true });
  }
}

async function walk(dir: string, dirKey: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return;
    throw err;
  }
  for (const entry of entries) {
    if (entry.name.endsWith(TEMP_SUFFIX)) continue;
    const key = dirKey === '' ? entry.name : `${dirKey}/${entry.name}`;
    const full = path.join(dir, entry.name);
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      const st = await fs.stat(full).catch(() => null);
      isDir = st?.isDirectory() ?? false;
      isFile = st?.isFile() ?? false;
    }
    if (isDir) await walk(full, key, out);
    else if (isFile) out.push(key);
  }
}

function tempPathBeside(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomUUID()}${TEMP_SUFFIX}`);
}

async function writeDurably(file: string, data: Buffer, flag: string): Promise<void> {
  const handle = await fs.open(file, flag);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function createExclusive(target: string, data: Buffer): Promise<boolean> {
  try {
    await writeDurably(target, data, 'wx');
    return true;
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return false;
    throw err;
  }
}

async function pathExists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

async function syncFile(file: string): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a new directory entry durable. Not every platform can fsync a directory; that is fine. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows and some network filesystems refuse; the rename/link itself is still atomic.
  }
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err
    ? String((err as { code: unknown }).code)
    : undefined;
}

function isMissing(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function isLinkUnsupported(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS';
}
