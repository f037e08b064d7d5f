import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MARKER_FILE, prepareDataDir } from './data-dir.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'freshet-datadir-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('prepareDataDir', () => {
  it('creates a new folder with its marker, and accepts it afterwards', async () => {
    const dir = join(root, 'a', 'b');
    await prepareDataDir(dir, { create: true });
    expect(JSON.parse(await readFile(join(dir, MARKER_FILE), 'utf8'))).toMatchObject({
      format: 'freshet-data-dir',
      version: 1,
    });
    await expect(prepareDataDir(dir, { create: false })).resolves.toBe(dir);
  });

  it('takes an empty folder, refuses a folder with someone else’s files, and a file', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty);
    await expect(prepareDataDir(empty, { create: true })).resolves.toBe(empty);
    const foreign = join(root, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'notes.txt'), 'x');
    await expect(prepareDataDir(foreign, { create: true })).rejects.toThrow(
      /is not a Freshet data dir/,
    );
    await writeFile(join(root, 'file'), 'x');
    await expect(prepareDataDir(join(root, 'file'), { create: true })).rejects.toThrow(
      /is a file, not a folder/,
    );
  });

  it('refuses a missing folder when it must exist, a damaged marker and a newer format', async () => {
    await expect(prepareDataDir(join(root, 'nope'), { create: false })).rejects.toThrow(
      /does not exist; run `freshet up/,
    );
    const damaged = join(root, 'damaged');
    await mkdir(damaged);
    await writeFile(join(damaged, MARKER_FILE), '{not json');
    await expect(prepareDataDir(damaged, { create: false })).rejects.toThrow(/is damaged/);
    const newer = join(root, 'newer');
    await mkdir(newer);
    await writeFile(
      join(newer, MARKER_FILE),
      JSON.stringify({ format: 'freshet-data-dir', version: 99 }),
    );
    await expect(prepareDataDir(newer, { create: false })).rejects.toThrow(/newer Freshet/);
  });
});
