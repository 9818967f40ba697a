// A reply that arrives while the panel is closed: shown by the launcher with its text (as text),
// as chat widgets do; a click opens the panel. It stays across pages until read or closed.

import { entries } from './entries.js';
import { t } from './i18n.js';
import { loadPanel, savePanel } from './persist.js';
import { state, ui } from './state.js';

export function showPreview(m) {
  if (!ui.host || state.open || !m || m.author !== 'operator') return;
  if (m.id != null && m.id <= loadPanel().dismissed) return;
  ui.previewOp.textContent = m.author_name ? String(m.author_name) : t.invitationFrom;
  ui.previewText.textContent = String(m.text ?? '');
  ui.preview.dataset.id = m.id != null ? String(m.id) : '';
  ui.preview.setAttribute('aria-label', ui.previewOp.textContent);
  ui.preview.hidden = false;
}

export function hidePreview() {
  if (ui.host) ui.preview.hidden = true;
}

export function dismissPreview() {
  const id = Number(ui.preview.dataset.id);
  if (id > 0) savePanel({ dismissed: id });
  hidePreview();
}

// After a page load (or a reconnect): the newest operator reply not read yet, if any.
export function previewUnread() {
  if (state.open) return;
  let last = null;
  for (const e of entries) {
    if (e.kind === 'message' && e.author === 'operator' && !e.local && e.id != null &&
      e.id > state.lastRead && !e.read_at && (!last || e.id > last.id)) last = e;
  }
  if (last) showPreview(last);
}
