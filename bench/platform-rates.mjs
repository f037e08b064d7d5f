// Throughput and freshness of the whole platform at several simulator rates.
//
//   npm run build && npm run bench:platform [-- --seconds 30 --rates 100,1000,5000,20000 --stores 800]
//
// For each rate it runs the platform in this process on a fresh data dir (embedded log, Delta
// lake, model loop; no HTTP), samples every 500 ms how old gold is (seconds since the newest
// event reflected in gold was accepted), then stops cleanly and prints one row per rate.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConfig } from '../dist/config/index.js';
import { Platform } from '../dist/pipeline/index.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    rates: { type: 'string', default: '100,1000,5000,20000' },
    stores: { type: 'string', default: '800' },
    skus: { type: 'string', default: '3000' },
  },
});
const seconds = Number(values.seconds);
const rates = values.rates.split(',').map(Number);

const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const rows = [];
for (const rate of rates) {
  const dir = await mkdtemp(join(tmpdir(), 'freshet-bench-'));
  const config = defaultConfig();
  config.dataDir = join(dir, 'data');
  config.simulator = {
    ...config.simulator,
    rate,
    stores: Number(values.stores),
    skus: Number(values.skus),
  };
  const platform = await Platform.open(config);
  await platform.start();
  const freshness = [];
  const runMs = [];
  const started = performance.now();
  // Warm-up: the first seconds carry the master-data burst and the first full builds.
  await new Promise((r) => setTimeout(r, 3000));
  const acceptedAt0 = platform.status().eventsAccepted;
  const t0 = performance.now();
  while (performance.now() - started < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 500));
    const s = platform.status();
    if (s.goldFreshnessSeconds !== null) freshness.push(s.goldFreshnessSeconds);
    if (platform.models.state.lastRunMs !== null) runMs.push(platform.models.state.lastRunMs);
  }
  const accepted = platform.status().eventsAccepted - acceptedAt0;
  const elapsed = (performance.now() - t0) / 1000;
  const bronzeRows = platform.bronze.reduce((n, w) => n + w.state.rows, 0);
  const stopStarted = performance.now();
  await platform.stop();
  rows.push({
    'target ev/s': rate,
    'accepted ev/s': Math.round(accepted / elapsed),
    'bronze rows': bronzeRows,
    'gold fresh p50 s': pct(freshness, 50).toFixed(2),
    'gold fresh p95 s': pct(freshness, 95).toFixed(2),
    'gold fresh max s': Math.max(...freshness).toFixed(2),
    'model run p50 ms': Math.round(pct(runMs, 50)),
    'model run p95 ms': Math.round(pct(runMs, 95)),
    'stop s': ((performance.now() - stopStarted) / 1000).toFixed(1),
    errors: platform.status().errors,
  });
  await rm(dir, { recursive: true, force: true });
  process.stderr.write(`rate ${rate}: done\n`);
}
console.log(
  `platform, ${values.stores} stores, ${values.skus} SKUs, ${seconds} s per rate (2 cores)`,
);
console.table(rows);
