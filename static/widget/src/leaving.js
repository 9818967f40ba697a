// Telling a page being left for the next one (a link, a form, a reload) from a tab really hidden:
// browsers fire `visibilitychange: hidden` in both cases, and only the second is the visitor away.

// A same-origin link click stays "leaving" this long: a slow shop page may take seconds to
// answer before the old page unloads; a navigation that never happens stops muting hides after.
const CLICK_GRACE_MS = 10000;
// A hide is taken as real only when no unload signal comes this soon after it (some browsers
// fire `visibilitychange` before `pagehide`); on a real unload the timer never runs.
const HIDE_CONFIRM_MS = 200;

let leaving = false;
let graceTimer = null;

export function isLeaving() {
  return leaving;
}

function markLeaving(sticky) {
  leaving = true;
  clearTimeout(graceTimer);
  if (!sticky) graceTimer = setTimeout(() => (leaving = false), CLICK_GRACE_MS);
}

// The link a click follows in this tab to another document of the same origin, if any.
export function leavesForSameOrigin(e, here = location) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return false;
  const path = typeof e.composedPath === 'function' ? e.composedPath() : [e.target];
  const a = path.find((n) => n && n.tagName === 'A' && n.href);
  if (!a || a.hasAttribute('download')) return false;
  const target = (a.getAttribute('target') || '').toLowerCase();
  if (target && target !== '_self' && target !== '_top' && target !== '_parent') return false;
  let url;
  try {
    url = new URL(a.href, here.href);
  } catch (_) {
    return false;
  }
  if (url.origin !== here.origin) return false;
  // Only the fragment differs: the page stays.
  return url.href.split('#')[0] !== String(here.href).split('#')[0] || !url.hash;
}

// onHide(): the tab was really hidden; onShow(): visible again (also back from the bfcache).
export function watchLeaving(onHide, onShow) {
  // Bubbling at window: the page's own handlers (an SPA router) have had their say.
  window.addEventListener('click', (e) => {
    if (leavesForSameOrigin(e)) markLeaving(false);
  });
  window.addEventListener('submit', (e) => {
    const t = e.target && (e.target.getAttribute('target') || '').toLowerCase();
    if (!e.defaultPrevented && (!t || t === '_self')) markLeaving(false);
  });
  window.addEventListener('beforeunload', () => markLeaving(false)); // may still be cancelled
  window.addEventListener('pagehide', () => markLeaving(true));
  window.addEventListener('pageshow', (e) => {
    if (!e.persisted) return;
    leaving = false; // back from the back-forward cache: the page lives again
    onShow();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState !== 'hidden') {
      if (!leaving) onShow();
      return;
    }
    if (leaving) return;
    setTimeout(() => {
      if (!leaving && document.visibilityState === 'hidden') onHide();
    }, HIDE_CONFIRM_MS);
  });
}
