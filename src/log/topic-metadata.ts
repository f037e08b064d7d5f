// The list of topics and their partition counts, kept in the log directory so a reopened log
// knows its topics without guessing from folders. It is written before a topic's folders are
// created: a crash in between leaves a known topic whose folders are made on the next open,
// never folders of a topic nobody remembers.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './durable-fs.js';
import { LogCorruptionError } from './errors.js';

/** Starts with a dot: topic names may not, so no topic folder can clash with it. */
export const TOPICS_FILE = '.freshet-topics.json';
const FORMAT = 1;

export type TopicTable = Map<string, { partitions: number }>;

interface TopicsFile {
  format: number;
  topics: Record<string, { partitions: number }>;
}

export async function loadTopics(dir: string): Promise<TopicTable> {
  const path = join(dir, TOPICS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  let parsed: TopicsFile;
  try {
    parsed = JSON.parse(text) as TopicsFile;
  } catch (err) {
    throw new LogCorruptionError(path, `not valid JSON (${(err as Error).message})`);
  }
  if (parsed?.format !== FORMAT || typeof parsed.topics !== 'object' || parsed.topics === null) {
    throw new LogCorruptionError(path, `unknown format ${JSON.stringify(parsed?.format)}`);
  }
  const table: TopicTable = new Map();
  for (const [name, info] of Object.entries(parsed.topics)) {
    if (!Number.isInteger(info?.partitions) || info.partitions < 1) {
      throw new LogCorruptionError(
        path,
        `topic ${JSON.stringify(name)} has no valid partition count`,
      );
    }
    table.set(name, { partitions: info.partitions });
  }
  return table;
}

export async function saveTopics(dir: string, table: TopicTable): Promise<void> {
  const file: TopicsFile = { format: FORMAT, topics: Object.fromEntries(table) };
  await writeFileAtomic(join(dir, TOPICS_FILE), JSON.stringify(file, null, 2) + '\n');
}
