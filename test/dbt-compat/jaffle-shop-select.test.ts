// Node selection on dbt's jaffle shop: `freshet models ls` lists exactly the nodes `dbt ls` lists
// (dbt's default `selector` output, one node a line, compared as sorted lines) for graph
// operators, methods, unions, intersections, --exclude, --resource-type and --output. dbt runs
// every selection in one Python process (test/peers/dbt_ls.py), freshet once per selection.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JAFFLE_SHOP,
  checkPeers,
  describeStep,
  makeProject,
  runTool,
  tempRoot,
} from './helpers.js';

const peers = checkPeers('dbt-compat/jaffle-shop-select.test.ts', { jaffleShop: true });

const DBT_LS = fileURLToPath(new URL('../peers/dbt_ls.py', import.meta.url));

interface Listed {
  args: string[];
  success: boolean;
  nodes: string[];
  error: string | null;
}

/** `dbt ls -q <args>` for every selection, in one process run from the project folder. */
function dbtLs(project: string, selections: string[][]): Promise<Listed[]> {
  const out = join(project, 'ls.json');
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [DBT_LS, '.', '.', out, JSON.stringify(selections)], {
      cwd: project,
      env: { ...process.env, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`dbt_ls.py exited ${code}: ${stderr}`));
      readFile(out, 'utf8').then((t) => resolve(JSON.parse(t) as Listed[]), reject);
    });
  });
}

const SELECTIONS: string[][] = [
  ['-s', '+customers'],
  ['-s', 'stg_orders+'],
  ['-s', '1+customers'],
  ['-s', '@stg_payments'],
  ['-s', 'customers', 'orders'],
  // eager indirect selection: the tests of orders, including the relationships test to customers
  ['-s', 'orders'],
  ['-s', 'path:models/staging'],
  // a folder of the fqn, by name and with a wildcard
  ['-s', 'staging'],
  ['-s', 'jaffle_shop.staging.*'],
  ['-s', 'resource_type:model,staging'],
  ['-s', 'config.materialized:view'],
  ['-s', 'stg_orders+,config.materialized:table'],
  ['-s', 'test_name:relationships'],
  ['-s', 'resource_type:seed'],
  ['-s', '+orders', '--exclude', 'resource_type:test'],
  ['--exclude', 'staging'],
  ['--resource-type', 'model'],
  ['-s', '+customers', '--output', 'name'],
  ['--resource-type', 'seed', '--output', 'path'],
];

const lines = (out: string) =>
  out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();

describe.skipIf(peers.skip)('jaffle shop: freshet models ls selects what dbt ls selects', () => {
  let cleanup: (() => Promise<void>) | undefined;
  let dir: { dbt: string; freshet: string };
  let dbt: Promise<Listed[]>;

  beforeAll(async () => {
    peers.assertPresent();
    const t = await tempRoot('jaffle-select');
    cleanup = t.cleanup;
    dir = {
      dbt: await makeProject(JAFFLE_SHOP, join(t.root, 'dbt')),
      freshet: await makeProject(JAFFLE_SHOP, join(t.root, 'freshet')),
    };
    dbt = dbtLs(dir.dbt, SELECTIONS);
    dbt.catch(() => {});
  });
  afterAll(async () => {
    await Promise.allSettled([dbt]);
    await cleanup?.();
  });

  it.each(SELECTIONS.map((args, i) => [args.join(' '), i] as const))('ls %s', async (_name, i) => {
    const args = SELECTIONS[i]!;
    const d = (await dbt)[i]!;
    expect(d.success, `dbt ls ${args.join(' ')}: ${d.error}`).toBe(true);
    const f = await runTool('freshet', dir.freshet, ['ls', '-q', ...args], {
      defaultProfiles: true,
    });
    expect(f.code, describeStep(f)).toBe(0);
    // --output path: dbt prints paths relative to the project folder
    expect(lines(f.stdout)).toEqual([...d.nodes].sort());
  });
});
