import type { VerifyReport } from '../pipeline/index.js';

/** The verify report for people: a summary and the first mismatches. */
export function formatVerifyReport(report: VerifyReport, limit: number): string {
  const lines = [`${report.eventsInLog} accepted events in the log`];
  for (const m of report.marts) {
    const columns = Object.entries(m.byColumn ?? {})
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([column, n]) => `${column} ${n}`)
      .join(', ');
    lines.push(
      `${m.mart}: ${m.goldRows} rows in gold, ${m.oracleRows} from the oracle, ${m.mismatches} mismatches${columns ? ` (${columns})` : ''}`,
    );
  }
  const cs = report.caseStudy;
  if (cs) {
    lines.push(
      `beside (not counted): the case study's model (project/${cs.model}) on the same silver: ${cs.mismatches} of the oracle's ${cs.oracleRows} store-SKUs wrong — ${cs.missingRows} missing, ${cs.wrongQuantity} with the wrong quantity, ${cs.wrongStatus} with the wrong status`,
    );
  }
  if (report.eventsNotInLake > 0) {
    lines.push(
      `the lake is behind the log by ${report.eventsNotInLake} events: run \`freshet up\` until it catches up and stop it with Ctrl-C, then verify again`,
    );
  }
  if (report.mismatches.length === 0) {
    lines.push('0 mismatches');
  } else {
    lines.push(`${report.mismatches.length} mismatches:`);
    // Grouped by mart, then in key order (store, SKU, …), so one store's problems read together.
    const shown = [...report.mismatches]
      .sort(
        (a, b) =>
          a.mart.localeCompare(b.mart) ||
          Object.values(a.key).join('|').localeCompare(Object.values(b.key).join('|')) ||
          a.column.localeCompare(b.column),
      )
      .slice(0, limit);
    for (const m of shown) {
      const key = Object.entries(m.key)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      lines.push(
        `  ${m.mart} ${key} ${m.column}: gold=${JSON.stringify(m.gold)} oracle=${JSON.stringify(m.oracle)}`,
      );
    }
    if (report.mismatches.length > limit)
      lines.push(`  … and ${report.mismatches.length - limit} more (--limit, --json)`);
  }
  return lines.join('\n') + '\n';
}
