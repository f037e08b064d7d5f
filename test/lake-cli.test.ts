import { execFile, spawn } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRESHET_BIN, PlatformProcess, waitFor } from './helpers/platform-process.js';

const run = promisify(execFile);
const LAKE_INDEX = fileURLToPath(new URL('../dist/lake/index.js', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function freshet(args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [FRESHET_BIN, ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function ok(args: string[]): Promise<string> {
  const r = await freshet(args);
  if (r.code !== 0) throw new Error(`freshet ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

/** One clear sentence on stderr, no stack trace. */
function expectOneClearError(r: Result, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

interface Listed {
  table: string;
  version: number;
  files: number;
  rows: number | null;
  size: number;
}

async function list(dataDir: string): Promise<Map<string, Listed>> {
  const out = await ok(['lake', 'list', '--data-dir', dataDir, '--format', 'json']);
  return new Map((JSON.parse(out) as Listed[]).map((t) => [t.table, t]));
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'freshet-lake-cli-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('freshet lake --help', () => {
  it('lists every subcommand and describes their options', async () => {
    const help = await ok(['lake', '--help']);
    for (const cmd of ['list', 'show', 'history', 'read', 'compact', 'vacuum', 'check'])
      expect(help).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    expect(await ok(['--help'])).toMatch(/^\s+lake\b/m);
    const read = await ok(['lake', 'read', '--help']);
    for (const flag of ['--version <n>', '--limit <n>', '--data-dir <dir>'])
      expect(read).toContain(flag);
    expect(read).toMatch(/--format <format>.*choices: "table", "ndjson", "json"/s);
    const vacuum = await ok(['lake', 'vacuum', '--help']);
    for (const flag of ['--retention-hours <h>', '--dry-run', '--force'])
      expect(vacuum).toContain(flag);
    expect(await ok(['lake', 'compact', '--help'])).toMatch(/--all[\s\S]*--target-size <MiB>/);
    expect(await ok(['lake', 'history', '--help'])).toContain('--limit <n>');
    expect(await ok(['--version'])).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('freshet lake on a running platform, then stopped', () => {
  it('reads while the platform writes, compacts and vacuums safely, loses nothing, and cleans up after a kill -9', async () => {
    const dataDir = join(root, 'data');
    const p = await PlatformProcess.start(dataDir, [
      '--stores',
      '6',
      '--skus',
      '40',
      '--rate',
      '400',
      '--seed',
      '11',
    ]);
    try {
      // Bronze commits every 250 ms: wait for many small files.
      await waitFor('bronze small files', async () => {
        const t = (await list(dataDir)).get('bronze.pos_transactions');
        return t && t.files >= 20 ? t : undefined;
      });

      // Read-only commands while it writes.
      const tables = await list(dataDir);
      expect([...tables.keys()]).toEqual(
        expect.arrayContaining([
          'bronze.pos_transactions',
          'silver.pos_lines',
          'gold.inventory_realtime',
        ]),
      );
      const show = await ok(['lake', 'show', 'bronze.pos_transactions', '--data-dir', dataDir]);
      expect(show).toMatch(/^version\s+\d+ \(/m);
      expect(show).toMatch(/^protocol\s+reader 1, writer 2/m);
      expect(show).toMatch(/_ingested_at\s+│ timestamp/);
      const shown = JSON.parse(
        await ok(['lake', 'show', 'gold.inventory_realtime', '--json', '--data-dir', dataDir]),
      ) as { schema: { name: string }[]; partitionColumns: string[] };
      expect(shown.schema.map((c) => c.name)).toContain('store_id');
      const history = await ok([
        'lake',
        'history',
        'bronze.pos_transactions',
        '--limit',
        '3',
        '--data-dir',
        dataDir,
      ]);
      expect(history).toMatch(/WRITE\s+│ mode=Append\s+│ \d+\s+│ true\s+│ Freshet\//);
      expect(history).toContain('(3 rows)');
      const rows = await ok([
        'lake',
        'read',
        'bronze.pos_transactions',
        '--version',
        '1',
        '--format',
        'ndjson',
        '--limit',
        '2',
        '--data-dir',
        dataDir,
      ]);
      expect(rows.trim().split('\n')).toHaveLength(2);
      expect(JSON.parse(rows.split('\n')[0]!)).toHaveProperty('event_id');

      // Compaction while bronze keeps appending: twice, so the second one races more appends.
      const compacted = await ok(['lake', 'compact', '--all', '--data-dir', dataDir]);
      expect(compacted).toMatch(/bronze\.pos_transactions\s+\d+ files → 1 /);
      await new Promise((r) => setTimeout(r, 1500));
      await ok(['lake', 'compact', 'bronze.pos_transactions', '--data-dir', dataDir]);
      expect(await ok(['lake', 'check', '--all', '--data-dir', dataDir])).not.toMatch(/problem/);
      const optimize = await ok([
        'lake',
        'history',
        'bronze.pos_transactions',
        '--limit',
        '0',
        '--format',
        'ndjson',
        '--data-dir',
        dataDir,
      ]);
      expect(optimize).toMatch(/"operation":"OPTIMIZE"/);

      // Vacuum: a dry run is fine; a retention that could take staged files is refused.
      const dry = await ok([
        'lake',
        'vacuum',
        'bronze.pos_transactions',
        '--dry-run',
        '--data-dir',
        dataDir,
      ]);
      expect(dry).toMatch(/would delete 0 file\(s\).*retention 168 h/);
      expectOneClearError(
        await freshet([
          'lake',
          'vacuum',
          'bronze.pos_transactions',
          '--retention-hours',
          '0',
          '--force',
          '--data-dir',
          dataDir,
        ]),
        /is writing to .*retention under 1 hour/,
      );
    } finally {
      expect(await p.interrupt()).toBe(0);
    }

    // Nothing the log accepted is missing from the lake, although compaction raced the writer.
    const verified = await freshet(['verify', '--data-dir', dataDir]);
    expect(verified.stdout).toContain('0 mismatches');
    expect(verified.code).toBe(0);

    // Stopped: a zero retention (forced) takes the files compaction replaced; the table still reads.
    const before = (await list(dataDir)).get('bronze.pos_transactions')!;
    expectOneClearError(
      await freshet([
        'lake',
        'vacuum',
        'bronze.pos_transactions',
        '--retention-hours',
        '0',
        '--data-dir',
        dataDir,
      ]),
      /shorter than the 168 hours of delta\.deletedFileRetentionDuration/,
    );
    const vacuumed = await ok([
      'lake',
      'vacuum',
      'bronze.pos_transactions',
      '--retention-hours',
      '0',
      '--force',
      '--data-dir',
      dataDir,
    ]);
    expect(vacuumed).toMatch(/\(.*, removed\)/);
    expect(vacuumed).toMatch(/deleted [1-9]\d* file\(s\)/);
    expect(await ok(['lake', 'check', 'bronze.pos_transactions', '--data-dir', dataDir])).toMatch(
      /: OK/,
    );
    const count = await ok([
      'lake',
      'read',
      'bronze.pos_transactions',
      '--limit',
      '0',
      '--format',
      'ndjson',
      '--data-dir',
      dataDir,
    ]);
    expect(count.trim().split('\n')).toHaveLength(before.rows!);
    // Time travel by timestamp: now is the latest version; before the first commit is an error.
    const asOfNow = await ok([
      'lake',
      'read',
      'bronze.pos_transactions',
      '--as-of',
      new Date().toISOString(),
      '--limit',
      '0',
      '--format',
      'ndjson',
      '--data-dir',
      dataDir,
    ]);
    expect(asOfNow.trim().split('\n')).toHaveLength(before.rows!);
    const tooEarly = await freshet([
      'lake',
      'read',
      'bronze.pos_transactions',
      '--as-of',
      '2000-01-01T00:00:00Z',
      '--data-dir',
      dataDir,
    ]);
    expect(tooEarly.code).not.toBe(0);
    expect(tooEarly.stderr).toMatch(/freshet: .*(before|earliest|first)/i);

    // kill -9 between writing a data file into the table and committing it.
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
        import { copyFile } from 'node:fs/promises';
        import { DeltaTable, LocalObjectStore } from ${JSON.stringify(LAKE_INDEX)};
        const table = await DeltaTable.open(new LocalObjectStore(process.argv[1]), 'bronze/pos_transactions');
        const [file] = (await table.snapshot()).files;
        const copy = process.argv[2];
        await copyFile(table.fileUri(file), copy);
        const staged = await table.stageDataFile(copy);
        process.stdout.write('staged ' + table.fileUri(staged) + '\\n');
        setInterval(() => {}, 1000); // about to commit… and killed
        `,
        join(dataDir, 'lake'),
        join(root, 'copy.parquet'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const orphan = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /staged (\S+)\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`the writer exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await access(orphan);

    // The table reads fine at its last version; the orphan is not part of it.
    expect(await ok(['lake', 'check', 'bronze.pos_transactions', '--data-dir', dataDir])).toMatch(
      /: OK/,
    );
    const after = (await list(dataDir)).get('bronze.pos_transactions')!;
    expect(after).toMatchObject({
      version: before.version + 2,
      rows: before.rows,
      files: before.files,
    });
    const dryOrphan = await ok([
      'lake',
      'vacuum',
      'bronze.pos_transactions',
      '--retention-hours',
      '0',
      '--force',
      '--dry-run',
      '--data-dir',
      dataDir,
    ]);
    expect(dryOrphan).toMatch(/would delete part-\S+ \(.*, orphan\)/);
    expect(dryOrphan).toContain('would delete 1 file(s)');
    await ok([
      'lake',
      'vacuum',
      'bronze.pos_transactions',
      '--retention-hours',
      '0',
      '--force',
      '--data-dir',
      dataDir,
    ]);
    await expect(access(orphan)).rejects.toThrow(/ENOENT/);
    expect(await ok(['lake', 'check', '--all', '--data-dir', dataDir])).not.toMatch(/problem/);
  });
});

describe('bad input gets one clear sentence', () => {
  it('names what is wrong and what to do', async () => {
    const missing = join(root, 'missing');
    expectOneClearError(
      await freshet(['lake', 'list', '--data-dir', missing]),
      /does not exist; run `freshet up/,
    );
    const dataDir = join(root, 'data');
    expectOneClearError(
      await freshet(['lake', 'show', 'pos_transactions', '--data-dir', dataDir]),
      /'pos_transactions' is not a table name: use <layer>\.<table>/,
    );
    expectOneClearError(
      await freshet(['lake', 'history', 'gold.nope', '--data-dir', dataDir]),
      /there is no table gold\.nope in .*`freshet lake list` shows the tables/,
    );
    expectOneClearError(
      await freshet(['lake', 'read', 'silver.stores', '--version', 'x', '--data-dir', dataDir]),
      /--version must be an integer >= 0, got 'x'/,
    );
    expectOneClearError(
      await freshet([
        'lake',
        'read',
        'silver.stores',
        '--version',
        '999999',
        '--data-dir',
        dataDir,
      ]),
      /Version 999999 of table 'silver\/stores' cannot be read/,
    );
    expectOneClearError(
      await freshet(['lake', 'compact', '--data-dir', dataDir]),
      /name a table to compact, or pass --all/,
    );
  });
});
