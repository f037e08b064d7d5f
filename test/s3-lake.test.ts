import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FRESHET_BIN,
  PlatformProcess,
  getJson,
  tempDataDir,
  waitFor,
} from './helpers/platform-process.js';
import { S3_CREDENTIALS, S3_ENDPOINT, s3ServerUp } from './helpers/s3-server.js';

/**
 * The whole platform with its lake on S3 (moto on loopback, started by `scripts/services start`),
 * configured the way a user would: `--lake s3://…` and the usual AWS environment variables.
 */
const AWS_ENV = {
  AWS_ENDPOINT_URL_S3: S3_ENDPOINT,
  AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
const run = promisify(execFile);

const serverUp = await s3ServerUp();
if (!serverUp && !process.env.CI) {
  console.warn(
    `\n*** SKIPPING the S3 lake test: no S3-compatible server at ${S3_ENDPOINT} (scripts/services start) ***\n`,
  );
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(dirname(d), { recursive: true, force: true });
});

async function freshet(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [FRESHET_BIN, ...args], {
      env: { ...process.env, ...AWS_ENV },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.skipIf(!serverUp && !process.env.CI)('freshet up with its lake on S3', () => {
  it('runs end to end, and gold read back from S3 equals the oracle', async () => {
    const bucket = `freshet-e2e-${Date.now()}`;
    const client = new S3Client({
      endpoint: S3_ENDPOINT,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3_CREDENTIALS,
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
    const lake = `s3://${bucket}/retail`;
    const dataDir = await tempDataDir();
    dirs.push(dataDir);
    const total = 6000;
    const args = [
      '--lake',
      lake,
      '--stores',
      '20',
      '--skus',
      '200',
      '--rate',
      '3000',
      '--seed',
      '21',
      '--max-events',
      String(total),
    ];
    const p = await PlatformProcess.start(dataDir, args, 60_000, AWS_ENV);
    await waitFor(
      'all events accepted and gold fresh',
      async () => {
        const h = await getJson<{ events_accepted: number; status: string }>(`${p.url}/api/health`);
        return h.events_accepted === total && h.status === 'ok' ? h : undefined;
      },
      90_000,
    );
    expect(await p.interrupt()).toBe(0);
    expect(existsSync(join(dataDir, 'lake'))).toBe(false); // nothing of the lake is local

    const list = await freshet(['lake', 'list', '--data-dir', dataDir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('gold.inventory_realtime');
    const verified = await freshet(['verify', '--data-dir', dataDir, '--json']);
    const report = JSON.parse(verified.stdout) as {
      mismatches: unknown[];
      eventsNotInLake: number;
      goldRows: number;
    };
    expect(report.eventsNotInLake).toBe(0);
    expect(report.mismatches.slice(0, 5)).toEqual([]);
    expect(report.goldRows).toBeGreaterThan(100);
    expect(verified.code).toBe(0);

    // The data dir remembers its lake; a different --lake for it is refused.
    const again = await freshet([
      'up',
      '--data-dir',
      dataDir,
      '--lake',
      `s3://${bucket}/other`,
      '--port',
      '0',
    ]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/keeps its lake at s3:\/\/.*\/retail; drop --lake to use it/);
  });
});
