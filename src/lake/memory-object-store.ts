import { promises as fs } from 'node:fs';
import { assertValidKey, type ObjectInfo, type ObjectStore } from './object-store.js';

/**
 * An object store in process memory: for tests of the protocol logic, and a model of a remote
 * store (it has no local paths, so everything that reads files must go through `get`).
 */
export class MemoryObjectStore implements ObjectStore {
  readonly description = 'in-memory store';
  private readonly objects = new Map<string, { data: Buffer; lastModified: number }>();

  async get(key: string): Promise<Buffer | null> {
    assertValidKey(key);
    const obj = this.objects.get(key);
    return obj ? Buffer.from(obj.data) : null;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    const obj = this.objects.get(key);
    return obj ? { size: obj.data.length, lastModified: obj.lastModified } : null;
  }

  async putIfAbsent(key: string, data: Buffer): Promise<boolean> {
    assertValidKey(key);
    // Check and set run without an await in between, so they are atomic on the event loop.
    if (this.objects.has(key)) return false;
    this.objects.set(key, { data: Buffer.from(data), lastModified: Date.now() });
    return true;
  }

  async put(key: string, data: Buffer): Promise<void> {
    assertValidKey(key);
    this.objects.set(key, { data: Buffer.from(data), lastModified: Date.now() });
  }

  async putFile(key: string, localPath: string): Promise<void> {
    assertValidKey(key);
    const data = await fs.readFile(localPath);
    this.objects.set(key, { data, lastModified: Date.now() });
    await fs.rm(localPath, { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    this.objects.delete(key);
  }

  localPath(_key: string): null {
    return null;
  }

  url(key: string): string {
    return `memory:///${key}`;
  }
}
