// Admin: the global hot replies and the related goods offered after a purchase.

import { api, clearErrors, fmtNumber, showError } from './common.js';
import { busy, numberOf, state } from './forms.js';
import { byTestId, h, safeHref } from '../shared/dom.js';
import { STALE, newestOnly } from '../shared/newest.js';

// ================================================================ global hot replies

const fetchReplies = newestOnly(() => api('GET', '/admin/api/hot-replies'));

export async function loadReplies() {
  try {
    const list = await fetchReplies();
    if (list === STALE) return;
    state.replies = Array.isArray(list) ? list : [];
  } catch (err) {
    showError(document.getElementById('replies-list-error'), err);
    return;
  }
  renderReplies();
}

function renderReplies() {
  document.getElementById('replies-body').replaceChildren(
    ...state.replies.map((r) => {
      const del = h('button', { type: 'button', class: 'link-btn danger', testid: 'reply-delete', text: 'Удалить' });
      del.addEventListener('click', () =>
        busy(del, async () => {
          try {
            await api('DELETE', `/admin/api/hot-replies/${encodeURIComponent(r.id)}`);
            clearErrors();
            state.replies = state.replies.filter((x) => x.id !== r.id);
            renderReplies();
          } catch (err) {
            showError(document.getElementById('replies-list-error'), err);
          }
        }),
      );
      return h(
        'tr',
        { class: 'reply-row', testid: 'reply-row', dataset: { id: r.id, shortcut: r.shortcut } },
        h('td', { class: 'mono accent', testid: 'reply-row-shortcut', text: `/${r.shortcut}` }),
        h('td', { class: 'pre', testid: 'reply-row-text', text: r.text }),
        h('td', { class: 'col-actions' }, del),
      );
    }),
  );
  document.getElementById('replies-empty').hidden = state.replies.length > 0;
}

const replyForm = document.getElementById('reply-form');
replyForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const slot = document.getElementById('reply-form-error');
  const shortcut = replyForm.elements.shortcut.value.trim().replace(/^\/+/, '');
  const text = replyForm.elements.text.value.trim();
  if (!shortcut || /\s/.test(shortcut)) return void showError(slot, 'Сокращение — одно слово без пробелов');
  if (!text) return void showError(slot, 'Введите текст ответа');
  await busy(byTestId('reply-add'), async () => {
    try {
      await api('POST', '/admin/api/hot-replies', { shortcut, text });
      clearErrors();
      replyForm.reset();
      await loadReplies();
      replyForm.elements.shortcut.focus();
    } catch (err) {
      showError(slot, err);
    }
  });
});

// ================================================================ related goods

const fetchRelated = newestOnly(() => api('GET', '/admin/api/related'));

export async function loadRelated() {
  try {
    const list = await fetchRelated();
    if (list === STALE) return;
    state.related = Array.isArray(list) ? list : [];
  } catch (err) {
    showError(document.getElementById('related-list-error'), err);
    return;
  }
  renderRelated();
}

function renderRelated() {
  const rows = [...state.related].sort(
    (a, b) => String(a.category).localeCompare(String(b.category), 'ru') || String(a.title).localeCompare(String(b.title), 'ru'),
  );
  document.getElementById('related-body').replaceChildren(
    ...rows.map((g) => {
      const href = safeHref(g.url);
      const link = h('a', { target: '_blank', rel: 'noopener', class: 'url-cell', testid: 'related-row-url', text: g.url || '—' });
      if (href) link.href = href;
      const del = h('button', { type: 'button', class: 'link-btn danger', testid: 'related-delete', text: 'Удалить' });
      del.addEventListener('click', () =>
        busy(del, async () => {
          try {
            await api('DELETE', `/admin/api/related/${encodeURIComponent(g.id)}`);
            clearErrors();
            state.related = state.related.filter((x) => x.id !== g.id);
            renderRelated();
          } catch (err) {
            showError(document.getElementById('related-list-error'), err);
          }
        }),
      );
      return h(
        'tr',
        { class: 'related-row', testid: 'related-row', dataset: { id: g.id, category: g.category } },
        h('td', { class: 'mono', testid: 'related-row-category', text: g.category }),
        h('td', { testid: 'related-row-title', text: g.title }),
        h('td', {}, link),
        h('td', { class: 'col-num nowrap', testid: 'related-row-price', dataset: { value: g.price ?? '' }, text: g.price === null || g.price === undefined ? '—' : `${fmtNumber(g.price, Number.isInteger(Number(g.price)) ? 0 : 2)} ₽` }),
        h('td', { class: 'col-actions' }, del),
      );
    }),
  );
  document.getElementById('related-empty').hidden = state.related.length > 0;
}

const relatedForm = document.getElementById('related-form');
relatedForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const slot = document.getElementById('related-form-error');
  const f = relatedForm.elements;
  const category = f.category.value.trim();
  const title = f.title.value.trim();
  const url = f.url.value.trim();
  const priceRaw = f.price.value.trim();
  const price = priceRaw === '' ? null : numberOf(f.price);
  if (!category) return void showError(slot, 'Укажите категорию');
  if (!title) return void showError(slot, 'Укажите название товара');
  if (!url) return void showError(slot, 'Укажите ссылку на товар');
  if (price !== null && !Number.isFinite(price)) return void showError(slot, 'Цена — число');
  await busy(byTestId('related-add'), async () => {
    try {
      await api('POST', '/admin/api/related', { category, title, url, price });
      clearErrors();
      relatedForm.reset();
      f.category.value = category; // goods usually come in a batch for one category
      await loadRelated();
      f.title.focus();
    } catch (err) {
      showError(slot, err);
    }
  });
});
