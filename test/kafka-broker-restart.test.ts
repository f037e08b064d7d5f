import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PlatformProcess, getJson, tempDataDir, waitFor } from './helpers/platform-process.js';
import { bronzeEventCounts } from './helpers/bronze.js';

/**
 * `freshet up --log kafka://…` while its broker crashes (SIGKILL) and comes back mid-stream. The
 * broker is a private one (`scripts/services kafka-node`), so the shared broker that other tests
 * use at the same time is not disturbed. Appends and bronze's reads fail while it is down; the
 * platform reports that and retries, and in the end bronze holds every event exactly once
 * (transactional appends: one cut off by the crash is aborted, so its retry leaves no copy).
 */
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVICES = `${ROOT}scripts/services`;
const LIBS = `${ROOT}.tmp/peers/kafka/libs`;
const PORT = 19_392;
const CONTROLLER = 19_393;
const NODE = ['test-restart', String(PORT), String(CONTROLLER)];
const haveKafka = existsSync(LIBS) && readdirSync(LIBS).some((f) => f.startsWith('kafka_2.13-'));
if (!haveKafka && !process.env.CI) {
  console.warn(
    '\n*** SKIPPING the broker-restart test: no Kafka jars (scripts/services install) ***\n',
  );
}

const node = (action: string) =>
  run(SERVICES, ['kafka-node', action, ...NODE], { cwd: ROOT, timeout: 120_000 });

const dirs: string[] = [];
afterAll(async () => {
  await node('stop').catch(() => undefined);
  for (const d of dirs) await rm(dirname(d), { recursive: true, force: true });
});

interface Health {
  events_accepted: number;
  errors: number;
  last_error: string | null;
  source: { lastError: string | null };
}

describe.skipIf(!haveKafka && !process.env.CI)('a Kafka broker that restarts mid-stream', () => {
  it('pauses with the error shown, then goes on: every event in bronze exactly once', async () => {
    await node('start');
    const dataDir = await tempDataDir();
    dirs.push(dataDir);
    const total = 12_000;
    const p = await PlatformProcess.start(dataDir, [
      '--log',
      `kafka://127.0.0.1:${PORT}?transactionalId=freshet-restart`,
      '--partitions',
      '2',
      '--stores',
      '30',
      '--skus',
      '200',
      '--rate',
      '1500',
      '--max-events',
      String(total),
      '--publish-interval',
      '700',
    ]);
    await waitFor('events to flow', async () => {
      const h = await getJson<Health>(`${p.url}/api/health`);
      return h.events_accepted > 5000 ? h : undefined;
    });
    await node('crash');
    const down = await waitFor('the platform to report the broker gone', async () => {
      const h = await getJson<Health>(`${p.url}/api/health`);
      return h.errors > 0 && /Kafka/.test(`${h.last_error} ${h.source.lastError}`) ? h : undefined;
    });
    expect(down.events_accepted).toBeLessThan(total);
    await node('restart');
    await waitFor(
      'the stream to complete after the restart',
      async () => {
        const h = await getJson<Health>(`${p.url}/api/health`);
        return h.events_accepted >= total ? h : undefined;
      },
      120_000,
    );
    expect(await p.interrupt()).toBe(0);
    const counts = await bronzeEventCounts(dataDir);
    // Transactions: an append cut off by the crash was aborted, so its retry left no copy.
    expect(counts).toEqual({ n: total, ids: total });
  }, 300_000);
});
