// Building and updating the page's elements.
//
// Strings from the API only ever reach the page as text nodes (textContent, or append of a
// string), never as HTML, so nothing in the source data can inject markup or script. Every
// module draws through these helpers; none of them touches innerHTML.

/** Creates an element; string children become text nodes (never parsed as HTML). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    // Through the CSSOM: the page's Content-Security-Policy (default-src 'self') refuses style
    // attributes, so setAttribute('style', …) would be silently ignored.
    else if (k === 'style') el.style.cssText = String(v);
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
export function setText(el, text) {
  if (el.textContent === text) return false;
  el.textContent = text;
  return true;
}

/** Briefly highlights a value that just changed, so live updates are visible. */
export function flash(el) {
  if (el.classList.contains('flash')) return;
  el.classList.add('flash');
  el.addEventListener('animationend', () => el.classList.remove('flash'), { once: true });
}

export const $ = (id) => document.getElementById(id);
