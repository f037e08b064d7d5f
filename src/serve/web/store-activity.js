// A store's day and its trucks: sales by IST hour (gold.sales_by_store_hour) and the shipments
// on their way (gold.shipments), from /api/stores/{id}/sales and /shipments. Text only: every
// value from the server goes in with textContent.

import { getJson } from './api.js';
import { h, setText } from './dom.js';
import { formatInt, formatIst, formatRupees, fullIst } from './format.js';

/** The tallest hour's bar, in px (the strip is 64 px with its padding). */
const BAR_PX = 52;

const card = (label, testid) => {
  const value = h('span', { class: 'card-value', 'data-testid': testid }, '—');
  return {
    el: h('div', { class: 'card' }, h('span', { class: 'card-label' }, label), value),
    value,
  };
};

/** The panel; `load()` fetches both endpoints, `element` goes on the page. */
export function storeActivity(base) {
  const title = h('h2', { class: 'section-title', 'data-testid': 'sales-title' }, 'Sales');
  const net = card('Net sales', 'sales-net');
  const bills = card('Bills', 'sales-bills');
  const units = card('Units sold', 'sales-units');
  const returned = card('Units returned', 'sales-returned');
  const bars = h('div', { class: 'hour-bars', 'data-testid': 'sales-hours', role: 'img' });
  const shipBody = h('tbody');
  const shipTable = h(
    'table',
    { class: 'grid shipments', 'data-testid': 'shipments-table' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ...['Shipment', 'From', 'Status', 'ETA', 'Units', 'Delayed'].map((t) => h('th', null, t)),
      ),
    ),
    shipBody,
  );
  const element = h(
    'section',
    { class: 'store-activity', 'data-testid': 'store-activity' },
    title,
    h('div', { class: 'totals' }, net.el, bills.el, units.el, returned.el),
    bars,
    h('h2', { class: 'section-title' }, 'Incoming shipments'),
    h('div', { class: 'table-wrap' }, shipTable),
  );

  function renderSales(s) {
    setText(title, s.date_ist ? `Sales on ${s.date_ist} (IST)` : 'Sales (none yet)');
    setText(net.value, formatRupees(s.totals.net_sales_paise));
    setText(bills.value, formatInt(s.totals.bills));
    setText(units.value, formatInt(s.totals.units_sold));
    setText(returned.value, formatInt(s.totals.units_returned));
    const max = Math.max(1, ...s.hours.map((r) => Number(r.net_sales_paise) || 0));
    const byHour = new Map(s.hours.map((r) => [Number(r.hour_ist), r]));
    bars.replaceChildren(
      ...Array.from({ length: 24 }, (_, hour) => {
        const r = byHour.get(hour);
        const v = r ? Math.max(0, Number(r.net_sales_paise) || 0) : 0;
        return h('span', {
          class: 'hour-bar',
          style: `height: ${Math.max(1, Math.round((v / max) * BAR_PX))}px`,
          title: `${String(hour).padStart(2, '0')}:00 IST — ${formatRupees(v)}, ${formatInt(r?.bills ?? 0)} bills`,
        });
      }),
    );
    bars.setAttribute('aria-label', `Net sales by hour on ${s.date_ist ?? 'no day yet'}`);
  }

  function renderShipments(sh) {
    const rows = sh.incoming.map((r) =>
      h(
        'tr',
        { 'data-testid': 'shipment-row' },
        h('td', null, String(r.shipment_id)),
        h('td', null, String(r.dc_id ?? '—')),
        h('td', null, String(r.status)),
        h('td', { title: fullIst(r.eta) }, formatIst(r.eta)),
        h('td', { class: 'num' }, formatInt(r.units_dispatched)),
        h('td', null, r.was_delayed ? 'yes' : ''),
      ),
    );
    if (rows.length === 0)
      rows.push(h('tr', { class: 'empty' }, h('td', { colspan: 6 }, 'No shipment on its way.')));
    shipBody.replaceChildren(...rows);
  }

  async function load() {
    const [sales, ships] = await Promise.all([
      getJson(`${base}/sales`),
      getJson(`${base}/shipments`),
    ]);
    if (sales.ok) renderSales(sales.body);
    if (ships.ok) renderShipments(ships.body);
  }

  return { element, load };
}
