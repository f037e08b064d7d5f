// Whether a store's tills have gone quiet while it should be trading (gold.store_health).
//
// Not the same thing as a stale store (state.js: nothing accepted for two minutes of wall-clock
// time): silence is judged on the chain's own clock — the latest POS event anywhere in the chain —
// so a store whose other systems still send counts and shipments, but whose tills rang nothing
// for an hour while it is open, is flagged too, and a closed store never is.

import { h, setText } from './dom.js';
import { formatInt, toNum } from './format.js';

/** "POS silent for 75 min" for a silent store, "POS silent: no bill yet" if it never sold; else null. */
export function posSilenceText(store) {
  if (!store?.is_silent) return null;
  const gap = toNum(store.pos_gap_minutes);
  return gap === null
    ? 'POS silent: no bill yet'
    : `POS silent for ${formatInt(Math.floor(gap))} min`;
}

/** A badge element, hidden until `renderPosSilence` finds the store silent. */
export function posSilenceBadge(testid) {
  return h('span', { class: 'pos-silent', 'data-testid': testid, hidden: true }, '');
}

/** Shows or hides the badge for this store summary, with what silence means in its tooltip. */
export function renderPosSilence(badge, store) {
  const text = posSilenceText(store);
  badge.hidden = text === null;
  setText(badge, text ?? '');
  badge.title = text
    ? `Open at the chain's latest POS event and no bill from this store for more than ${formatInt(store.silent_after_minutes)} min before it`
    : '';
}
