// The Freshet dashboard: the chain overview (/) and one store's inventory (/stores/S0001).
//
// Plain browser JavaScript, no build step, no framework, nothing from the network but this
// server's own API. Data arrives three ways: /api/health polled every 2 s for the header, the
// /api/stream Server-Sent Events (one `stores` message per model run) for every store's summary,
// and /api/stores/{id}/inventory fetched for the store page.
//
// Strings from the API only ever reach the page as text nodes (textContent / append of a string),
// never as HTML, so nothing in the source data can inject markup or script.

const STALE_AFTER_SECONDS = 120;
const HEALTH_EVERY_MS = 2000;
const INVENTORY_EVERY_MS = 2000;
/** With no stream message for this long, poll /api/stores instead (a proxy may buffer SSE). */
const STREAM_QUIET_MS = 6000;
const STATUSES = ['OVERSOLD', 'LOW', 'OK', 'UNKNOWN'];
/** Problems first: what a manager acts on, then what nobody has counted, then the fine rows. */
const SEVERITY = { OVERSOLD: 0, LOW: 1, UNKNOWN: 2, OK: 3 };
const STATUS_LABEL = { OVERSOLD: 'Oversold', LOW: 'Low', OK: 'OK', UNKNOWN: 'Unknown' };

// ───────────────────────────── formatting ─────────────────────────────

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const toNum = (v) => (v === null || v === undefined || v === '' ? null : Number(v));

/** "1234567" → "12,34,567": the last three digits, then groups of two (Indian numbering). */
function groupIndian(digits) {
  if (digits.length <= 3) return digits;
  let rest = digits.slice(0, -3);
  const groups = [];
  while (rest.length > 2) {
    groups.unshift(rest.slice(-2));
    rest = rest.slice(0, -2);
  }
  if (rest) groups.unshift(rest);
  return `${groups.join(',')},${digits.slice(-3)}`;
}

/** An integer with Indian digit grouping and a real minus sign; "—" when there is none. */
function formatInt(value) {
  const n = toNum(value);
  if (n === null || !Number.isFinite(n)) return '—';
  const r = Math.round(n);
  return `${r < 0 ? '−' : ''}${groupIndian(String(Math.abs(r)))}`;
}

/** Paise → whole rupees the Indian way: 123456789 → "₹12,34,568". */
function formatRupees(paise) {
  const n = toNum(paise);
  if (n === null || !Number.isFinite(n)) return '—';
  const rupees = Math.round(n / 100);
  return `${rupees < 0 ? '−' : ''}₹${groupIndian(String(Math.abs(rupees)))}`;
}

/** A movement with its sign: "+12", "−3", "0". */
function formatSigned(value) {
  const n = toNum(value);
  if (n === null || !Number.isFinite(n)) return '—';
  return n > 0 ? `+${formatInt(n)}` : formatInt(n);
}

/** A duration for people: "8 s", "5 min", "2 h 10 min", "3 d". */
function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) {
    const m = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ''}`;
  }
  return `${Math.floor(s / 86400)} d`;
}

const ago = (seconds) => (seconds === null ? '—' : `${formatDuration(seconds)} ago`);

const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');
const IST_OFFSET_MS = 330 * 60_000;
const pad2 = (n) => String(n).padStart(2, '0');

/** An instant as the stores read a clock: IST, "21:03:05" today, "23 Nov 21:03" before. */
function formatIst(iso) {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '—';
  const d = new Date(t + IST_OFFSET_MS);
  const today = new Date(serverNow() + IST_OFFSET_MS);
  const time = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  const sameDay =
    d.getUTCFullYear() === today.getUTCFullYear() &&
    d.getUTCMonth() === today.getUTCMonth() &&
    d.getUTCDate() === today.getUTCDate();
  if (sameDay) return `${time}:${pad2(d.getUTCSeconds())}`;
  const year = d.getUTCFullYear() === today.getUTCFullYear() ? '' : ` ${d.getUTCFullYear()}`;
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}${year} ${time}`;
}

