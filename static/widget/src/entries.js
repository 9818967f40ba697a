// The chat's entries: server messages, local notes and blocks, kept in order and rendered as text.

import { NOTE_DEDUP_MS } from './config.js';
import { fmtTime, t } from './i18n.js';
import { ICONS } from './markup.js';
import { statusOf } from './receipts.js';
import { outbox, receipts, state, ui } from './state.js';

export const entries = []; // messages and local notes, see newEntry()
const byId = new Map();
let seq = 0;
let lastServerSystemAt = 0;

function newEntry(fields) {
  return Object.assign(
    {
      kind: 'message', // or 'note' / 'block' (local, not from the server)
      local: null, // a local message line (e.g. 'invitation'): shown, never stored
      seq: ++seq,
      id: null,
      client_id: null,
      conversation_id: null,
      author: 'visitor',
      author_name: null,
      text: '',
      created_at: null,
      delivered_at: null,
      read_at: null,
      acked: false,
      failed: false,
      error: null,
      noteKey: 0,
      createdAtMs: Date.now(),
      el: null,
    },
    fields,
  );
}

function nearBottom() {
  const l = ui.list;
  return l.scrollHeight - l.scrollTop - l.clientHeight < 80;
}
export function scrollToBottom() {
  ui.list.scrollTop = ui.list.scrollHeight;
}

// Runs a change to the message list and keeps the view pinned to the bottom when it was there.
export function mutate(fn, force) {
  const stick = !ui.host || force || nearBottom();
  fn();
  if (!ui.host) return;
  reorder();
  if (stick) scrollToBottom();
  updateBadge();
}

// ---------------------------------------------------------------- entries

function entryKey(e) {
  if (e.kind !== 'message' || e.local) return e.noteKey; // local lines keep their place
  return e.id != null ? e.id : Number.MAX_SAFE_INTEGER;
}

export function el(tag, cls, attrs) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (attrs) for (const k in attrs) n.setAttribute(k, attrs[k]);
  return n;
}

function build(e) {
  if (e.kind === 'note') {
    const n = el('div', 'note', { 'data-testid': 'prilavok-note', role: 'status' });
    n.textContent = e.text;
    e.el = n;
    return;
  }
  const root = el('div', 'msg', { 'data-testid': 'prilavok-message' });
  const name = el('div', 'name');
  const bubble = el('div', 'bubble');
  const text = el('div', 'text', { 'data-testid': 'prilavok-text' });
  bubble.appendChild(text);
  const meta = el('div', 'meta');
  const time = el('time', 'time');
  const mark = el('span', 'mark', { 'data-testid': 'prilavok-mark' });
  meta.append(time, mark);
  const err = el('div', 'err', { 'data-testid': 'prilavok-error', role: 'alert' });
  root.append(name, bubble, meta, err);
  e.el = root;
  e.parts = { name, text, time, mark, err };
  e.renderedStatus = null;
}

export function render(e) {
  if (!ui.host) return;
  if (!e.el) build(e);
  if (e.kind !== 'message') return; // notes and blocks (rating, purchase) render themselves
  const n = e.el;
  const p = e.parts;
  const author = e.author === 'operator' || e.author === 'system' ? e.author : 'visitor';
  n.classList.remove('visitor', 'operator', 'system');
  n.classList.add(author);
  n.classList.toggle('local', !!e.local);
  n.dataset.author = author;
  if (e.local) n.dataset.local = e.local;
  if (e.id != null) n.dataset.id = String(e.id);
  else delete n.dataset.id;
  if (e.client_id) n.dataset.clientId = e.client_id;
  else delete n.dataset.clientId;
  if (p.text.textContent !== e.text) p.text.textContent = e.text;
  p.name.textContent = e.author_name || '';
  const time = fmtTime(e.created_at);
  p.time.textContent = time;
  if (e.created_at) p.time.setAttribute('datetime', e.created_at);
  if (author === 'visitor') {
    const st = statusOf(e, receipts);
    n.dataset.status = st;
    if (e.renderedStatus !== st) {
      p.mark.innerHTML = ICONS[st]; // constant icon markup
      p.mark.title = t.status[st];
      p.mark.setAttribute('aria-label', t.status[st]);
      e.renderedStatus = st;
    }
    p.mark.hidden = false;
  } else {
    delete n.dataset.status;
    p.mark.hidden = true;
  }
  p.err.textContent = e.error || '';
  p.err.hidden = !e.error;
}

