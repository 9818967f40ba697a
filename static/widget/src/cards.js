// Blocks in the chat the server asks for: thanks for a purchase, the rating of a closed chat.

import { emitAck } from '../../shared/ack.js';
import { addBlock, el, removeBlock, scrollToBottom } from './entries.js';
import { errorText, fmtPrice, t } from './i18n.js';
import { ICONS } from './markup.js';
import { canEmit, net, state, ui } from './state.js';
import { K_RATED, store } from './storage.js';
import { openPanel, showChat } from './view.js';

// Only http(s) links (absolute or relative to the page); anything else gets no href.
function safeHref(raw) {
  if (typeof raw !== 'string' || !raw.trim()) return null;
  try {
    const u = new URL(raw, location.href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch (_) {
    return null;
  }
}

export function showPurchase(related) {
  if (!ui.host) return;
  const box = el('div', 'card purchase', { 'data-testid': 'prilavok-purchase', role: 'status' });
  const title = el('div', 'card-title', { 'data-testid': 'prilavok-purchase-title' });
  title.textContent = t.purchaseThanks;
  box.appendChild(title);
  const items = related.filter((r) => r && typeof r === 'object');
  if (items.length) {
    const sub = el('div', 'sub2');
    sub.textContent = t.purchaseRelated;
    const ul = el('ul', 'related');
    for (const r of items) {
      const li = el('li');
      const a = el('a', '', { 'data-testid': 'prilavok-related-item' });
      const href = safeHref(r.url);
      if (href) a.setAttribute('href', href);
      a.textContent = String(r.title ?? r.url ?? '');
      li.appendChild(a);
      if (r.price != null && Number.isFinite(Number(r.price))) {
        const price = el('span', 'rprice', { 'data-testid': 'prilavok-related-price' });
        price.textContent = fmtPrice(Number(r.price));
        li.appendChild(price);
      }
      ul.appendChild(li);
    }
    box.append(sub, ul);
  }
  if (state.view !== 'chat') showChat();
  addBlock(box);
  openPanel();
  scrollToBottom();
}

// ---------------------------------------------------------------- rating

const ratingAsked = new Set(); // conversation ids asked on this page load
function ratedLoad() {
  try {
    const v = JSON.parse(store.get(K_RATED) || '[]');
    return Array.isArray(v) ? v : [];
  } catch (_) {
    return [];
  }
}
function ratedAdd(id) {
  const list = ratedLoad().filter((x) => x !== id);
  list.push(id);
  store.set(K_RATED, JSON.stringify(list.slice(-50)));
}

export function maybeAskRating(conv) {
  if (!ui.host || !conv || conv.status !== 'closed' || conv.rated || conv.id == null) return;
  if (ratingAsked.has(conv.id) || ratedLoad().includes(conv.id)) return;
  ratingAsked.add(conv.id);
  const convId = conv.id;
  const box = el('div', 'card rating', { 'data-testid': 'prilavok-rating', 'data-conversation-id': String(convId) });
  const title = el('div', 'card-title');
  title.textContent = t.ratingTitle;
  const stars = el('div', 'stars', { role: 'radiogroup', 'aria-label': t.ratingTitle });
  const comment = el('textarea', '', {
    'data-testid': 'prilavok-rating-comment',
    rows: '2',
    maxlength: '2000',
  });
  comment.placeholder = t.ratingComment;
  comment.setAttribute('aria-label', t.ratingComment);
  const err = el('div', 'form-err', { 'data-testid': 'prilavok-rating-error', role: 'alert' });
  err.hidden = true;
  const send = el('button', 'btn', { type: 'button', 'data-testid': 'prilavok-rating-submit' });
  send.textContent = t.ratingSubmit;
  let score = 0;
  let busy = false;
  const btns = [];
  const paint = (n) =>
    btns.forEach((b, k) => {
      b.classList.toggle('on', k < n);
      b.setAttribute('aria-checked', String(k + 1 === score));
    });
  for (let i = 1; i <= 5; i++) {
    const b = el('button', 'star', {
      type: 'button',
      role: 'radio',
      'aria-checked': 'false',
      'data-testid': 'prilavok-rating-star',
      'data-score': String(i),
    });
    b.setAttribute('aria-label', t.ratingStar(i));
    b.title = t.ratingStar(i);
    b.innerHTML = ICONS.star; // constant icon markup
    b.addEventListener('click', () => {
      score = i;
      box.dataset.score = String(i);
      err.hidden = true;
      paint(i);
    });
    b.addEventListener('mouseenter', () => paint(i));
    btns.push(b);
    stars.appendChild(b);
  }
  stars.addEventListener('mouseleave', () => paint(score));
  box.append(title, stars, comment, err, send);
  const entry = addBlock(box);
  const fail = (text) => {
    err.textContent = text;
    err.hidden = false;
  };
  const done = (thank) => {
    ratedAdd(convId);
    removeBlock(entry);
    if (thank) {
      const n = el('div', 'thanks', { 'data-testid': 'prilavok-rating-thanks', role: 'status' });
      n.textContent = t.ratingThanks;
      addBlock(n);
    }
  };
  send.addEventListener('click', () => {
    if (busy) return;
    if (!score) return fail(t.ratingPick);
    if (!canEmit()) return fail(t.errors.offline);
    const payload = { conversation_id: convId, score };
    const text = comment.value.trim();
    if (text) payload.comment = text;
    busy = true;
    send.disabled = true;
    emitAck(net.socket, 'rate', payload).then((res) => {
      busy = false;
      send.disabled = false;
      if (res.lost) return fail(t.errors.offline);
      if (res && res.ok) return done(true);
      const code = res && res.error && res.error.code;
      if (code === 'already_rated') return done(false);
      if (code === 'conversation_open') {
        removeBlock(entry);
        ratingAsked.delete(convId);
        return;
      }
      fail(errorText(res && res.error));
    });
  });
}
