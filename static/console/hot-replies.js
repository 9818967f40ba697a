// Console: hot replies — the / popup in the composer and the manager dialog.

import { toast } from './notify.js';
import { autosize, onComposerInput, sendFromPane } from './outbox.js';
import { request } from './socket.js';
import { state, ui } from './state.js';
import { errorText } from './texts.js';
import { byTestId, h } from '../shared/dom.js';

export function onComposerKeydown(pane, ev) {
  if (ev.isComposing || ev.keyCode === 229) return;
  if (hotPopup.pane === pane && hotPopup.el) {
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      const n = hotPopup.items.length;
      if (n) {
        hotPopup.index = (hotPopup.index + (ev.key === 'ArrowDown' ? 1 : -1) + n) % n;
        paintHotPopup();
      }
      return;
    }
    if (ev.key === 'Enter' || ev.key === 'Tab') {
      ev.preventDefault();
      const item = hotPopup.items[hotPopup.index];
      if (item) pickHotReply(pane, item);
      return;
    }
    if (ev.key === 'Escape') {
      ev.preventDefault();
      ev.stopPropagation();
      pane.hotDismissedAt = hotPopup.tokenStart;
      closeHotPopup();
      return;
    }
  }
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
    ev.preventDefault();
    if (!pane.renderPending) sendFromPane(pane);
  }
}

export const hotPopup = { el: null, pane: null, items: [], index: 0, tokenStart: 0, query: '' };

/** The `/word` token ending at the caret, or null. */
function slashToken(ta) {
  if (ta.selectionStart !== ta.selectionEnd) return null;
  const caret = ta.selectionStart;
  const before = ta.value.slice(0, caret);
  const m = /(^|\s)\/([^\s/]*)$/.exec(before);
  if (!m) return null;
  const query = m[2];
  return { start: caret - query.length - 1, end: caret, query };
}

function matchHotReplies(query) {
  const q = query.toLowerCase();
  const all = state.hotReplies;
  const byShortcut = all
    .filter((r) => String(r.shortcut || '').toLowerCase().startsWith(q))
    .sort((a, b) => a.shortcut.length - b.shortcut.length || a.shortcut.localeCompare(b.shortcut, 'ru') || (a.scope === 'own' ? -1 : 1));
  if (!q) return byShortcut;
  const taken = new Set(byShortcut);
  const byText = all.filter(
    (r) =>
      !taken.has(r) &&
      (String(r.shortcut || '').toLowerCase().includes(q) || String(r.text || '').toLowerCase().includes(q)),
  );
  return [...byShortcut, ...byText];
}

export function updateHotPopup(pane) {
  const ta = pane.refs.input;
  const token = ta.disabled ? null : slashToken(ta);
  if (!token) {
    pane.hotDismissedAt = null;
    if (hotPopup.pane === pane) closeHotPopup();
    return;
  }
  if (pane.hotDismissedAt === token.start) {
    if (hotPopup.pane === pane) closeHotPopup();
    return;
  }
  const items = matchHotReplies(token.query);
  if (!items.length) {
    if (hotPopup.pane === pane) closeHotPopup();
    return;
  }
  const keep = hotPopup.pane === pane ? hotPopup.items[hotPopup.index] : null;
  hotPopup.pane = pane;
  hotPopup.items = items;
  hotPopup.index = Math.max(0, keep ? items.indexOf(keep) : 0);
  hotPopup.tokenStart = token.start;
  hotPopup.query = token.query;
  if (!hotPopup.el) {
    hotPopup.el = h('ul', { class: 'hot-popup', testid: 'hot-popup', role: 'listbox', 'aria-label': 'Быстрые ответы' });
    hotPopup.el.addEventListener('mousedown', (ev) => ev.preventDefault()); // keep the caret in the textarea
    hotPopup.el.addEventListener('click', (ev) => {
      const row = ev.target.closest('[data-testid="hot-item"]');
      if (!row || !hotPopup.pane) return;
      const item = hotPopup.items[Number(row.dataset.index)];
      if (item) pickHotReply(hotPopup.pane, item);
    });
  }
  if (hotPopup.el.parentNode !== pane.refs.composer) pane.refs.composer.append(hotPopup.el);
  paintHotPopup();
}

function paintHotPopup() {
  const el = hotPopup.el;
  if (!el) return;
  el.replaceChildren(
    ...hotPopup.items.map((r, i) =>
      h(
        'li',
        {
          class: `hot-item${i === hotPopup.index ? ' active' : ''}`,
          testid: 'hot-item',
          role: 'option',
          'aria-selected': i === hotPopup.index ? 'true' : 'false',
          dataset: { shortcut: r.shortcut, id: String(r.id), index: String(i) },
        },
        h('span', { class: 'hot-shortcut', text: `/${r.shortcut}` }),
        h('span', { class: 'hot-preview', text: r.text }),
        h('span', { class: `hot-scope scope-${r.scope}`, text: r.scope === 'global' ? 'общий' : 'мой' }),
      ),
    ),
  );
  el.children[hotPopup.index]?.scrollIntoView({ block: 'nearest' });
}

export function closeHotPopup() {
  hotPopup.el?.remove();
  hotPopup.pane = null;
  hotPopup.items = [];
  hotPopup.index = 0;
}

