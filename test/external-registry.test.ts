import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { PlatformProcess, getJson, tempDataDir, waitFor } from './helpers/platform-process.js';

// One Freshet serves its Confluent-compatible registry at /registry; a second one runs with
// --registry pointing at it: its simulator registers every topic's schema there and validates
// each event against it, and nothing is kept in its own data dir's registry.
describe('freshet up --registry <url> (an external Confluent-compatible registry)', () => {
  const dirs: string[] = [];
  const running: PlatformProcess[] = [];
  afterAll(async () => {
    for (const p of running) await p.interrupt().catch(() => undefined);
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('registers and validates against the other platform’s registry', async () => {
    const hostDir = await tempDataDir('freshet-registry-host-');
    const clientDir = await tempDataDir('freshet-registry-client-');
    dirs.push(hostDir, clientDir);
    const host = await PlatformProcess.start(hostDir, ['--no-simulator']);
    running.push(host);
    const registryUrl = `${host.url}/registry`;
    expect(await getJson<string[]>(`${registryUrl}/subjects`)).toEqual([]);

    const client = await PlatformProcess.start(clientDir, [
      '--registry',
      registryUrl,
      // The first ~3,800 events are the master data (stores, products); then the operations.
      '--max-events',
      '8000',
      '--rate',
      '5000',
    ]);
    running.push(client);
    const subjects = await waitFor('subjects in the host registry', async () => {
      const s = await getJson<string[]>(`${registryUrl}/subjects`);
      return s.includes('pos.transactions-value') ? s : undefined;
    });
    expect(subjects).toContain('inventory.counts-value');
    const latest = await getJson<{ id: number; schemaType?: string }>(
      `${registryUrl}/subjects/pos.transactions-value/versions/latest`,
    );
    expect(latest.id).toBeGreaterThan(0);
    expect(latest.schemaType).toBe('JSON');

    // The client accepted events validated against those schemas and built gold from them.
    await waitFor('events in the client’s gold', async () => {
      const res = await fetch(`${client.url}/api/sql`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sql: 'SELECT count(*)::INTEGER AS n FROM gold.inventory_realtime' }),
      });
      const body = (await res.json()) as { rows?: { n: number }[] };
      return (body.rows?.[0]?.n ?? 0) > 0 ? true : undefined;
    });
    // The client's own data dir keeps no registry: the external one is the only one.
    expect(await getJson<string[]>(`${client.url}/registry/subjects`)).toEqual(subjects);
    expect(await client.interrupt()).toBe(0);
    running.pop();
  }, 120_000);

  it('keeps validating against the schemas it has when the registry goes down, and quarantines nothing for it', async () => {
    const hostDir = await tempDataDir('freshet-registry-host-');
    const clientDir = await tempDataDir('freshet-registry-client-');
    dirs.push(hostDir, clientDir);
    const host = await PlatformProcess.start(hostDir, ['--no-simulator']);
    const client = await PlatformProcess.start(clientDir, [
      '--registry',
      `${host.url}/registry`,
      '--max-events',
      '20000',
      '--rate',
      '2000',
    ]);
    running.push(client);
    interface Health {
      events_accepted: number;
      events_rejected: number;
    }
    const before = await waitFor('operational events to flow', async () => {
      const h = await getJson<Health>(`${client.url}/api/health`);
      return h.events_accepted > 6000 ? h : undefined;
    });
    // The registry goes away mid-stream (kill -9: no goodbye).
    await host.kill9();
    const after = await waitFor(
      'the stream to go on without the registry',
      async () => {
        const h = await getJson<Health>(`${client.url}/api/health`);
        return h.events_accepted >= 20_000 ? h : undefined;
      },
      60_000,
    );
    expect(after.events_accepted).toBeGreaterThan(before.events_accepted);
    // Events were validated against the cached schemas, not sent to quarantine as invalid.
    expect(after.events_rejected).toBe(0);
    expect(await client.interrupt()).toBe(0);
    running.pop();
  }, 120_000);

  it('refuses a registry URL that is not one, in one sentence', async () => {
    const dir = await tempDataDir('freshet-registry-bad-');
    dirs.push(dir);
    await expect(
      PlatformProcess.start(dir, ['--registry', 'ftp://nowhere'], 20_000),
    ).rejects.toThrow(/--registry must be a Confluent-compatible registry's URL/);
  });
});
