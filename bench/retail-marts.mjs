// What gold.store_health and gold.demand_forecast cost the model loop on a full-size chain.
//
//   npm run build && node bench/retail-marts.mjs [--seconds 120 --rate 5000 --stores 800 --skus 3000 --bucket 30]
//
// Runs the platform in this process (embedded log, Delta lake, model loop; no HTTP) on a fresh
// data dir with the live simulator, and records every model run's time per model. Both marts are
// tables rebuilt on every run from all of silver.pos_lines, so their cost grows with the POS
// history: the table prints them per 30 s of the run with the POS lines silver held by then,
// beside the whole run and the incremental inventory mart for scale.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConfig } from '../dist/config/index.js';
import { Platform } from '../dist/pipeline/index.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    rate: { type: 'string', default: '5000' },
    stores: { type: 'string', default: '800' },
    skus: { type: 'string', default: '3000' },
    bucket: { type: 'string', default: '30' },
  },
});
const seconds = Number(values.seconds);
const bucketMs = Number(values.bucket) * 1000;

const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const dir = await mkdtemp(join(tmpdir(), 'freshet-bench-marts-'));
const config = defaultConfig();
config.dataDir = join(dir, 'data');
config.simulator = {
  ...config.simulator,
  rate: Number(values.rate),
  stores: Number(values.stores),
  skus: Number(values.skus),
};
const platform = await Platform.open(config);
const runs = [];
let posLines = 0;
const started = performance.now();
platform.on((e) => {
  if (e.type !== 'run') return;
  const byName = Object.fromEntries(platform.models.state.results.map((r) => [r.name, r]));
  posLines += byName.pos_lines?.rows ?? 0;
  runs.push({
    at: performance.now() - started,
    run: platform.models.state.lastRunMs ?? NaN,
    health: byName.store_health?.ms ?? NaN,
    forecast: byName.demand_forecast?.ms ?? NaN,
    inventory: byName.inventory_realtime?.ms ?? NaN,
    posLines,
  });
});
await platform.start();
while (performance.now() - started < seconds * 1000) await new Promise((r) => setTimeout(r, 500));
const accepted = platform.status().eventsAccepted;
await platform.stop();
await rm(dir, { recursive: true, force: true });

const rows = [];
for (let from = 0; from < seconds * 1000; from += bucketMs) {
  const b = runs.filter((r) => r.at >= from && r.at < from + bucketMs);
  if (b.length === 0) continue;
  const ms = (key, p) =>
    Math.round(
      pct(
        b.map((r) => r[key]),
        p,
      ),
    );
  rows.push({
    seconds: `${from / 1000}–${(from + bucketMs) / 1000}`,
    runs: b.length,
    'pos_lines (end)': b.at(-1).posLines,
    'run p50 ms': ms('run', 50),
    'store_health p50 / max ms': `${ms('health', 50)} / ${ms('health', 100)}`,
    'demand_forecast p50 / max ms': `${ms('forecast', 50)} / ${ms('forecast', 100)}`,
    'inventory p50 ms': ms('inventory', 50),
  });
}
console.log(
  `${values.stores} stores, ${values.skus} SKUs, live simulator at ${values.rate} events/s for ${seconds} s: ${accepted} events accepted, ${runs.length} model runs (2 cores)`,
);
console.table(rows);
