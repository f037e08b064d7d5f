import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A running platform announces itself in its data dir, so `freshet sql` can ask it directly. */
const RUN_FILE = 'running.json';

export interface RunInfo {
  pid: number;
  url: string;
  startedAt: string;
}

export async function writeRunInfo(dataDir: string, info: RunInfo): Promise<void> {
  await writeFile(join(dataDir, RUN_FILE), JSON.stringify(info, null, 2) + '\n');
}

export async function removeRunInfo(dataDir: string): Promise<void> {
  await rm(join(dataDir, RUN_FILE), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The platform running on this data dir, if any (a file left by a killed process is ignored). */
export async function readRunInfo(dataDir: string): Promise<RunInfo | null> {
  try {
    const info = JSON.parse(await readFile(join(dataDir, RUN_FILE), 'utf8')) as RunInfo;
    return alive(info.pid) ? info : null;
  } catch {
    return null;
  }
}
