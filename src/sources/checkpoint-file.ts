import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Replaces a small file (a source's position, a ledger) so that a crash at any moment leaves the
 * old content or the new, never half of either: written aside, synced, renamed over the old one,
 * and the folder synced so the rename itself survives a power cut. Every source keeps its
 * position this way.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp`;
  const file = await open(tmp, 'w');
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } catch {
    // Some filesystems refuse fsync on a folder; the rename is then as durable as they make it.
  } finally {
    await folder.close();
  }
}
