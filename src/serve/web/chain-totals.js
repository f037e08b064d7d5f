// The cards above the store list: the whole chain's SKU counts by status, sales, stale stores.
//
// Summed in the page from the same store summaries as the table, so the cards and the rows
// can never disagree. A status or sales card is also a shortcut: clicking it sorts the stores.

import { h, setText } from './dom.js';
import { formatInt, formatRupees, toNum } from './format.js';
import { STATUSES, count, isStale, state, storeFreshness } from './state.js';

/** The totals section; `onSort(columnKey)` runs when a card is clicked. */
export function chainTotals(onSort) {
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
  for (const st of STATUSES) cards[st].card.addEventListener('click', () => onSort(st));
  cards.sales.card.addEventListener('click', () => onSort('net_sales_paise'));
  const element = h(
    'section',
    { class: 'totals', 'data-testid': 'chain-totals', 'aria-label': 'Chain totals' },
    Object.values(cards).map((c) => c.card),
  );

  function render() {
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

  return { element, render };
}
