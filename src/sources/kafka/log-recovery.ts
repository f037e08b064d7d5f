// Exactly once into the log across a crash. A batch is appended before its positions are saved,
// so a crash in between leaves records in the log that the checkpoint does not know of; read
// again, they would be appended a second time (with the same ids). To avoid that, each checkpoint
// also records where Freshet's log ended (per topic partition the source writes) once the batch was
// durable: anything appended after that checkpoint lies at or past those marks. On start, the
// source reads the log from the marks to the end and keeps the ids of its own records found there;
// when the replay meets them, they are skipped instead of appended.

import { UnknownPartitionError, UnknownTopicError, type Log } from '../../log/index.js';

/** Freshet topic → partition → the log's end offset when the checkpoint was saved. */
export type LogMarks = Record<string, Record<string, number>>;

/** The log's end offsets now, for `topics`. */
export async function logEnds(
  log: Log,
  topics: Iterable<string>,
  partitions: Map<string, number>,
): Promise<LogMarks> {
  const out: LogMarks = {};
  for (const topic of topics) {
    const n = partitions.get(topic) ?? 1;
    const ends: Record<string, number> = {};
    for (let p = 0; p < n; p++) ends[p] = await log.endOffset(topic, p);
    out[topic] = ends;
  }
  return out;
}

/**
 * Ids (`freshet.event-id`) of records past the marks whose id starts with `idPrefix`: records of
 * this source's cluster that reached the log after the last checkpoint.
 */
export async function idsPastMarks(
  log: Log,
  marks: LogMarks,
  idPrefix: string,
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const [topic, parts] of Object.entries(marks)) {
    for (const [p, mark] of Object.entries(parts)) {
      const partition = Number(p);
      let at = mark;
      let end: number;
      try {
        end = await log.endOffset(topic, partition);
      } catch (err) {
        if (err instanceof UnknownTopicError || err instanceof UnknownPartitionError) continue;
        throw err;
      }
      while (at < end) {
        const batch = await log.read(topic, partition, at, { maxRecords: 5000 });
        if (batch.length === 0) break;
        for (const r of batch) {
          const id = r.headers['freshet.event-id'];
          if (id?.startsWith(idPrefix)) found.add(id);
        }
        at = batch[batch.length - 1]!.offset + 1;
      }
    }
  }
  return found;
}
