// The Freshet dashboard: the chain overview (/) and one store's inventory (/stores/S0001).
//
// Plain browser JavaScript, no build step, no framework, nothing from the network but this
// server's own API and these modules (the page's Content-Security-Policy allows only its own
// origin). Data arrives three ways: /api/health polled every 2 s for the header, the /api/stream
// Server-Sent Events (one `stores` message per model run) for every store's summary, and
// /api/stores/{id}/inventory fetched for the store page.
//
// This file only wires the parts together; each module says what it is for:
//   api.js       JSON fetches and the live feed of store summaries (SSE, polling when quiet)
//   header.js    the top bar: platform health and the live feed's status
//   router.js    pages without reloads (pushState, back button)
//   overview.js  the chain overview, with chain-totals.js and store-rows.js
//   store-page.js  one store, with store-header.js, store-activity.js, stockout-risk.js and
//                  inventory-rows.js; pos-silence.js marks a store whose tills went quiet
//   state.js     what the page knows (summaries, health) and freshness derived from it
//   table.js     sortable tables redrawn in place
//   dom.js, format.js, clock.js   elements as text only, Indian number formats, server time

import { startLiveFeed } from './api.js';
import { $ } from './dom.js';
import { pollHealth, renderFeed } from './header.js';
import { mountOverview } from './overview.js';
import { startRouter } from './router.js';
import { mountStore } from './store-page.js';

const STORE_PATH = /^\/stores\/([^/]+)\/?$/;
const root = $('app');

const router = startRouter((path, navigate) => {
  const m = STORE_PATH.exec(path);
  return m ? mountStore(root, decodeURIComponent(m[1])) : mountOverview(root, navigate);
});
const feed = startLiveFeed({
  onStores: () => router.view()?.onStores?.(),
  onStatus: renderFeed,
});
void pollHealth();

// Once a second: ages ("12 s ago") move, and a quiet stream falls back to polling.
setInterval(() => {
  router.view()?.tick?.();
  renderFeed();
  void feed.pollIfQuiet();
}, 1000);
