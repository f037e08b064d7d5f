// The durability promise tested for real: a child process appends and prints each offset the
// moment its append resolves; we kill -9 it mid-run, reopen the log and find every printed
// record with its content. (A process kill leaves the page cache intact, so this checks that
// acknowledgements follow writes and that recovery keeps them; torn writes from a machine
// crash are covered by embedded-log.recovery.test.ts.)

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedLog } from './embedded-log.js';

const here = dirname(fileURLToPath(import.meta.url));
let root: string;
let writerScript: string;

// Node 20 cannot run TypeScript, so the log's sources are transpiled to a temporary folder
// (imports already carry .js suffixes, so the output runs as is).
async function transpileLog(out: string): Promise<void> {
  for (const sub of ['', 'testing']) {
    await mkdir(join(out, sub), { recursive: true });
    for (const name of await readdir(join(here, sub))) {
      if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
      const source = await readFile(join(here, sub, name), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        fileName: name,
      });
      await writeFile(join(out, sub, name.replace(/\.ts$/, '.js')), outputText);
    }
  }
  await writeFile(join(out, 'package.json'), '{"type":"module"}\n');
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'freshet-crash-'));
  await transpileLog(join(root, 'code'));
  writerScript = join(root, 'code', 'testing', 'crash-writer.js');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Ack {
  partition: number;
  offset: number;
  seq: number;
}

/** Runs the writer until it has acknowledged `atLeast` records, then SIGKILLs it. */
function runAndKill(dir: string, atLeast: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writerScript, dir, 'crash'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let acks = 0;
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      acks += chunk.split('\n').length - 1;
      if (!killed && acks > atLeast) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') {
        reject(new Error(`writer exited on its own (signal ${signal}): ${err}`));
        return;
      }
      // A line cut by the kill was never fully printed; only complete lines count.
      const lines = out.slice(0, out.lastIndexOf('\n')).split('\n');
      resolve(
        lines
          .filter((l) => l !== 'ready')
          .map((l) => {
            const [partition, offset, seq] = l.split(' ').map(Number);
            return { partition: partition!, offset: offset!, seq: seq! };
          }),
      );
    });
  });
}

describe('crash durability', () => {
  it('keeps every acknowledged record after kill -9, three times over', async () => {
    const dir = join(root, 'log');
    // Each round's writer restarts its seq numbers but continues the offsets, so acks are
    // identified by partition and offset, and every round re-checks all earlier acks.
    const everything: Ack[] = [];
    for (let round = 0; round < 3; round++) {
      const acks = await runAndKill(dir, 3000);
      expect(acks.length).toBeGreaterThan(3000);
      everything.push(...acks);

      const log = await EmbeddedLog.open(dir);
      try {
        for (const ack of everything) {
          const [rec] = await log.read('crash', ack.partition, ack.offset, { maxRecords: 1 });
          expect(rec?.headers.seq, `offset ${ack.partition}/${ack.offset}`).toBe(String(ack.seq));
          expect(rec?.value.toString().startsWith(`value-${ack.seq}-`)).toBe(true);
        }
        // No gaps: every partition reads back contiguously to its end.
        for (let p = 0; p < 3; p++) {
          const end = await log.endOffset('crash', p);
          let next = 0;
          while (next < end) {
            const batch = await log.read('crash', p, next, { maxRecords: 5000 });
            batch.forEach((r, i) => expect(r.offset).toBe(next + i));
            next += batch.length;
          }
        }
      } finally {
        await log.close();
      }
    }
  }, 120_000);
});
