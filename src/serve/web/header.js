// The top bar, on every page: platform health and the live feed's status.
//
// /api/health is polled every 2 s on its own rather than carried by the stream, so the header
// can say "unreachable" or "degraded" even when no model run arrives to tell it anything.

import { getJson } from './api.js';
import { noteServerTime } from './clock.js';
import { $, setText } from './dom.js';
import { firstLine, formatDuration, formatInt, toNum } from './format.js';
import { STALE_AFTER_SECONDS, state } from './state.js';

const HEALTH_EVERY_MS = 2000;

const HEALTH_PILL = {
  ok: 'pill-ok',
  starting: 'pill-pending',
  degraded: 'pill-bad',
  stopping: 'pill-warn',
  unreachable: 'pill-bad',
};

function renderHealth(health, failure) {
  const status = failure ? 'unreachable' : String(health.status ?? 'unknown');
  const pill = $('platform-status');
  setText(pill, status);
  pill.className = `pill ${HEALTH_PILL[status] ?? 'pill-warn'}`;
  const alert = $('platform-alert');
  alert.classList.toggle('alert-bad', Boolean(failure));
  if (failure) {
    setText($('events-per-second'), '—');
    setText($('gold-freshness'), '—');
    setText(alert, `Cannot reach the platform (${failure}); the numbers below may be out of date.`);
    alert.hidden = false;
    return;
  }
  const eps = toNum(health.events_per_second);
  setText($('events-per-second'), eps === null ? '—' : eps.toFixed(1));
  const gold = toNum(health.gold_freshness_seconds);
  const goldEl = $('gold-freshness');
  setText(goldEl, gold === null ? '—' : gold < 60 ? `${gold.toFixed(1)} s` : formatDuration(gold));
  goldEl.classList.toggle('bad', gold !== null && gold > STALE_AFTER_SECONDS);
  const errors = toNum(health.errors) ?? 0;
  const errorsEl = $('errors');
  setText(errorsEl, formatInt(errors));
  errorsEl.classList.toggle('bad', errors > 0);
  errorsEl.title = health.last_error ? `Last error: ${health.last_error}` : '';
  const lastError = firstLine(health.last_error);
  const message =
    status === 'degraded'
      ? `Platform degraded${lastError ? `: ${lastError}` : ''}`
      : status === 'starting'
        ? 'The platform is starting; stores appear after the first model run.'
        : status === 'stopping'
          ? 'The platform is stopping.'
          : '';
  setText(alert, message);
  alert.title = status === 'degraded' && health.last_error ? String(health.last_error) : '';
  alert.classList.toggle('alert-bad', status === 'degraded');
  alert.hidden = message === '';
}

/** Fetches /api/health, draws it, and schedules the next poll whatever happened. */
export async function pollHealth() {
  try {
    const res = await getJson('/api/health');
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    state.health = res.body;
    noteServerTime(res.body.time);
    renderHealth(res.body, null);
  } catch (err) {
    state.health = null;
    renderHealth(null, err instanceof Error ? err.message : String(err));
  } finally {
    setTimeout(pollHealth, HEALTH_EVERY_MS);
  }
}

/** The "Live feed" indicator: how the summaries arrive and how old the last one is. */
export function renderFeed() {
  const el = $('stream-status');
  const age = state.storesReceivedAt ? (Date.now() - state.storesReceivedAt) / 1000 : null;
  const text =
    state.stream === 'live'
      ? age === null
        ? 'live'
        : `live · ${formatDuration(age)} ago`
      : state.stream === 'polling'
        ? 'polling'
        : state.stream === 'reconnecting'
          ? 'reconnecting…'
          : 'connecting…';
  setText(el, text);
  el.className = `feed feed-${state.stream === 'live' ? 'live' : state.stream === 'polling' ? 'warn' : 'pending'}`;
  el.title = state.run === null ? '' : `model run ${state.run}`;
}
