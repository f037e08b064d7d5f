import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { LocalObjectStore } from './local-object-store.js';
import { MemoryObjectStore } from './memory-object-store.js';
import type { ObjectStore } from './object-store.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'freshet-store-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** The same contract for every store. */
const stores: [string, () => ObjectStore][] = [
  ['LocalObjectStore', () => new LocalObjectStore(dir)],
  ['MemoryObjectStore', () => new MemoryObjectStore()],
];

describe.each(stores)('%s', (_name, makeStore) => {
  it('gets null for a missing key and the bytes for a present one', async () => {
    const store = makeStore();
    expect(await store.get('a/b.json')).toBeNull();
    await store.put('a/b.json', Buffer.from('x'));
    expect((await store.get('a/b.json'))?.toString()).toBe('x');
  });

  it('lets exactly one of many racing putIfAbsent calls win', async () => {
    const store = makeStore();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.putIfAbsent('t/_delta_log/1.json', Buffer.from(`w${i}`)),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect((await store.get('t/_delta_log/1.json'))?.toString()).toBe(`w${winner}`);
  });

  it('overwrites with put', async () => {
    const store = makeStore();
    await store.put('k', Buffer.from('1'));
    await store.put('k', Buffer.from('2'));
    expect((await store.get('k'))?.toString()).toBe('2');
  });

  it('lists recursively, sorted, by string prefix', async () => {
    const store = makeStore();
    for (const key of ['b/2', 'a/x/1', 'a/1', 'ab/1', 'a/x/0'])
      await store.put(key, Buffer.from(key));
    expect(await store.list('a/')).toEqual(['a/1', 'a/x/0', 'a/x/1']);
    expect(await store.list('a')).toEqual(['a/1', 'a/x/0', 'a/x/1', 'ab/1']);
    expect(await store.list('')).toEqual(['a/1', 'a/x/0', 'a/x/1', 'ab/1', 'b/2']);
    expect(await store.list('nothing/')).toEqual([]);
  });

  it('moves a local file in with putFile', async () => {
    const store = makeStore();
    const src = path.join(dir, 'incoming.bin');
    await fs.writeFile(src, 'data');
    await store.putFile('t/part-0.parquet', src);
    expect((await store.get('t/part-0.parquet'))?.toString()).toBe('data');
    await expect(fs.access(src)).rejects.toThrow();
  });

  it('deletes, and does not mind a missing key', async () => {
    const store = makeStore();
    await store.put('k', Buffer.from('1'));
    await store.delete('k');
    await store.delete('k');
    expect(await store.get('k')).toBeNull();
  });

  it('refuses keys that could escape the store', async () => {
    const store = makeStore();
    await expect(store.get('../etc/passwd')).rejects.toThrow(InvalidArgumentError);
    await expect(store.put('/abs', Buffer.from(''))).rejects.toThrow(InvalidArgumentError);
    await expect(store.put('a//b', Buffer.from(''))).rejects.toThrow(InvalidArgumentError);
  });
});

describe('LocalObjectStore specifics', () => {
  it('hides its in-flight temporary files from list', async () => {
    const store = new LocalObjectStore(dir);
    await store.put('t/_delta_log/00000000000000000000.json', Buffer.from('{}'));
    await fs.writeFile(
      path.join(dir, 't/_delta_log/.00000000000000000001.json.1234.freshet-tmp'),
      '{"add":',
    );
    expect(await store.list('t/')).toEqual(['t/_delta_log/00000000000000000000.json']);
  });

  it('leaves no temporary file behind after putIfAbsent, won or lost', async () => {
    const store = new LocalObjectStore(dir);
    await store.putIfAbsent('x/k', Buffer.from('1'));
    await store.putIfAbsent('x/k', Buffer.from('2'));
    expect(await fs.readdir(path.join(dir, 'x'))).toEqual(['k']);
  });

  it('maps keys to paths under its root', () => {
    const store = new LocalObjectStore(dir);
    expect(store.localPath('a/b c/d.parquet')).toBe(path.join(dir, 'a', 'b c', 'd.parquet'));
    expect(store.description).toBe(`local folder ${dir}`);
  });
});
