// Who may push where. Tokens are compared through their SHA-256 digests with timingSafeEqual,
// so neither the token's content nor its length leaks through response times.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpSourceConfig } from './options.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export type AuthVerdict =
  { ok: true; source: HttpSourceConfig } | { ok: false; status: 401 | 403; reason: string };

export class Authenticator {
  private readonly sources = new Map<string, { source: HttpSourceConfig; digest: Buffer }>();

  constructor(sources: HttpSourceConfig[]) {
    for (const source of sources) {
      this.sources.set(source.name, { source, digest: digest(source.token) });
    }
  }

  /** 401 for an unknown source or a missing / wrong token; 403 for a topic outside its scope. */
  check(sourceName: string, topic: string, authorization: string | undefined): AuthVerdict {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const entry = this.sources.get(sourceName);
    // The digest comparison runs even for an unknown source, so timing does not tell which
    // source names exist.
    const given = digest(match?.[1] ?? '');
    const expected = entry?.digest ?? digest('\u0000no source\u0000');
    const tokenOk = timingSafeEqual(given, expected) && match !== null;
    if (!entry || !tokenOk) {
      return {
        ok: false,
        status: 401,
        reason: match
          ? `the token is not valid for source ${JSON.stringify(sourceName)}; send that source's token as "Authorization: Bearer <token>"`
          : 'no bearer token; send the source\'s token as "Authorization: Bearer <token>"',
      };
    }
    if (!inScope(entry.source.topics, topic)) {
      return {
        ok: false,
        status: 403,
        reason: `source ${JSON.stringify(sourceName)} may not write topic ${JSON.stringify(topic)}; its topics are ${entry.source.topics.join(', ')}`,
      };
    }
    return { ok: true, source: entry.source };
  }
}

export function inScope(patterns: string[], topic: string): boolean {
  return patterns.some((p) =>
    p.endsWith('*') ? topic.startsWith(p.slice(0, -1)) && topic.length >= p.length : p === topic,
  );
}