const fullIst = (iso) => {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '';
  return `${new Date(t + IST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')} IST`;
};

// ───────────────────────────── DOM helpers ─────────────────────────────

/** Creates an element; string children become text nodes (never parsed as HTML). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof window.Node ? child : String(child));
  }
  return el;
}

/** Sets text only when it changed (cheap redraws of 800 rows); true when it did. */
function setText(el, text) {
  if (el.textContent === text) return false;
  el.textContent = text;
  return true;
}

/** Briefly highlights a value that just changed, so live updates are visible. */
function flash(el) {
  if (el.classList.contains('flash')) return;
  el.classList.add('flash');
  el.addEventListener('animationend', () => el.classList.remove('flash'), { once: true });
}

const $ = (id) => document.getElementById(id);

// ───────────────────────────── shared state ─────────────────────────────

const state = {
  /** Last store summaries from the stream (or /api/stores), by store_id, in API order. */
  stores: [],
  storesById: new Map(),
  run: null,
  storesReceivedAt: 0,
  health: null,
  /** Server clock minus ours, so "12 s ago" is right even when the clocks differ. */
  skewMs: 0,
  stream: 'connecting',
};

const serverNow = () => Date.now() + state.skewMs;

function noteServerTime(iso) {
  const t = Date.parse(iso);
  if (Number.isFinite(t)) state.skewMs = t - Date.now();
}

const secondsSince = (iso) => {
  const t = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? Math.max(0, (serverNow() - t) / 1000) : null;
};

/** Seconds since the store last sent an accepted event, as of now (not as of the message). */
function storeFreshness(store) {
  const fromTimestamp = secondsSince(store.last_accepted_at);
  if (fromTimestamp !== null) return fromTimestamp;
  if (!isNum(store.freshness_seconds)) return null;
  return store.freshness_seconds + (Date.now() - state.storesReceivedAt) / 1000;
}

/** A store is shown as current only when it has sent something in the last two minutes. */
const isStale = (freshness) => freshness === null || freshness > STALE_AFTER_SECONDS;

function freshnessText(freshness) {
  if (freshness === null) return 'no events yet';
  return isStale(freshness) ? `silent for ${formatDuration(freshness)}` : formatDuration(freshness);
}

const count = (store, status) => toNum(store.status_counts?.[status]) ?? 0;

async function getJson(url) {
  const res = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  return { ok: res.ok, status: res.status, body };
}

// ───────────────────────────── header: platform health ─────────────────────────────

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

