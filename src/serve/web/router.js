// Moving between pages without reloading: history.pushState and the back button.
//
// A reload would drop the live feed and every row the page has drawn, so links marked
// `data-nav` are followed here instead (a plain click only: a modified or middle click still
// opens a tab the browser's way). The server answers every page path with the same
// index.html, so a shared or reloaded address lands on the same page.

/**
 * Starts routing: `mountPage(pathname, navigate)` draws the page for a path and returns its
 * view (`{ onStores?, tick?, unmount? }`); the previous view is unmounted first.
 * Returns `view()`, the page showing now.
 */
export function startRouter(mountPage) {
  let view = null;

  function route() {
    view?.unmount?.();
    view = mountPage(window.location.pathname, navigate);
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
  return { view: () => view };
}
