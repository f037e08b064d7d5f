import { attachLake, Session, type QueryResult } from '../engine/index.js';
import { openLake, prepareDataDir } from '../pipeline/index.js';
import { formatResult, type OutputFormat } from './format.js';
import { readRunInfo } from './run-file.js';

export class SqlError extends Error {
  override name = 'SqlError';
}

/**
 * `freshet sql`: a read-only query over bronze, silver and gold. When a platform runs on the data
 * dir the query goes to it (its tables are seconds fresher than the lake); otherwise the lake's
 * Delta tables are opened directly.
 */
export async function sql(
  query: string,
  opts: { dataDir: string; format: OutputFormat },
): Promise<void> {
  const dataDir = await prepareDataDir(opts.dataDir, { create: false });
  const running = await readRunInfo(dataDir);
  let result: QueryResult;
  if (running) {
    const res = await fetch(`${running.url}/api/sql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sql: query }),
    }).catch(() => null);
    if (!res)
      throw new SqlError(
        `the platform at ${running.url} (pid ${running.pid}) did not answer; is it still starting?`,
      );
    const body = (await res.json()) as QueryResult & { error?: string };
    if (!res.ok) throw new SqlError(body.error ?? `query failed with HTTP ${res.status}`);
    result = body;
  } else {
    const session = await Session.open({ threads: 2 });
    try {
      await attachLake(session.connection, (await openLake(dataDir)).store);
      result = await session.connection.readOnlyQuery(query);
    } finally {
      session.close();
    }
  }
  process.stdout.write(formatResult(result, opts.format));
}
