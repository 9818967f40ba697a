// The visitor's messages out (through the outbox), typing, read marks and SPA page changes.

import { emitAck } from '../../shared/ack.js';
import { DROP_CODES, RETRY_AFTER_TIMEOUT, TYPING_EVERY, TYPING_IDLE } from './config.js';
import { ensurePendingEntry, entries, findPending, maxOtherId, mutate, render, updateBadge, upsertMessage } from './entries.js';
import { errorText, t } from './i18n.js';
import { canEmit, net, outbox, state, ui } from './state.js';
import { savePanel } from './persist.js';
import { K_READ, store, uuid } from './storage.js';
import { applyConversation, autosize } from './view.js';

export function submit() {
  if (!ui.host) return;
  const text = ui.input.value.trim();
  if (!text) return;
  ui.input.value = '';
  savePanel({ draft: '' });
  autosize();
  stopTyping();
  const item = { client_id: uuid(), text, created_at: new Date().toISOString() };
  outbox.add(item);
  mutate(() => ensurePendingEntry(item), true);
  flush();
}

export const attempted = new Set(); // client_ids already emitted on this connection
let flushing = false;
export async function flush() {
  if (flushing) return;
  flushing = true;
  try {
    // One at a time, in order: the server stores them in the order the visitor typed them.
    for (;;) {
      if (!canEmit()) break;
      const item = outbox.next(attempted);
      if (!item) break;
      attempted.add(item.client_id);
      mutate(() => ensurePendingEntry(item));
      await sendItem(item);
    }
  } finally {
    flushing = false;
  }
}

async function sendItem(item) {
  const sock = net.socket;
  const cid = item.client_id;
  const res = await emitAck(sock, 'message', { client_id: cid, text: item.text });
  if (res.lost) {
    // Timeout or disconnect: keep it in the outbox, resend on the next connect (and a bit
    // later on this one: the server dedups by client_id).
    if (sock === net.socket && sock.connected) {
      setTimeout(() => {
        attempted.delete(cid);
        flush();
      }, RETRY_AFTER_TIMEOUT);
    }
    return;
  }
  mutate(() => {
    if (res && res.ok) {
      outbox.remove(cid);
      if (res.message) upsertMessage(res.message, false);
      const e = findPending(cid);
      if (e && e.id == null) {
        e.acked = true;
        render(e);
      }
    } else {
      const error = (res && res.error) || {};
      const e = findPending(cid);
      if (DROP_CODES.has(error.code)) {
        outbox.remove(cid);
        if (e) {
          e.failed = true;
          e.error = errorText(error);
        }
      } else if (error.code === 'rate_limited') {
        // Kept in the outbox and sent again once the server's window has room.
        if (e) e.error = t.errors.rate_limited;
        setTimeout(() => {
          attempted.delete(cid);
          flush();
        }, Math.max(1, Number(error.retry_after) || 1) * 1000);
      } else if (e) {
        e.error = t.errors.retry; // kept in the outbox: next connect resends it
      }
      if (e) render(e);
    }
  });
  if (res && res.ok && res.conversation) applyConversation(res.conversation, false);
}

// ---------------------------------------------------------------- typing, read, page

let typingSentAt = 0;
let typingIdleTimer = null;
export function emitQuiet(event, payload) {
  if (!canEmit()) return;
  emitAck(net.socket, event, payload);
}
export function onTypingInput() {
  if (!ui.input.value.trim()) {
    stopTyping();
    return;
  }
  const now = Date.now();
  if (canEmit() && (!state.typingOn || now - typingSentAt >= TYPING_EVERY)) {
    state.typingOn = true;
    typingSentAt = now;
    emitQuiet('typing', { typing: true });
  }
  clearTimeout(typingIdleTimer);
  typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE);
}
function stopTyping() {
  clearTimeout(typingIdleTimer);
  if (!state.typingOn) return;
  state.typingOn = false;
  emitQuiet('typing', { typing: false });
}

export function syncRead() {
  if (state.open && document.visibilityState === 'visible') {
    const max = maxOtherId();
    if (max > state.lastRead) {
      state.lastRead = max;
      store.set(K_READ, String(max));
    }
  }
  updateBadge();
  if (!canEmit()) return;
  const upTo = Math.min(state.lastRead, maxOtherId());
  if (upTo <= state.readSent) return;
  const unseen = entries.some(
    (e) => e.kind === 'message' && e.author !== 'visitor' && e.id != null &&
      e.id > state.readSent && e.id <= upTo && !e.read_at,
  );
  if (!unseen) return;
  const prev = state.readSent;
  state.readSent = upTo;
  emitAck(net.socket, 'read', { up_to: upTo }).then((res) => {
    if (!res.ok && state.readSent === upTo) state.readSent = prev;
  });
}

let pageTimer = null;
function checkUrl() {
  if (location.href === state.lastUrl) return;
  state.lastUrl = location.href;
  clearTimeout(pageTimer);
  // Frameworks usually set document.title right after pushState.
  pageTimer = setTimeout(reportPage, 150);
}
export function reportPage() {
  if (!canEmit()) return;
  state.spaPages++; // pages this visit = session.visit.page_count + what we reported since
  emitQuiet('page', { url: location.href, title: document.title });
}
// Follows the page's own navigation (SPA) and the tab coming back into view.
export function watchPage() {
  for (const name of ['pushState', 'replaceState']) {
    const orig = history[name];
    if (typeof orig !== 'function') continue;
    history[name] = function (...args) {
      const r = orig.apply(this, args);
      try {
        checkUrl();
      } catch (_) {
        /* never break the page */
      }
      return r;
    };
  }
  window.addEventListener('popstate', checkUrl);
  window.addEventListener('hashchange', checkUrl);

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') syncRead();
  });
}
