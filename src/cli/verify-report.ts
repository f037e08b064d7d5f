import type { VerifyReport } from '../pipeline/index.js';

/** The verify report for people: a summary and the first mismatches. */
export function formatVerifyReport(report: VerifyReport, limit: number): string {
  const lines = [`${report.eventsInLog} accepted events in the log`];
  for (const m of report.marts) {
    lines.push(
      `${m.mart}: ${m.goldRows} rows in gold, ${m.oracleRows} from the oracle, ${m.mismatches} mismatches`,
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
    for (const m of report.mismatches.slice(0, limit)) {
      const key = Object.values(m.key).join(' ');
      lines.push(
        `  ${m.mart} ${key} ${m.column}: gold=${JSON.stringify(m.gold)} oracle=${JSON.stringify(m.oracle)}`,
      );
    }
    if (report.mismatches.length > limit)
      lines.push(`  … and ${report.mismatches.length - limit} more (--limit, --json)`);
  }
  return lines.join('\n') + '\n';
}
