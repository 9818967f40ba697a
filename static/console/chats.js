// Console: my chats and the queue as the server sends them; messages, delivered and read marks.

import { renderSidePanel } from './context.js';
import { beep, toast, updateTitle } from './notify.js';
import { closePane, focusPane, loadPane, openChat, renderComposerState, renderMessages, renderPaneHead } from './panes.js';
import { renderChatList, renderQueue } from './sidebar.js';
import { emitQuiet, request } from './socket.js';
import { state, ui } from './state.js';
import { VISITOR_TYPING_TTL_MS, errorText, visitorLabel, windowActive } from './texts.js';

export function queueEntry(id) {
  return state.queue.find((c) => c.id === id) || null;
}

export function chatById(id) {
  return state.chats.get(id) || queueEntry(id) || state.panes.get(id)?.chat || null;
}

export function isMine(id) {
  return state.chats.has(id);
}

export function upsertChat(chat, { live = false } = {}) {
  if (!chat || chat.id === undefined) return;
  const known = state.chats.has(chat.id) || queueEntry(chat.id) || state.takenByMe.has(chat.id);
  const prev = state.chats.get(chat.id);
  // Keep a newer last message we already saw (events may cross).
  if (prev?.last_message && chat.last_message && prev.last_message.id > chat.last_message.id) {
    chat.last_message = prev.last_message;
  }
  state.chats.set(chat.id, chat);
  state.takenByMe.delete(chat.id);
  const pane = state.panes.get(chat.id);
  if (pane) {
    pane.chat = chat;
    renderPaneHead(pane);
    renderComposerState(pane);
    syncRead(pane);
  }
  deliverFromChat(chat);
  if (live && !known) beep();
  renderChatList();
  renderQueue();
  if (state.focused === chat.id) renderSidePanel();
  updateTitle();
}

export function removeChat({ conversation_id: id, reason } = {}) {
  const had = state.chats.delete(id);
  for (const [cid, item] of state.outbox) if (item.conversation_id === id) state.outbox.delete(cid);
  if (state.panes.has(id)) {
    const label = visitorLabel(chatById(id));
    closePane(id);
    const why = { closed: 'закрыт', transferred: 'передан', taken: 'взят другим оператором' }[reason] || 'убран';
    toast(`Чат «${label}» ${why}`);
  }
  if (had) {
    renderChatList();
    updateTitle();
  }
}

export function setQueue(list, { live = false } = {}) {
  const next = Array.isArray(list) ? list : [];
  const before = new Set(state.queue.map((c) => c.id));
  const fresh = next.filter((c) => !before.has(c.id) && !state.chats.has(c.id));
  state.queue = next;
  if (live && fresh.length) beep();
  renderQueue();
  // A previewed queued chat that left the queue and did not become mine: someone took it.
  for (const pane of state.panes.values()) {
    if (!isMine(pane.id) && !queueEntry(pane.id)) {
      const id = pane.id;
      setTimeout(() => {
        if (state.panes.has(id) && !isMine(id) && !queueEntry(id) && !state.takenByMe.has(id)) {
          closePane(id);
          toast('Чат из очереди взял другой оператор');
        }
      }, 1500);
    } else if (!isMine(pane.id)) {
      pane.chat = queueEntry(pane.id);
      renderPaneHead(pane);
    }
  }
}

export async function takeChat(id) {
  state.takenByMe.add(id);
  const res = await request('take', { conversation_id: id });
  if (!res.ok) {
    state.takenByMe.delete(id);
    toast(`Не удалось взять чат: ${errorText(res.error)}`, 'error');
    return;
  }
  if (res.chat) upsertChat(res.chat);
  state.queue = state.queue.filter((c) => c.id !== id);
  renderQueue();
  const pane = state.panes.get(id);
  if (pane) {
    loadPane(pane);
    focusPane(id, { focusInput: true });
  } else {
    openChat(id);
  }
}

// ---------------------------------------------------------------- messages

export function deliverFromChat(chat) {
  const m = chat.last_message;
  if (m && m.author === 'visitor' && !m.delivered_at) markDelivered(chat.id, m.id);
}

export function markDelivered(id, upTo) {
  if (!isMine(id) || !upTo) return;
  if (upTo <= (state.deliveredSent.get(id) || 0)) return;
  state.deliveredSent.set(id, upTo);
  emitQuiet('delivered', { conversation_id: id, up_to: upTo });
}

export function maxVisitorId(pane) {
  let max = 0;
  for (const m of pane.messages.values()) if (m.author === 'visitor' && m.id > max) max = m.id;
  return max;
}