/** The first line of an error, cut to a readable length (the whole text goes in a tooltip). */
function firstLine(text, max = 220) {
  if (text === null || text === undefined || text === '') return '';
  const line = String(text).split('\n')[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Why there is no store to show yet, in words (the header has the details). */
function noStoresYet() {
  if (state.health?.status === 'degraded') {
    return 'No store data: the models have not run successfully yet (see above).';
  }
  return 'Waiting for the first model run…';
}

async function pollHealth() {
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

// ───────────────────────────── live store summaries ─────────────────────────────

function acceptStores(stores, run, at) {
  if (!Array.isArray(stores)) return;
  if (at) noteServerTime(at);
  state.stores = stores;
  state.storesById = new Map(stores.map((s) => [String(s.store_id), s]));
  state.run = run ?? state.run;
  state.storesReceivedAt = Date.now();
  view?.onStores?.();
  renderFeed();
}

function setStream(status) {
  state.stream = status;
  renderFeed();
}

function renderFeed() {
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

/** EventSource reconnects by itself after a network error; after an HTTP error it gives up, so we retry. */
function connectStream() {
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
    if (source.readyState === EventSource.CLOSED) setTimeout(connectStream, 3000);
  });
}

let polling = false;
async function pollStoresIfQuiet() {
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

// ───────────────────────────── sortable tables ─────────────────────────────

function compareValues(a, b) {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? 1 : -1; // missing values last, either direction
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

/** Sorts table rows by one column; missing values last in either direction, then by `tie`. */
function sortBy(items, col, dir, get, tie) {
  return items
    .map((item) => ({ item, v: col.value(get(item)) }))
    .sort((a, b) => {
      const missing = a.v === null || a.v === undefined || b.v === null || b.v === undefined;
      return (
        (missing ? 1 : dir) * compareValues(a.v, b.v) || compareValues(tie(a.item), tie(b.item))
      );
    })
    .map((x) => x.item);
}

/** Builds a <thead> whose headers sort on click; numbers sort largest first on the first click. */
function sortableHead(columns, sort, onSort) {
  const cells = columns.map((col) => {
    const button = h('button', { type: 'button', class: 'sort', 'data-sort': col.key }, col.label);
    button.addEventListener('click', () => {
      if (sort.key === col.key) sort.dir = -sort.dir;
      else {
        sort.key = col.key;
        sort.dir = col.num ? -1 : 1;
      }
      onSort();
    });
    return h('th', { class: col.num ? 'num' : '', scope: 'col', title: col.title }, button);
  });
  const thead = h('thead', null, h('tr', null, cells));
  const mark = () => {
    cells.forEach((th, i) => {
      const active = columns[i].key === sort.key;
      th.setAttribute('aria-sort', active ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    });
  };
  mark();
  return { thead, mark };
}

/** Moves rows into the wanted order, touching the DOM only when order or membership changed. */
function placeRows(tbody, wanted, current) {
  const same = wanted.length === current.length && wanted.every((tr, i) => tr === current[i]);
  if (!same) tbody.replaceChildren(...wanted);
  return wanted;
}

// ───────────────────────────── chain overview ─────────────────────────────

/** Filter and sort of the overview; kept when the user opens a store and comes back. */
const overviewPrefs = { text: '', region: '', staleOnly: false, sort: { key: 'store_id', dir: 1 } };

const STORE_COLUMNS = [
  { key: 'store_id', label: 'Store', value: (s) => s.store_id },
  { key: 'name', label: 'Name', value: (s) => s.name },
  { key: 'city', label: 'City', value: (s) => s.city },
  { key: 'region', label: 'Region', value: (s) => s.region },
  { key: 'format', label: 'Format', value: (s) => s.format },
  ...STATUSES.map((st) => ({
    key: st,
    label: STATUS_LABEL[st],
    num: true,
    status: st,
    value: (s) => count(s, st),
    text: (v) => formatInt(v),
  })),
  {
    key: 'net_sales_paise',
    label: 'Net sales',
    num: true,
    value: (s) => toNum(s.net_sales_paise),
    text: formatRupees,
  },
  {
    key: 'freshness',
    label: 'Freshness',
    num: true,
    title: 'Time since the store last sent an event the platform accepted',
    value: storeFreshness,
  },
];

function mountOverview(root) {
  document.title = 'Freshet — chain overview';
  const prefs = overviewPrefs;

  // Chain totals
  const totalCard = (key, label, cls, sortable = true) => {
    const value = h('span', { class: 'card-value', 'data-testid': `total-${key}` }, '—');
    const sub = h('span', { class: 'card-sub' }, '');
    const card = h(
      sortable ? 'button' : 'div',
      {
        type: sortable ? 'button' : null,
        class: `card ${cls}`,
        title: sortable ? `Sort stores by ${label.toLowerCase()}` : null,
      },
      h('span', { class: 'card-label' }, label),
      value,
      sub,
    );
    return { card, value, sub, key };
  };
  const cards = {
    stores: totalCard('stores', 'Stores', '', false),
    OVERSOLD: totalCard('OVERSOLD', 'Oversold SKUs', 'card-OVERSOLD'),
    LOW: totalCard('LOW', 'Low SKUs', 'card-LOW'),
    OK: totalCard('OK', 'OK SKUs', 'card-OK'),
    UNKNOWN: totalCard('UNKNOWN', 'Never counted', 'card-UNKNOWN'),
    sales: totalCard('sales', 'Net sales', ''),
  };
  for (const st of STATUSES) {
    cards[st].card.addEventListener('click', () => {
      prefs.sort.key = st;
      prefs.sort.dir = -1;
      head.mark();
      render();
    });
  }
  cards.sales.card.addEventListener('click', () => {
    prefs.sort.key = 'net_sales_paise';
    prefs.sort.dir = -1;
    head.mark();
    render();
  });
  const totals = h(
    'section',
    { class: 'totals', 'data-testid': 'chain-totals', 'aria-label': 'Chain totals' },
    Object.values(cards).map((c) => c.card),
  );

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
    totals,
    toolbar,
    h('div', { class: 'table-wrap' }, table),
  );

  /** store_id → { tr, cells[], store } */
  const rows = new Map();
  let placed = [];
  let regions = '';

  function makeRow(id) {
    const link = h('a', { href: `/stores/${encodeURIComponent(id)}`, 'data-nav': true }, id);
    const cells = STORE_COLUMNS.map((col, i) =>
      h(
        'td',
        {
          class: [col.num ? 'num' : '', col.status ? `count-${col.status}` : '', `col-${col.key}`]
            .join(' ')
            .trim(),
        },
        i === 0 ? link : '',
      ),
    );
    const badge = h('span', { class: 'fresh' }, '');
    cells[cells.length - 1].append(badge);
    const tr = h('tr', { 'data-testid': `store-row-${id}`, 'data-store': id }, cells);
    return { tr, cells, badge, store: null };
  }

  function updateRow(row, store, animate) {
    row.store = store;
    STORE_COLUMNS.forEach((col, i) => {
      if (i === 0 || col.key === 'freshness') return;
      const v = col.value(store);
      const text = col.text ? col.text(v) : v === null || v === undefined ? '—' : String(v);
      const td = row.cells[i];
      if (setText(td, text) && animate && col.num) flash(td);
      if (col.status) td.classList.toggle('zero', v === 0);
      if (col.key === 'name') td.title = text;
    });
    updateFreshness(row);
  }

  function updateFreshness(row) {
    const f = storeFreshness(row.store);
    const stale = isStale(f);
    setText(row.badge, freshnessText(f));
    if (row.tr.classList.contains('stale') !== stale) {
      row.tr.classList.toggle('stale', stale);
      row.badge.classList.toggle('fresh-stale', stale);
      row.tr.title = stale
        ? 'This store has not sent an event recently; its numbers are not current.'
        : '';
    }
  }

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

  function renderTotals() {
    const sum = { OVERSOLD: 0, LOW: 0, OK: 0, UNKNOWN: 0 };
    const storesWith = { OVERSOLD: 0, LOW: 0, OK: 0, UNKNOWN: 0 };
    let sales = 0;
    let bills = 0;
    let stale = 0;
    for (const s of state.stores) {
      for (const st of STATUSES) {
        const n = count(s, st);
        sum[st] += n;
        if (n > 0) storesWith[st] += 1;
      }
      sales += toNum(s.net_sales_paise) ?? 0;
      bills += toNum(s.bills) ?? 0;
      if (isStale(storeFreshness(s))) stale += 1;
    }
    // No flash here: with hundreds of stores selling, the totals change on every run.
    const set = (card, value, sub) => {
      setText(card.value, value);
      setText(card.sub, sub);
    };
    set(
      cards.stores,
      formatInt(state.stores.length),
      stale ? `${formatInt(stale)} stale` : state.stores.length ? 'all reporting' : 'none yet',
    );
    cards.stores.sub.classList.toggle('bad', stale > 0);
    for (const st of STATUSES) {
      set(cards[st], formatInt(sum[st]), `in ${formatInt(storesWith[st])} stores`);
    }
    set(cards.sales, formatRupees(sales), `${formatInt(bills)} bills`);
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
        row = makeRow(id);
        rows.set(id, row);
        updateRow(row, store, false);
      } else if (row.store !== store) updateRow(row, store, animate);
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
    renderTotals();
    renderRegions();
  }

  render(false);
  return {
    onStores: () => render(true),
    tick: () => {
      for (const row of rows.values()) updateFreshness(row);
      if (prefs.staleOnly || prefs.sort.key === 'freshness') render(false);
      else renderTotals();
    },
  };
}

// ───────────────────────────── store page ─────────────────────────────

const SKU_COLUMNS = [
  { key: 'sku', label: 'SKU', value: (r) => r.sku },
  { key: 'category', label: 'Category', value: (r) => r.category },
  { key: 'counted_qty', label: 'Counted', num: true, value: (r) => toNum(r.counted_qty) },
  {
    key: 'counted_at',
    label: 'Counted at (IST)',
    value: (r) => r.counted_at ?? null,
    text: formatIst,
    title: 'Time of the last stock count (IST)',
  },
  {
    key: 'net_movement',
    label: 'Net movement',
    num: true,
    value: (r) => toNum(r.net_movement),
    text: formatSigned,
    title: 'Sales, returns, receipts and fulfilled orders since the last count',
  },
  { key: 'projected_qty', label: 'Projected', num: true, value: (r) => toNum(r.projected_qty) },
  { key: 'reserved_qty', label: 'Reserved', num: true, value: (r) => toNum(r.reserved_qty) },
  { key: 'available_qty', label: 'Available', num: true, value: (r) => toNum(r.available_qty) },
  {
    key: 'status',
    label: 'Status',
    value: (r) => SEVERITY[r.status] ?? 9,
    title: 'Oversold first, then low, never counted, OK',
  },
  {
    key: 'last_accepted_at',
    label: 'Last updated',
    value: (r) => secondsSince(r.last_accepted_at),
    title: 'Time since the platform accepted the last event for this SKU',
  },
];

function mountStore(root, storeId) {
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

  const back = h('a', { href: '/', 'data-nav': true, class: 'back' }, '← All stores');

  // Header
  const title = h('h1', null, storeId);
  const meta = h('p', { class: 'lede' }, '');
  const freshness = h('span', { class: 'fresh', 'data-testid': 'store-freshness' }, '');
  const chips = Object.fromEntries(
    STATUSES.map((st) => [
      st,
      h('span', { class: 'card-value', 'data-testid': `store-count-${st}` }, '—'),
    ]),
  );
  const sales = h('span', { class: 'card-value', 'data-testid': 'store-sales' }, '—');
  const bills = h('span', { class: 'card-sub' }, '');
  const header = h(
    'section',
    { class: 'store-header', 'data-testid': 'store-header' },
    h('div', { class: 'page-head' }, back, title, meta, h('p', { class: 'lede' }, freshness)),
    h(
      'div',
      { class: 'totals' },
      STATUSES.map((st) =>
        h(
          'div',
          { class: `card card-${st}` },
          h('span', { class: 'card-label' }, STATUS_LABEL[st]),
          chips[st],
          h('span', { class: 'card-sub' }, 'SKUs'),
        ),
      ),
      h('div', { class: 'card' }, h('span', { class: 'card-label' }, 'Net sales'), sales, bills),
    ),
  );

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
    header,
    problem,
    h('div', { class: 'toolbar' }, segmented, search, shown),
    h('div', { class: 'table-wrap' }, table),
  );

  function renderHeader() {
    if (!summary) return;
    setText(title, String(summary.name ?? storeId));
    document.title = `Freshet — ${summary.name ?? storeId}`;
    setText(
      meta,
      [
        summary.store_id,
        summary.city,
        summary.region,
        summary.format,
        `${formatInt(summary.skus)} SKUs`,
      ]
        .filter((x) => x !== null && x !== undefined && x !== '')
        .join(' · '),
    );
    for (const st of STATUSES) setText(chips[st], formatInt(count(summary, st)));
    setText(sales, formatRupees(summary.net_sales_paise));
    setText(bills, `${formatInt(summary.bills)} bills`);
    renderFreshness();
  }

  function renderFreshness() {
    if (!summary) return;
    const f = storeFreshness(summary);
    const stale = isStale(f);
    setText(
      freshness,
      stale
        ? `⚠ ${freshnessText(f)}: the figures below are as of its last event`
        : `Last event ${formatDuration(f)} ago`,
    );
    freshness.classList.toggle('fresh-stale', stale);
    header.classList.toggle('stale', stale);
  }

  /** sku → { tr, cells[], badge, row } */
  const rows = new Map();
  let placed = [];

  function makeRow(sku) {
    const badge = h('span', { class: 'badge' }, '');
    const cells = SKU_COLUMNS.map((col) =>
      h(
        'td',
        { class: col.num ? 'num' : '', 'data-col': col.key },
        col.key === 'status' ? badge : '',
      ),
    );
    return { tr: h('tr', { 'data-testid': `sku-row-${sku}` }, cells), cells, badge, row: null };
  }

  function updateRow(r, row) {
    const animate = r.row !== null;
    r.row = row;
    SKU_COLUMNS.forEach((col, i) => {
      const td = r.cells[i];
      if (col.key === 'status') {
        const status = STATUSES.includes(row.status) ? row.status : 'UNKNOWN';
        if (setText(r.badge, status) && animate) flash(td);
        r.badge.className = `badge badge-${status}`;
        r.badge.dataset.status = status;
        return;
      }
      if (col.key === 'last_accepted_at') {
        td.title = fullIst(row.last_accepted_at);
        setText(td, ago(secondsSince(row.last_accepted_at)));
        return;
      }
      const v = col.value(row);
      const text = col.text
        ? col.text(v)
        : v === null || v === undefined
          ? '—'
          : col.num
            ? formatInt(v)
            : String(v);
      if (setText(td, text) && animate && col.num) flash(td);
      if (col.key === 'counted_at') td.title = fullIst(v);
      if (col.key === 'available_qty') td.classList.toggle('negative', v !== null && v < 0);
      if (col.key === 'net_movement') td.classList.toggle('muted', v === 0);
    });
    r.tr.title =
      row.status === 'UNKNOWN'
        ? 'Never counted: the platform does not know how many are on the shelf.'
        : `Low-stock threshold: ${formatInt(row.low_stock_threshold)}`;
  }

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
      if (!r) rows.set(sku, (r = makeRow(sku)));
      updateRow(r, row);
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
      loaded = true;
      loadedAccepted = summary.last_accepted_at;
      showProblem(null);
      renderHeader();
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

  renderHeader();
  render();
  void load();

  return {
    onStores: () => {
      const s = state.storesById.get(storeId);
      if (!s || notFound) return;
      summary = s;
      renderHeader();
      // A new event for this store: fetch its SKUs now rather than at the next 2 s tick.
      if (s.last_accepted_at !== loadedAccepted || failure) void load();
    },
    tick: () => {
      if (notFound) return;
      renderFreshness();
      for (const r of rows.values()) {
        const td = r.cells[r.cells.length - 1];
        setText(td, ago(secondsSince(r.row.last_accepted_at)));
      }
      if (Date.now() - lastLoad >= INVENTORY_EVERY_MS) void load();
    },
    unmount: () => {
      alive = false;
    },
  };
}

// ───────────────────────────── routing ─────────────────────────────

let view = null;

function route() {
  view?.unmount?.();
  const root = $('app');
  const m = /^\/stores\/([^/]+)\/?$/.exec(window.location.pathname);
  view = m ? mountStore(root, decodeURIComponent(m[1])) : mountOverview(root);
}

function navigate(path) {
  if (path !== window.location.pathname) window.history.pushState(null, '', path);
  route();
  window.scrollTo(0, 0);
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-nav]');
  if (
    !a ||
    e.defaultPrevented ||
    e.button !== 0 ||
    e.metaKey ||
    e.ctrlKey ||
    e.shiftKey ||
    e.altKey
  ) {
    return;
  }
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', route);

route();
connectStream();
void pollHealth();
setInterval(() => {
  view?.tick?.();
  renderFeed();
  void pollStoresIfQuiet();
}, 1000);
