// Sortable tables that redraw in place, shared by the store list and the inventory.
//
// A column is `{ key, label, num?, title?, value(item) }`. Rows stay the same elements from one
// redraw to the next and are moved only when the order changes: the tables redraw every second
// with up to 800 rows, and a changed cell's highlight lives on its element.

import { h } from './dom.js';

function compareValues(a, b) {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? 1 : -1; // missing values last, either direction
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

/** Sorts table rows by one column; missing values last in either direction, then by `tie`. */
export function sortBy(items, col, dir, get, tie) {
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
export function sortableHead(columns, sort, onSort) {
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
export function placeRows(tbody, wanted, current) {
  const same = wanted.length === current.length && wanted.every((tr, i) => tr === current[i]);
  if (!same) tbody.replaceChildren(...wanted);
  return wanted;
}
