// The chain overview (/): every store in one live table, with totals, filters and sorting.
//
// The page draws only from `state.stores`, which the live feed replaces on every model run; it
// fetches nothing itself. Rows are kept by store_id and updated in place, so a run that changes
// one store's numbers flashes those cells and leaves the rest of the table alone.

import { chainTotals } from './chain-totals.js';
import { h, setText } from './dom.js';
import { formatInt } from './format.js';
import { STORE_COLUMNS, makeStoreRow, updateStoreFreshness, updateStoreRow } from './store-rows.js';
import { isStale, noStoresYet, state, storeFreshness } from './state.js';
import { placeRows, sortBy, sortableHead } from './table.js';

/** Filter and sort of the overview; kept when the user opens a store and comes back. */
const overviewPrefs = { text: '', region: '', staleOnly: false, sort: { key: 'store_id', dir: 1 } };

/** Draws the overview into `root`; a click on a row opens that store through `navigate`. */
export function mountOverview(root, navigate) {
  document.title = 'Freshet — chain overview';
  const prefs = overviewPrefs;

  // Chain totals: a status or sales card sorts the stores by it, largest first.
  const totals = chainTotals((key) => {
    prefs.sort.key = key;
    prefs.sort.dir = -1;
    head.mark();
    render();
  });

  // Filters
  const search = h('input', {
    type: 'search',
    class: 'search',
    placeholder: 'Filter by store id, name or city',
    'aria-label': 'Filter stores by id, name or city',
    'data-testid': 'store-filter',
    value: prefs.text,
  });
  search.addEventListener('input', () => {
    prefs.text = search.value;
    render();
  });
  const region = h(
    'select',
    { 'aria-label': 'Region', 'data-testid': 'region-filter' },
    h('option', { value: '' }, 'All regions'),
  );
  region.addEventListener('change', () => {
    prefs.region = region.value;
    render();
  });
  const staleOnly = h('input', { type: 'checkbox', 'data-testid': 'stale-filter' });
  staleOnly.checked = prefs.staleOnly;
  staleOnly.addEventListener('change', () => {
    prefs.staleOnly = staleOnly.checked;
    render();
  });
  const shown = h('span', { class: 'shown', 'data-testid': 'store-count' }, '');
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    search,
    region,
    h('label', { class: 'check' }, staleOnly, ' Only stale stores'),
    shown,
  );

  // The table
  const head = sortableHead(STORE_COLUMNS, prefs.sort, () => {
    head.mark();
    render();
  });
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'grid stores', 'data-testid': 'store-table' },
    h('caption', { class: 'visually-hidden' }, 'Every store, live'),
    head.thead,
    tbody,
  );
  tbody.addEventListener('click', (e) => {
    if (e.target.closest('a')) return; // the link navigates by itself
    const tr = e.target.closest('tr[data-store]');
    if (tr) navigate(`/stores/${encodeURIComponent(tr.dataset.store)}`);
  });
  const emptyRow = h('tr', { class: 'empty' }, h('td', { colspan: STORE_COLUMNS.length }, ''));

  root.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, 'Chain overview'),
      h('p', { class: 'lede' }, 'Inventory status and sales of every store, seconds old.'),
    ),
    totals.element,
    toolbar,
    h('div', { class: 'table-wrap' }, table),
  );

  /** store_id → { tr, cells[], badge, store } */
  const rows = new Map();
  let placed = [];
  let regions = '';

  function matches(store) {
    if (prefs.region && store.region !== prefs.region) return false;
    if (prefs.staleOnly && !isStale(storeFreshness(store))) return false;
    const q = prefs.text.trim().toLowerCase();
    if (!q) return true;
    return [store.store_id, store.name, store.city].some((v) =>
      String(v ?? '')
        .toLowerCase()
        .includes(q),
    );
  }

  function renderRegions() {
    const list = [...new Set(state.stores.map((s) => String(s.region ?? '')))]
      .filter(Boolean)
      .sort();
    const key = list.join('|');
    if (key === regions) return;
    regions = key;
    region.replaceChildren(
      h('option', { value: '' }, 'All regions'),
      ...list.map((r) => h('option', { value: r }, r)),
    );
    region.value = list.includes(prefs.region) ? prefs.region : '';
  }

  function render(animate = false) {
    const seen = new Set();
    for (const store of state.stores) {
      const id = String(store.store_id);
      seen.add(id);
      let row = rows.get(id);
      if (!row) {
        row = makeStoreRow(id);
        rows.set(id, row);
        updateStoreRow(row, store, false);
      } else if (row.store !== store) updateStoreRow(row, store, animate);
    }
    for (const id of [...rows.keys()]) if (!seen.has(id)) rows.delete(id);

    const col = STORE_COLUMNS.find((c) => c.key === prefs.sort.key) ?? STORE_COLUMNS[0];
    const visible = sortBy(
      [...rows.values()].filter((r) => matches(r.store)),
      col,
      prefs.sort.dir,
      (r) => r.store,
      (r) => r.store.store_id,
    ).map((r) => r.tr);

    if (visible.length === 0) {
      setText(
        emptyRow.firstChild,
        state.stores.length === 0 ? noStoresYet() : 'No store matches the filter.',
      );
      placed = placeRows(tbody, [emptyRow], placed);
    } else placed = placeRows(tbody, visible, placed);

    setText(
      shown,
      visible.length === state.stores.length
        ? `${formatInt(state.stores.length)} stores`
        : `${formatInt(visible.length)} of ${formatInt(state.stores.length)} stores`,
    );
    totals.render();
    renderRegions();
  }

  render(false);
  return {
    onStores: () => render(true),
    tick: () => {
      for (const row of rows.values()) updateStoreFreshness(row);
      if (prefs.staleOnly || prefs.sort.key === 'freshness') render(false);
      else totals.render();
    },
  };
}
