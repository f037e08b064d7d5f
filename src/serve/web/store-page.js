// One store's page (/stores/S0001): its header, its day and trucks, its stockout risk and every
// SKU's inventory, kept current.
//
// The stream carries only store summaries, so the SKUs are fetched from
// /api/stores/{id}/inventory: at once when the summary says the store has a new event, and
// every 2 s otherwise. A 404 before the first model run means "no data yet", not "no such
// store", so the page asks whether any store is known before it says "not found".

import { getJson } from './api.js';
import { h, setText } from './dom.js';
import { formatInt } from './format.js';
import { SKU_COLUMNS, makeSkuRow, updateSkuAge, updateSkuRow } from './inventory-rows.js';
import { STATUSES, STATUS_LABEL, state } from './state.js';
import { storeActivity } from './store-activity.js';
import { storeHeader } from './store-header.js';
import { stockoutRisk } from './stockout-risk.js';
import { placeRows, sortBy, sortableHead } from './table.js';

const INVENTORY_EVERY_MS = 2000;

/** Draws store `storeId` into `root`; the returned view follows the feed until unmounted. */
export function mountStore(root, storeId) {
  document.title = `Freshet — store ${storeId}`;
  const prefs = { status: 'ALL', text: '', sort: { key: 'status', dir: 1 } };
  const base = `/api/stores/${encodeURIComponent(storeId)}`;
  let summary = state.storesById.get(storeId) ?? null;
  let inventory = [];
  let loaded = false;
  let inflight = false;
  let lastLoad = 0;
  let loadedAccepted;
  let failure = null;
  let notFound = null;
  let alive = true;

  const header = storeHeader(storeId);
  const activity = storeActivity(base);
  const risk = stockoutRisk(base);

  // Filters
  const filterButtons = ['ALL', ...STATUSES].map((st) =>
    h(
      'button',
      {
        type: 'button',
        class: `seg seg-${st}`,
        'data-status': st,
        'aria-pressed': String(prefs.status === st),
      },
      h('span', null, st === 'ALL' ? 'All' : STATUS_LABEL[st]),
      h('span', { class: 'seg-count' }, ''),
    ),
  );
  const segmented = h(
    'div',
    {
      class: 'segmented',
      role: 'group',
      'aria-label': 'Filter by status',
      'data-testid': 'status-filter',
    },
    filterButtons,
  );
  segmented.addEventListener('click', (e) => {
    const button = e.target.closest('button[data-status]');
    if (!button) return;
    prefs.status = button.dataset.status;
    for (const b of filterButtons) b.setAttribute('aria-pressed', String(b === button));
    render();
  });
  const search = h('input', {
    type: 'search',
    class: 'search',
    placeholder: 'Filter by SKU or category',
    'aria-label': 'Filter by SKU or category',
    'data-testid': 'sku-filter',
  });
  search.addEventListener('input', () => {
    prefs.text = search.value;
    render();
  });
  const shown = h('span', { class: 'shown', 'data-testid': 'sku-count' }, '');
  const problem = h('div', { class: 'alert', role: 'status', hidden: true }, '');

  // The table
  const head = sortableHead(SKU_COLUMNS, prefs.sort, () => {
    head.mark();
    render();
  });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'grid inventory', 'data-testid': 'inventory-table' },
    h('caption', { class: 'visually-hidden' }, `Inventory of store ${storeId}`),
    head.thead,
    tbody,
  );
  const emptyRow = h('tr', { class: 'empty' }, h('td', { colspan: SKU_COLUMNS.length }, ''));

  root.replaceChildren(
    header.element,
    problem,
    activity.element,
    risk.element,
    h('h2', { class: 'section-title' }, 'Inventory'),
    h('div', { class: 'toolbar' }, segmented, search, shown),
    h('div', { class: 'table-wrap' }, table),
  );

  /** sku → { tr, cells[], badge, row } */
  const rows = new Map();
  let placed = [];

  function matches(row) {
    if (prefs.status !== 'ALL' && row.status !== prefs.status) return false;
    const q = prefs.text.trim().toLowerCase();
    return !q || `${row.sku} ${row.category ?? ''}`.toLowerCase().includes(q);
  }

  function render() {
    if (notFound) return;
    const seen = new Set();
    for (const row of inventory) {
      const sku = String(row.sku);
      seen.add(sku);
      let r = rows.get(sku);
      if (!r) rows.set(sku, (r = makeSkuRow(sku)));
      updateSkuRow(r, row);
    }
    for (const sku of [...rows.keys()]) if (!seen.has(sku)) rows.delete(sku);

    const counts = { ALL: inventory.length, OVERSOLD: 0, LOW: 0, OK: 0, UNKNOWN: 0 };
    for (const row of inventory) if (row.status in counts) counts[row.status] += 1;
    for (const b of filterButtons) setText(b.lastChild, formatInt(counts[b.dataset.status]));

    const col = SKU_COLUMNS.find((c) => c.key === prefs.sort.key) ?? SKU_COLUMNS[0];
    const visible = sortBy(
      [...rows.values()].filter((r) => matches(r.row)),
      col,
      prefs.sort.dir,
      (r) => r.row,
      (r) => r.row.sku,
    ).map((r) => r.tr);
    if (visible.length === 0) {
      setText(
        emptyRow.firstChild,
        !loaded
          ? 'Loading inventory…'
          : inventory.length === 0
            ? 'No inventory rows for this store yet.'
            : 'No SKU matches the filter.',
      );
      placed = placeRows(tbody, [emptyRow], placed);
    } else placed = placeRows(tbody, visible, placed);
    setText(
      shown,
      visible.length === inventory.length
        ? `${formatInt(inventory.length)} SKUs`
        : `${formatInt(visible.length)} of ${formatInt(inventory.length)} SKUs`,
    );
  }

  function showNotFound(message) {
    notFound = message;
    document.title = 'Freshet — store not found';
    root.replaceChildren(
      h(
        'section',
        { class: 'not-found', 'data-testid': 'store-not-found' },
        h('h1', null, 'Store not found'),
        h('p', { class: 'error-message', 'data-testid': 'store-error' }, message),
        h('p', null, h('a', { href: '/', 'data-nav': true, class: 'back' }, '← All stores')),
      ),
    );
  }

  function showProblem(message) {
    failure = message;
    setText(problem, message ?? '');
    problem.hidden = !message;
  }

  async function load() {
    if (inflight || !alive || notFound) return;
    inflight = true;
    lastLoad = Date.now();
    try {
      const [s, inv] = await Promise.all([getJson(base), getJson(`${base}/inventory`)]);
      if (!alive) return;
      if (s.status === 404 || inv.status === 404) {
        // Before the first model run every store is unknown; that is not the store's fault.
        const known = state.stores.length
          ? state.stores
          : (await getJson('/api/stores').catch(() => null))?.body;
        if (!alive) return;
        if (Array.isArray(known) && known.length > 0) {
          showNotFound(String((s.body ?? inv.body)?.error ?? `store '${storeId}' does not exist`));
        } else {
          showProblem(
            `No store data yet; ${storeId} appears after the first successful model run.`,
          );
        }
        return;
      }
      if (!s.ok || !inv.ok || !Array.isArray(inv.body)) {
        throw new Error((inv.body ?? s.body)?.error ?? `HTTP ${inv.ok ? s.status : inv.status}`);
      }
      summary = s.body;
      inventory = inv.body;
      await Promise.all([activity.load(), risk.load()]);
      if (!alive) return;
      loaded = true;
      loadedAccepted = summary.last_accepted_at;
      showProblem(null);
      header.render(summary);
      render();
    } catch (err) {
      if (alive)
        showProblem(
          `Could not load this store (${err instanceof Error ? err.message : String(err)}); retrying.`,
        );
    } finally {
      inflight = false;
    }
  }

  header.render(summary);
  render();
  void load();

  return {
    onStores: () => {
      const s = state.storesById.get(storeId);
      if (!s || notFound) return;
      summary = s;
      header.render(summary);
      // A new event for this store: fetch its SKUs now rather than at the next 2 s tick.
      if (s.last_accepted_at !== loadedAccepted || failure) void load();
    },
    tick: () => {
      if (notFound) return;
      header.renderFreshness(summary);
      for (const r of rows.values()) updateSkuAge(r);
      if (Date.now() - lastLoad >= INVENTORY_EVERY_MS) void load();
    },
    unmount: () => {
      alive = false;
    },
  };
}
