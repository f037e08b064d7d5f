import { Command } from 'commander';
import { defaultConfig, type SourceConfig } from '../config/index.js';
import { prepareDataDir, sourceLag, type SourceLag } from '../pipeline/index.js';
import type { SourceStatus } from '../sources/index.js';
import { configFileFor } from './config-flags.js';
import { formatResult } from './format.js';
import { readRunInfo } from './run-file.js';

type Status = SourceStatus & Record<string, unknown>;

/**
 * `freshet sources`: each source with its state, position, lag and last error. Asks the running
 * platform; when none runs, lists what the configuration declares. No secret is ever shown.
 */
export function sourcesCommand(defaultDataDir: string): Command {
  return new Command('sources')
    .description(
      "List the platform's sources (the simulator and those freshet.yaml declares) with their state, events accepted and rejected, position, lag and last error. Asks the running platform on --data-dir; when none runs, lists the configured sources as stopped.",
    )
    .option('--data-dir <dir>', 'the data dir `freshet up` used', defaultDataDir)
    .option(
      '--config <file>',
      'the freshet.yaml `freshet up` used (default: ./freshet.yaml when there is one)',
    )
    .option('--json', 'print the list as JSON')
    .action(async (o, cmd: Command) => {
      const file = await configFileFor(o.config, { readSecrets: false });
      const configured: SourceConfig[] = file?.sources ?? [];
      // --data-dir typed here wins; else the file's data_dir; else the default.
      const wanted =
        cmd.getOptionValueSource('dataDir') !== 'cli' && file
          ? file.apply(defaultConfig()).dataDir
          : (o.dataDir as string);
      const dataDir = await prepareDataDir(wanted, { create: false }).catch(() => null);
      const running = dataDir ? await readRunInfo(dataDir) : null;
      let live: Status[] = [];
      if (running) {
        const res = await fetch(`${running.url}/api/sources`);
        if (!res.ok) throw new Error(`the platform at ${running.url} answered ${res.status}`);
        live = ((await res.json()) as { sources: Status[] }).sources;
      }
      const names = [...new Set([...live.map((s) => s.name), ...configured.map((s) => s.name)])];
      const rows = names.map((name) => {
        const s = live.find((x) => x.name === name);
        const c = configured.find((x) => x.name === name);
        return {
          name,
          type: c?.type ?? (name === 'simulator' ? 'simulator' : null),
          state: s?.state ?? (running ? 'not started' : 'stopped'),
          accepted: s?.eventsAccepted ?? null,
          rejected: s?.eventsRejected ?? null,
          position: s?.position ?? null,
          lag: s ? lagText(sourceLag(s)) : null,
          last_error: s?.lastError ?? null,
        };
      });
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify({ running: Boolean(running), sources: rows }, null, 2)}\n`,
        );
        return;
      }
      if (!running)
        process.stdout.write(
          `no platform is running on ${dataDir ?? wanted}; the configured sources:\n`,
        );
      const columns = [
        'name',
        'type',
        'state',
        'accepted',
        'rejected',
        'position',
        'lag',
        'last_error',
      ];
      process.stdout.write(
        formatResult(
          { columns: columns.map((name) => ({ name, type: 'VARCHAR' })), rows },
          'table',
        ),
      );
    });
}

function lagText(lag: SourceLag | null): string | null {
  return lag ? `${lag.value} ${lag.unit}` : null;
}
