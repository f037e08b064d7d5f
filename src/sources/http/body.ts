// Reads a request body with its size checked as it streams in: a body past the limit is refused
// after at most one chunk beyond it, never buffered whole first. The SHA-256 of the bytes is
// computed on the way, to tell a retry of the same request from a different one.

import { createHash } from 'node:crypto';

export type BodyResult =
  | { ok: true; bytes: Buffer; hash: string }
  | { ok: false; reason: 'too_large' | 'throttled' | 'aborted'; bytesRead: number };

export async function readBody(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  reserve: (bytes: number) => boolean,
): Promise<BodyResult> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let total = 0;
  if (body) {
    const reader = body.getReader();
    try {
      for (;;) {
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch {
          return { ok: false, reason: 'aborted', bytesRead: total };
        }
        if (next.done) break;
        const chunk = next.value;
        total += chunk.byteLength;
        if (total > limit) return { ok: false, reason: 'too_large', bytesRead: total };
        if (!reserve(chunk.byteLength)) return { ok: false, reason: 'throttled', bytesRead: total };
        hash.update(chunk);
        chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      }
    } finally {
      // A refused body is left unread: the server drains or drops it after the response (a
      // cancel here could tear the connection down before the response is written).
      reader.releaseLock();
    }
  }
  return { ok: true, bytes: Buffer.concat(chunks, total), hash: hash.digest('hex').slice(0, 32) };
}
