// The panel's state across the pages of a visit (sessionStorage: this tab, this visit): open or
// closed, the draft, where the history was scrolled to. Falls back to nothing when storage is off.

export const K_PANEL = 'prilavok.panel';

function session() {
  try {
    return window.sessionStorage;
  } catch (_) {
    return null; // storage disabled: every page starts closed
  }
}

/**
 * {open: bool, draft: str, scroll: number|null (null: at the bottom),
 *  dismissed: id of the newest reply whose preview the visitor closed, 0 if none}
 */
export function loadPanel(st = session()) {
  const none = { open: false, draft: '', scroll: null, dismissed: 0 };
  if (!st) return none;
  try {
    const v = JSON.parse(st.getItem(K_PANEL) || 'null');
    if (!v || typeof v !== 'object') return none;
    return {
      open: v.open === true,
      draft: typeof v.draft === 'string' ? v.draft.slice(0, 10000) : '',
      scroll: Number.isFinite(v.scroll) && v.scroll >= 0 ? v.scroll : null,
      dismissed: Number.isFinite(v.dismissed) && v.dismissed > 0 ? v.dismissed : 0,
    };
  } catch (_) {
    return none;
  }
}

export function savePanel(change, st = session()) {
  if (!st) return;
  try {
    st.setItem(K_PANEL, JSON.stringify({ ...loadPanel(st), ...change }));
  } catch (_) {
    /* full or disabled: the next page starts closed */
  }
}