export function reorder() {
  if (!ui.host) return;
  const sorted = entries.slice().sort((a, b) => entryKey(a) - entryKey(b) || a.seq - b.seq);
  let prev = null;
  for (const e of sorted) {
    if (!e.el) render(e);
    if (e.kind === 'message') {
      const same = prev && prev.kind === 'message' && prev.author === e.author &&
        (e.author !== 'operator' || prev.author_name === e.author_name);
      e.el.classList.toggle('same', !!same && e.author !== 'system');
      e.parts.name.hidden = !(e.author === 'operator' && e.author_name && !same);
    }
    prev = e;
  }
  const list = ui.list;
  let anchor = ui.greeting;
  for (const e of sorted) {
    if (anchor.nextSibling !== e.el) list.insertBefore(e.el, anchor.nextSibling);
    anchor = e.el;
  }
  while (anchor.nextSibling) list.removeChild(anchor.nextSibling);
  ui.greeting.hidden = sorted.length > 0;
}

export function findPending(clientId) {
  return entries.find((e) => e.kind === 'message' && e.author === 'visitor' && e.client_id === clientId);
}

export function ensurePendingEntry(item) {
  if (findPending(item.client_id)) return;
  const e = newEntry({ client_id: item.client_id, text: item.text, created_at: item.created_at });
  entries.push(e);
  render(e);
}

function maxMessageId() {
  let m = 0;
  for (const e of entries) if (e.kind === 'message' && e.id != null && e.id > m) m = e.id;
  return m;
}

export function maxOtherId() {
  let m = 0;
  for (const e of entries) {
    if (e.kind === 'message' && e.author !== 'visitor' && e.id != null && e.id > m) m = e.id;
  }
  return m;
}

// Merge one server Message (dedup by id, then by the visitor's client_id).
export function upsertMessage(m, live) {
  if (!m || m.id == null) return null;
  let e = byId.get(m.id);
  if (!e && m.client_id && m.author === 'visitor') e = findPending(m.client_id);
  const isNew = !e;
  if (!e) {
    e = newEntry({});
    entries.push(e);
  }
  e.id = m.id;
  e.conversation_id = m.conversation_id;
  e.author = m.author;
  e.author_name = m.author_name || null;
  e.text = typeof m.text === 'string' ? m.text : String(m.text ?? '');
  e.client_id = m.client_id || e.client_id || null;
  e.created_at = m.created_at || e.created_at;
  e.delivered_at = m.delivered_at || e.delivered_at || null;
  e.read_at = m.read_at || e.read_at || null;
  e.acked = true;
  e.failed = false;
  e.error = null;
  byId.set(m.id, e);
  if (m.author === 'visitor' && m.client_id) outbox.remove(m.client_id);
  if (m.author === 'system' && isNew && live) {
    // The server announced the event itself: drop our own note about it.
    lastServerSystemAt = Date.now();
    for (let i = entries.length - 1; i >= 0; i--) {
      const n = entries[i];
      if (n.kind === 'note' && Date.now() - n.createdAtMs < NOTE_DEDUP_MS) entries.splice(i, 1);
    }
  }
  render(e);
  return e;
}

export function addNote(text) {
  if (Date.now() - lastServerSystemAt < NOTE_DEDUP_MS) return; // the server said it already
  const e = newEntry({ kind: 'note', text, noteKey: maxMessageId() + 0.5 });
  entries.push(e);
  render(e);
}

export function refreshVisitorStatuses() {
  for (const e of entries) if (e.kind === 'message' && e.author === 'visitor') render(e);
}

function unreadCount() {
  let n = 0;
  for (const e of entries) {
    if (e.kind === 'message' && e.author !== 'visitor' && e.id != null && e.id > state.lastRead && !e.read_at) n++;
  }
  return n;
}
export function updateBadge() {
  if (!ui.host) return;
  const n = state.open ? 0 : unreadCount();
  ui.badge.hidden = n === 0;
  ui.badge.textContent = n > 99 ? '99+' : String(n);
  ui.launcher.setAttribute('aria-label', n ? `${t.openChat}. ${t.unread(n)}` : t.openChat);
}

export function addBlock(node) {
  const e = newEntry({ kind: 'block', el: node, noteKey: maxMessageId() + 0.5 });
  mutate(() => entries.push(e), true);
  return e;
}
export function removeBlock(e) {
  const i = entries.indexOf(e);
  if (i >= 0) mutate(() => entries.splice(i, 1));
}

// A line shown as the operator's but never stored: the text of an invitation the visitor took.
export function addLocalLine(text, authorName) {
  const e = newEntry({
    local: 'invitation',
    author: 'operator',
    author_name: authorName || null,
    text: String(text ?? ''),
    created_at: new Date().toISOString(),
    noteKey: maxMessageId() + 0.5,
  });
  mutate(() => {
    entries.push(e);
    render(e);
  }, true);
}
