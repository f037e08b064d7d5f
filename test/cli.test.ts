import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRESHET_BIN, PlatformProcess, getJson, waitFor } from './helpers/platform-process.js';

const run = promisify(execFile);

async function freshet(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [FRESHET_BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** One clear sentence on stderr, no stack trace. */
function expectOneClearError(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'freshet-cli-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('freshet --help', () => {
  it('lists every command', async () => {
    const r = await freshet(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['up', 'simulate', 'sql', 'verify', 'rebuild'])
      expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  it('describes every option of up, sql and verify', async () => {
    const up = await freshet(['up', '--help']);
    for (const flag of [
      '--data-dir',
      '--port',
      '--host',
      '--rate',
      '--stores',
      '--skus',
      '--seed',
      '--max-events',
      '--no-simulator',
      '--partitions',
      '--fsync',
      '--model-interval',
      '--bronze-interval',
      '--publish-interval',
      '--compact-interval',
      '--late-rate',
      '--duplicate-rate',
      '--malformed-rate',
      '--clock-skew',
      '--shuffle',
      '--adversity',
      '--lake',
      '--project',
      '--quiet',
    ]) {
      expect(up.stdout).toContain(flag);
    }
    expect(up.stdout).toContain('default: 8080');
    const sql = await freshet(['sql', '--help']);
    expect(sql.stdout).toMatch(/--format <format>.*choices: "table", "json", "ndjson"/s);
    const verify = await freshet(['verify', '--help']);
    expect(verify.stdout).toContain('--json');
  });
});

describe('bad input gets one clear sentence', () => {
  it('an unknown flag', async () => {
    expectOneClearError(await freshet(['up', '--bogus']), /unknown option '--bogus'/);
  });

  it('a flag value that is not a number, or out of range', async () => {
    expectOneClearError(
      await freshet(['up', '--rate', 'fast']),
      /--rate must be a number, got 'fast'/,
    );
    expectOneClearError(
      await freshet(['up', '--stores', '0', '--data-dir', join(root, 'never')]),
      /--stores must be an integer from 1 to 9999, got 0/,
    );
  });

  it('a replay that cannot be: a bad speed, date or profile, too many silent stores', async () => {
    const never = ['--data-dir', join(root, 'never')];
    expectOneClearError(
      await freshet(['simulate', '--speed', 'fast', ...never]),
      /--speed must be like 60x, 1x or max, got 'fast'/,
    );
    expectOneClearError(
      await freshet(['simulate', '--date', '2026-13-45', ...never]),
      /--date must be an IST day as YYYY-MM-DD, got 2026-13-45/,
    );
    expectOneClearError(
      await freshet(['simulate', '--profile', 'onam', ...never]),
      /argument 'onam' is invalid.*diwali/,
    );
    expectOneClearError(
      await freshet(['up', '--silent-stores', '900', '--stores', '10', ...never]),
      /--silent-stores must be an integer from 0 to the number of stores \(10\), got 900/,
    );
    const help = await freshet(['simulate', '--help']);
    for (const flag of ['--profile', '--date', '--days', '--speed', '--silent-stores', '--rate'])
      expect(help.stdout).toContain(flag);
  });

  it('a data dir that is not Freshet’s', async () => {
    const dir = join(root, 'someone-elses');
    await mkdir(dir);
    await writeFile(join(dir, 'thesis.docx'), 'important');
    expectOneClearError(
      await freshet(['up', '--data-dir', dir]),
      /is not a Freshet data dir .*pass --data-dir with a new or empty folder/,
    );
    expectOneClearError(
      await freshet(['sql', 'select 1', '--data-dir', join(root, 'missing')]),
      /does not exist; run `freshet up/,
    );
  });

  it('a port in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await freshet([
        'up',
        '--port',
        String(port),
        '--data-dir',
        join(root, 'port-test'),
        '--stores',
        '5',
        '--skus',
        '20',
      ]);
      expectOneClearError(
        r,
        new RegExp(
          `port ${port} on 127.0.0.1 is already in use; stop the program using it or pass --port`,
        ),
      );
    } finally {
      blocker.close();
    }
  });
});

describe('a running platform', () => {
  it('answers API lookups, refuses a second platform on its data dir, and serves read-only SQL', async () => {
    const dataDir = join(root, 'running');
    const p = await PlatformProcess.start(dataDir, [
      '--stores',
      '8',
      '--skus',
      '50',
      '--rate',
      '400',
      '--seed',
      '3',
    ]);
    try {
      const stores = await waitFor('stores', async () => {
        const s = await getJson<{ store_id: string }[]>(`${p.url}/api/stores`);
        return s.length === 8 ? s : undefined;
      });
      const rows = await waitFor('inventory of S0001', async () => {
        const r = await getJson<{ sku: string; status: string }[]>(
          `${p.url}/api/stores/S0001/inventory`,
        );
        return r.length > 0 ? r : undefined;
      });
      expect(stores[0]!.store_id).toBe('S0001');
      const one = await getJson<{ sku: string; store_id: string }>(
        `${p.url}/api/stores/S0001/inventory/${rows[0]!.sku}`,
      );
      expect(one).toMatchObject({ store_id: 'S0001', sku: rows[0]!.sku });
      expect(['UNKNOWN', 'OVERSOLD', 'LOW', 'OK']).toContain(rows[0]!.status);

      const noSku = await fetch(`${p.url}/api/stores/S0001/inventory/NOPE`);
      expect(noSku.status).toBe(404);
      expect(((await noSku.json()) as { error: string }).error).toMatch(
        /no inventory row for SKU 'NOPE'/,
      );
      const noStore = await fetch(`${p.url}/api/stores/S9999/inventory`);
      expect(noStore.status).toBe(404);
      expect(((await noStore.json()) as { error: string }).error).toMatch(
        /store 'S9999' does not exist/,
      );

      const metrics = await (await fetch(`${p.url}/metrics`)).text();
      expect(metrics).toMatch(/^freshet_events_accepted_total\{topic="pos.transactions"\} [1-9]/m);
      expect(metrics).toMatch(
        /^freshet_table_freshness_seconds\{table="gold.inventory_realtime"\}/m,
      );

      expectOneClearError(
        await freshet(['up', '--data-dir', dataDir, '--port', '0']),
        /nother Freshet process is using/,
      );

      const sql = await freshet([
        'sql',
        "select store_id, count(*) as n from gold.inventory_realtime where store_id = 'S0001' group by all",
        '--data-dir',
        dataDir,
        '--format',
        'json',
      ]);
      expect(sql.code).toBe(0);
      expect(JSON.parse(sql.stdout)).toEqual([{ store_id: 'S0001', n: expect.any(Number) }]);
      expectOneClearError(
        await freshet(['sql', 'drop table gold.inventory_realtime', '--data-dir', dataDir]),
        /only read-only queries/,
      );
    } finally {
      expect(await p.interrupt()).toBe(0);
    }
    // Stopped: the same queries read the lake directly.
    const table = await freshet([
      'sql',
      'select count(*) as n from gold.store_status',
      '--data-dir',
      dataDir,
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^n\s*\n─+\n8\s*\n\(1 row\)/);
    const nd = await freshet([
      'sql',
      'select store_id from silver.stores order by 1 limit 2',
      '--data-dir',
      dataDir,
      '--format',
      'ndjson',
    ]);
    expect(nd.stdout).toBe('{"store_id":"S0001"}\n{"store_id":"S0002"}\n');
    expectOneClearError(
      await freshet(['sql', 'select * from gold.no_such_table', '--data-dir', dataDir]),
      /no_such_table/,
    );

    // Invariant 1: silver and gold can be rebuilt from bronze, and still equal the oracle.
    const rebuilt = await freshet(['rebuild', '--data-dir', dataDir]);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/gold\.inventory_realtime\s+version \d+/);
    expect(rebuilt.stdout).toMatch(/rebuilt \d+ tables from bronze/);
    // A rebuild replaces each table (an overwrite commit), not an append of nothing new.
    const silverLog = join(dataDir, 'lake', 'silver', 'pos_lines', '_delta_log');
    const commits = (await readdir(silverLog)).filter((f) => f.endsWith('.json')).sort();
    const last = await readFile(join(silverLog, commits[commits.length - 1]!), 'utf8');
    expect(last).toContain('"freshet.mode":"full"');
    expect(last).toMatch(/"remove":/);
    const verified = await freshet(['verify', '--data-dir', dataDir]);
    expect(verified.stdout).toContain('0 mismatches');
    expect(verified.code).toBe(0);
  });
});
