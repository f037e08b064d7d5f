// Talking to this server's API: JSON fetches and the live feed of store summaries.
//
// The feed is the /api/stream Server-Sent Events, one `stores` message per model run. When it
// has been quiet for a while the page polls /api/stores instead, because a proxy between the
// browser and the platform may buffer the stream and the numbers must still move.

import { noteServerTime } from './clock.js';
import { state } from './state.js';

/** With no stream message for this long, poll /api/stores instead (a proxy may buffer SSE). */
const STREAM_QUIET_MS = 6000;

/** GETs JSON; `body` is null when the answer is not JSON. Only a network failure throws. */
export async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  return { ok: res.ok, status: res.status, body };
}

/**
 * Starts the live feed, which keeps `state.stores` and `state.stream` current.
 * `onStores` runs after new summaries arrived; `onStatus` after the feed's status or age changed.
 * Call `pollIfQuiet` every second: it fetches /api/stores only when the stream has gone quiet.
 */
export function startLiveFeed({ onStores, onStatus }) {
  function acceptStores(stores, run, at) {
    if (!Array.isArray(stores)) return;
    if (at) noteServerTime(at);
    state.stores = stores;
    state.storesById = new Map(stores.map((s) => [String(s.store_id), s]));
    state.run = run ?? state.run;
    state.storesReceivedAt = Date.now();
    onStores();
    onStatus();
  }

  function setStream(status) {
    state.stream = status;
    onStatus();
  }

  /** EventSource reconnects by itself after a network error; after an HTTP error it gives up, so we retry. */
  function connect() {
    const source = new EventSource('/api/stream');
    source.addEventListener('open', () => setStream('live'));
    source.addEventListener('stores', (e) => {
      try {
        const msg = JSON.parse(e.data);
        setStream('live');
        acceptStores(msg.stores, msg.run, msg.at);
      } catch {
        // A malformed message is skipped; the next run sends a whole new picture.
      }
    });
    source.addEventListener('error', () => {
      setStream('reconnecting');
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
    });
  }

  let polling = false;
  async function pollIfQuiet() {
    if (polling || Date.now() - state.storesReceivedAt < STREAM_QUIET_MS) return;
    polling = true;
    try {
      const res = await getJson('/api/stores');
      if (res.ok && Array.isArray(res.body)) {
        if (state.stream !== 'live') setStream('polling');
        acceptStores(res.body, state.run, null);
      }
    } catch {
      // The header already says the platform is unreachable.
    } finally {
      polling = false;
    }
  }

  connect();
  return { pollIfQuiet };
}
