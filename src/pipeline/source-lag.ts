import type { SourceStatus } from '../sources/index.js';

/** How far a source is behind its system, in the unit its connector can tell. */
export interface SourceLag {
  value: number;
  unit: 'bytes' | 'seconds' | 'records';
}

/**
 * A source's lag from its status: PostgreSQL reports the WAL its slot holds back (bytes),
 * MySQL how far behind the binlog head it reads (seconds), a Kafka source the records between its
 * positions and the partitions' ends. Sources that cannot know (a push endpoint) have none.
 */
export function sourceLag(status: SourceStatus): SourceLag | null {
  const s = status as SourceStatus & Record<string, unknown>;
  if (typeof s.slotLagBytes === 'number') return { value: s.slotLagBytes, unit: 'bytes' };
  if (typeof s.lagSeconds === 'number') return { value: s.lagSeconds, unit: 'seconds' };
  if (s.lag && typeof s.lag === 'object') {
    let total = 0;
    for (const partitions of Object.values(s.lag as Record<string, Record<string, number>>))
      for (const n of Object.values(partitions)) if (typeof n === 'number') total += n;
    return { value: total, unit: 'records' };
  }
  return null;
}

/** Lag above which a source is reported as an alert in /api/health (and should page). */
export const LAG_ALERT: Record<SourceLag['unit'], number> = {
  // A slot holding back 1 GiB of WAL: the database's disk fills if it goes on.
  bytes: 1024 ** 3,
  // Five minutes behind the binlog: far outside the two-minute freshness goal.
  seconds: 300,
  records: 1_000_000,
};

/** What is wrong with a source that someone should look at: failed, or too far behind. */
export function sourceAlert(status: SourceStatus): string | null {
  if (status.state === 'failed')
    return `${status.name} has failed: ${status.lastError ?? 'no error given'}`;
  const lag = sourceLag(status);
  if (lag && lag.value > LAG_ALERT[lag.unit])
    return `${status.name} is ${lag.value} ${lag.unit} behind its source (alert above ${LAG_ALERT[lag.unit]})`;
  return null;
}
