import type { FreshetConfig } from '../config/index.js';
import { Platform } from '../pipeline/index.js';
import { startServer } from '../serve/index.js';
import { removeRunInfo, writeRunInfo } from './run-file.js';

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 });

/** `freshet up`: open the data dir, start every stage and the server, show a live status line. */
export async function up(
  config: FreshetConfig,
  opts: { quiet: boolean; configFile?: string | undefined },
): Promise<void> {
  const out = process.stdout;
  const say = (line: string) => {
    if (!opts.quiet) out.write(line + '\n');
  };
  say(`Freshet — starting on ${config.dataDir}`);
  if (opts.configFile) say(`  configuration from ${opts.configFile}`);
  const platform = await Platform.open(config, { onProgress: (m) => say(`  ${m}`) });
  let server;
  try {
    server = await startServer(platform, {
      ...config.serve,
      ...(platform.ingest ? { ingest: platform.ingest.routes } : {}),
    });
  } catch (err) {
    await platform.stop();
    throw err;
  }
  await writeRunInfo(platform.dataDir, {
    pid: process.pid,
    url: server.url,
    startedAt: new Date().toISOString(),
  });
  platform.on((e) => {
    if (e.type === 'error') process.stderr.write(`\n[${e.stage}] ${e.message}\n`);
  });
  await platform.start();
  const sim = config.simulator;
  say(`  data dir   ${platform.dataDir}`);
  say(`  dashboard  ${server.url}/`);
  say(`  api        ${server.url}/api/health   ${server.url}/api/stores`);
  say(`  metrics    ${server.url}/metrics`);
  say(
    `  sql        freshet sql "SELECT * FROM gold.store_status LIMIT 5" --data-dir ${config.dataDir}`,
  );
  if (sim.enabled && sim.replay) {
    const r = sim.replay;
    const speed =
      r.speed === 'max' ? `as fast as ${fmt(sim.rate)} events/s allow` : `${r.speed}× real time`;
    say(
      `  simulator  ${sim.stores} stores, ${sim.skus} SKUs, seed ${sim.seed}: replaying ${r.days} day${r.days === 1 ? '' : 's'} from ${r.date} 00:00 IST (${r.profile}) at ${speed}`,
    );
  } else if (sim.enabled)
    say(
      `  simulator  ${sim.stores} stores, ${sim.skus} SKUs, ${fmt(sim.rate)} events/s, seed ${sim.seed}`,
    );
  if (sim.enabled && (sim.faults.silentStores ?? 0) > 0)
    say(`  faults     ${sim.faults.silentStores} store(s) go silent; see gold.store_health`);
  for (const source of config.sources) {
    const where =
      source.type === 'http' ? `  push to ${server.url}/ingest/${source.name}/<topic>` : '';
    say(`  source     ${source.name} (${source.type})${where}`);
  }
  say('Press Ctrl-C to stop.');

  const tty = out.isTTY && !opts.quiet;
  const statusLine = () => {
    const s = platform.status();
    const fresh = s.goldFreshnessSeconds === null ? '—' : `${fmt(s.goldFreshnessSeconds)} s`;
    return `events/s ${fmt(s.eventsPerSecond)} · accepted ${fmt(s.eventsAccepted)} · gold freshness ${fresh} · errors ${s.errors}`;
  };
  const ticker = setInterval(
    () => {
      if (tty) out.write(`\r\x1b[2K${statusLine()}`);
      else if (!opts.quiet) out.write(statusLine() + '\n');
    },
    tty ? 1000 : 10_000,
  );

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        process.stderr.write(
          `\nsecond ${signal}: exiting now; the next start resumes from the last commit\n`,
        );
        process.exit(130);
      }
      stopping = true;
      clearInterval(ticker);
      say(
        `\n${signal}: stopping — saving positions, committing bronze, publishing silver and gold…`,
      );
      void (async () => {
        await server.close();
        await platform.stop();
        await removeRunInfo(platform.dataDir);
        say(`stopped cleanly; ${statusLine()}`);
        resolve();
      })().catch((err) => {
        process.stderr.write(
          `freshet: stopping failed: ${err instanceof Error ? err.message : String(err)}\n`,
        );
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
