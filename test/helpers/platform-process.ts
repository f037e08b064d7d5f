import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FRESHET_BIN = fileURLToPath(new URL('../../bin/freshet.js', import.meta.url));

export async function tempDataDir(prefix = 'freshet-e2e-'): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), prefix)), 'data');
}

/** A `freshet up` child process, as a user would run it (the compiled program, a real port). */
export class PlatformProcess {
  private output = '';
  private exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts `freshet up` with the given extra flags and waits until the dashboard URL is printed. */
  static async start(
    dataDir: string,
    args: string[] = [],
    timeoutMs = 60_000,
    env: Record<string, string> = {},
  ): Promise<PlatformProcess & { url: string }> {
    const child = spawn(
      process.execPath,
      [FRESHET_BIN, 'up', '--data-dir', dataDir, '--port', '0', ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, FRESHET_DEBUG: '1', ...env },
      },
    );
    const p = new PlatformProcess(child, dataDir);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /dashboard\s+(http:\/\/\S+?)\/\s/.exec(p.output);
      if (m) return Object.assign(p, { url: m[1]! });
      if (child.exitCode !== null)
        throw new Error(`freshet up exited early (${child.exitCode}):\n${p.output}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`freshet up did not start within ${timeoutMs} ms:\n${p.output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  get log(): string {
    return this.output;
  }

  /** Ctrl-C: waits for the clean stop and returns the exit code. */
  async interrupt(timeoutMs = 120_000): Promise<number | null> {
    this.child.kill('SIGINT');
    return this.wait(timeoutMs);
  }

  /** kill -9: no chance to save anything. */
  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async wait(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`freshet did not exit within ${timeoutMs} ms:\n${this.output}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** GETs JSON from the running platform. */
export async function getJson<T = unknown>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** Polls until `check` returns a value (not undefined), or fails with the last value seen. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