export function refreshHotPopup() {
  const pane = hotPopup.pane;
  if (pane) updateHotPopup(pane);
}

async function pickHotReply(pane, reply) {
  const ta = pane.refs.input;
  const token = `/${hotPopup.pane === pane ? hotPopup.query : ''}`;
  const start = hotPopup.pane === pane ? hotPopup.tokenStart : -1;
  closeHotPopup();
  pane.renderPending = true;
  ta.readOnly = true;
  pane.el.classList.add('rendering');
  const res = await request('hot_reply.render', { conversation_id: pane.id, hot_reply_id: reply.id });
  pane.renderPending = false;
  ta.readOnly = false;
  pane.el.classList.remove('rendering');
  if (!res.ok || typeof res.text !== 'string') {
    toast(`Не удалось вставить ответ: ${errorText(res.error)}`, 'error');
    ta.focus();
    return;
  }
  let at = start >= 0 && ta.value.slice(start, start + token.length) === token ? start : ta.value.lastIndexOf(token);
  let len = token.length;
  if (at < 0) {
    at = ta.selectionStart;
    len = 0;
  }
  ta.value = ta.value.slice(0, at) + res.text + ta.value.slice(at + len);
  const caret = at + res.text.length;
  ta.focus();
  ta.setSelectionRange(caret, caret);
  pane.hotDismissedAt = null;
  autosize(ta);
  onComposerInput(pane);
}

// ---------------------------------------------------------------- hot reply manager dialog

ui.hotOpen.addEventListener('click', () => {
  renderHotManage();
  resetHotForm();
  if (!ui.hotDialog.open) ui.hotDialog.showModal();
  ui.hotForm.elements.shortcut.focus();
});

function resetHotForm() {
  ui.hotForm.reset();
  ui.hotForm.elements.id.value = '';
  ui.hotFormError.hidden = true;
  ui.hotFormReset.hidden = true;
}

ui.hotFormReset.addEventListener('click', resetHotForm);

export function renderHotManage() {
  const list = ui.hotList;
  const sorted = [...state.hotReplies].sort(
    (a, b) => (a.scope === b.scope ? a.shortcut.localeCompare(b.shortcut, 'ru') : a.scope === 'own' ? -1 : 1),
  );
  if (!sorted.length) {
    list.replaceChildren(h('li', { class: 'hot-manage-empty', text: 'Быстрых ответов пока нет' }));
    return;
  }
  list.replaceChildren(
    ...sorted.map((r) => {
      const own = r.scope === 'own';
      const li = h(
        'li',
        { class: `hot-manage-item scope-${r.scope}`, dataset: { id: String(r.id), shortcut: r.shortcut } },
        h('span', { class: 'hot-shortcut', text: `/${r.shortcut}` }),
        h('span', { class: 'hot-manage-text', text: r.text }),
        h('span', { class: `hot-scope scope-${r.scope}`, text: own ? 'мой' : 'общий' }),
      );
      if (own) {
        const edit = h('button', { type: 'button', class: 'link-btn', text: 'Изменить' });
        edit.addEventListener('click', () => {
          ui.hotForm.elements.id.value = String(r.id);
          ui.hotForm.elements.shortcut.value = r.shortcut;
          ui.hotForm.elements.text.value = r.text;
          ui.hotFormReset.hidden = false;
          ui.hotForm.elements.text.focus();
        });
        const del = h('button', { type: 'button', class: 'link-btn danger', testid: 'hot-delete', text: 'Удалить' });
        del.addEventListener('click', async () => {
          del.disabled = true;
          const res = await request('hot_reply.delete', { id: r.id });
          del.disabled = false;
          if (!res.ok) {
            showHotError(errorText(res.error));
            return;
          }
          state.hotReplies = state.hotReplies.filter((x) => x.id !== r.id);
          if (ui.hotForm.elements.id.value === String(r.id)) resetHotForm();
          renderHotManage();
        });
        li.append(h('span', { class: 'hot-manage-actions' }, edit, del));
      } else {
        li.append(h('span', { class: 'hot-manage-actions' }));
      }
      return li;
    }),
  );
}

function showHotError(text) {
  ui.hotFormError.textContent = text;
  ui.hotFormError.hidden = false;
}

ui.hotForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ui.hotForm.elements;
  const shortcut = f.shortcut.value.trim().replace(/^\/+/, '');
  const text = f.text.value.trim();
  if (!shortcut || /\s/.test(shortcut)) {
    showHotError('Сокращение — одно слово без пробелов');
    return;
  }
  if (!text) {
    showHotError('Введите текст ответа');
    return;
  }
  ui.hotFormError.hidden = true;
  const payload = { shortcut, text };
  if (f.id.value) payload.id = Number(f.id.value);
  const save = byTestId('hot-save');
  save.disabled = true;
  const res = await request('hot_reply.save', payload);
  save.disabled = false;
  if (!res.ok) {
    showHotError(errorText(res.error));
    return;
  }
  if (res.hot_reply) {
    const i = state.hotReplies.findIndex((x) => x.id === res.hot_reply.id);
    if (i >= 0) state.hotReplies[i] = res.hot_reply;
    else state.hotReplies.push(res.hot_reply);
  }
  resetHotForm();
  renderHotManage();
  f.shortcut.focus();
});