/** The pane is open: if the window is looked at, the visitor's messages are read. */
export function syncRead(pane) {
  if (!pane || pane.loading || !isMine(pane.id) || !windowActive()) return;
  const chat = state.chats.get(pane.id);
  const upTo = maxVisitorId(pane);
  if (upTo && upTo > (state.readSent.get(pane.id) || 0)) {
    state.readSent.set(pane.id, upTo);
    emitQuiet('read', { conversation_id: pane.id, up_to: upTo });
  }
  if (chat && chat.unread) {
    chat.unread = 0;
    renderChatList();
    updateTitle();
  }
}

function syncReadAll() {
  for (const pane of state.panes.values()) syncRead(pane);
  updateTitle();
}

window.addEventListener('focus', syncReadAll);
document.addEventListener('visibilitychange', syncReadAll);

export function onMessage(m, { live = false } = {}) {
  if (!m || m.conversation_id === undefined) return;
  const id = m.conversation_id;
  const pane = state.panes.get(id);
  const chat = state.chats.get(id);
  const seen = pane?.messages.has(m.id) || (chat?.last_message && chat.last_message.id >= m.id);

  if (m.client_id && state.outbox.has(m.client_id)) state.outbox.delete(m.client_id);
  if (pane) {
    const prev = pane.messages.get(m.id);
    pane.messages.set(m.id, prev ? mergeMessage(prev, m) : m);
    renderMessages(pane, { stick: m.author === 'operator' });
  }
  if (chat && (!chat.last_message || chat.last_message.id <= m.id)) chat.last_message = m;

  if (m.author === 'visitor' && !seen && live) {
    if (pane) setVisitorTyping(pane, false);
    markDelivered(id, m.id);
    if (pane && windowActive() && !pane.loading) {
      syncRead(pane);
    } else {
      if (chat) chat.unread = (chat.unread || 0) + 1;
      beep();
    }
  }
  renderChatList();
  updateTitle();
}

export function mergeMessage(prev, next) {
  return {
    ...prev,
    ...next,
    delivered_at: next.delivered_at || prev.delivered_at || null,
    read_at: next.read_at || prev.read_at || null,
  };
}

export function onReceipt({ conversation_id: id, field, up_to: upTo, at } = {}) {
  if (field !== 'delivered' && field !== 'read') return;
  const stamp = at || new Date().toISOString();
  const apply = (m) => {
    if (!m || m.author === 'visitor' || m.id > upTo) return false;
    let changed = false;
    if (!m.delivered_at) {
      m.delivered_at = stamp;
      changed = true;
    }
    if (field === 'read' && !m.read_at) {
      m.read_at = stamp;
      changed = true;
    }
    return changed;
  };
  const pane = state.panes.get(id);
  if (pane) {
    let changed = false;
    for (const m of pane.messages.values()) changed = apply(m) || changed;
    if (changed) renderMessages(pane);
  }
  const chat = state.chats.get(id);
  if (chat && apply(chat.last_message)) renderChatList();
}

export function onVisitorTyping({ conversation_id: id, typing } = {}) {
  const pane = state.panes.get(id);
  if (pane) setVisitorTyping(pane, Boolean(typing));
  const item = ui.chatList.querySelector(`[data-testid="chat-item"][data-id="${CSS.escape(String(id))}"]`);
  if (item) item.classList.toggle('typing', Boolean(typing));
}

export function setVisitorTyping(pane, typing) {
  clearTimeout(pane.visitorTypingTimer);
  pane.refs.typing.hidden = !typing;
  if (typing) pane.visitorTypingTimer = setTimeout(() => (pane.refs.typing.hidden = true), VISITOR_TYPING_TTL_MS);
}

export function onPage(ev = {}) {
  const { conversation_id: id, url, title, viewed_at: viewedAt } = ev;
  const touch = (chat) => {
    if (!chat) return;
    chat.current_url = url ?? chat.current_url;
    chat.current_title = title ?? chat.current_title;
  };
  touch(state.chats.get(id));
  touch(queueEntry(id));
  for (const pane of state.panes.values()) {
    const ctx = pane.context;
    const sameVisitor = ctx?.visitor && ev.visitor_id !== undefined && ctx.visitor.id === ev.visitor_id;
    if (pane.id !== id && !sameVisitor) continue;
    touch(pane.chat);
    if (ctx) {
      ctx.current_url = url ?? null;
      ctx.current_title = title ?? null;
      ctx.pages = Array.isArray(ctx.pages) ? ctx.pages : [];
      const last = ctx.pages[ctx.pages.length - 1];
      if (!last || last.url !== url || last.viewed_at !== viewedAt) {
        ctx.pages.push({ url, title, viewed_at: viewedAt || new Date().toISOString() });
      }
    }
    renderPaneHead(pane);
    if (state.focused === pane.id) renderSidePanel();
  }
  renderChatList();
  renderQueue();
}
