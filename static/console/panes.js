// Console: the chat panes (up to four open at once): history, composer, close and transfer.

import { chatById, isMine, markDelivered, maxVisitorId, mergeMessage, removeChat, syncRead, takeChat } from './chats.js';
import { renderSidePanel } from './context.js';
import { closeHotPopup, hotPopup, onComposerKeydown, updateHotPopup } from './hot-replies.js';
import { toast, updateTitle } from './notify.js';
import { onComposerInput, sendFromPane, sendItem, stopTyping } from './outbox.js';
import { renderChatList, renderQueue } from './sidebar.js';
import { request } from './socket.js';
import { state, ui } from './state.js';
import { MAX_PANES, PLACEHOLDER_MINE, errorText, fmtDateTime, fmtTime, parseTime, visitorLabel } from './texts.js';
import { h } from '../shared/dom.js';

export function openChat(id) {
  if (state.panes.has(id)) {
    focusPane(id, { focusInput: true });
    return;
  }
  if (!chatById(id)) return;
  if (state.panes.size >= MAX_PANES) {
    // Make room: drop the pane looked at least recently.
    const oldest = [...state.panes.values()].sort((a, b) => a.focusedAt - b.focusedAt)[0];
    closePane(oldest.id);
  }
  const pane = createPane(id);
  state.panes.set(id, pane);
  ui.workspace.append(pane.el);
  layoutPanes();
  focusPane(id, { focusInput: true });
  loadPane(pane);
}

export async function loadPane(pane) {
  pane.loading = true;
  pane.el.classList.add('loading');
  const res = await request('open', { conversation_id: pane.id });
  if (state.panes.get(pane.id) !== pane) return;
  pane.loading = false;
  pane.el.classList.remove('loading');
  if (!res.ok) {
    const code = res.error?.code;
    if (code === 'offline' || code === 'timeout') {
      renderMessages(pane); // reloaded on the next init
      return;
    }
    toast(`Не удалось открыть чат: ${errorText(res.error)}`, 'error');
    if (code === 'not_found' || code === 'forbidden' || code === 'conversation_closed') closePane(pane.id);
    return;
  }
  if (res.chat) {
    pane.chat = res.chat;
    if (isMine(pane.id)) {
      const prev = state.chats.get(pane.id);
      state.chats.set(pane.id, { ...res.chat, unread: prev ? prev.unread : res.chat.unread });
    }
  }
  const fresh = new Map();
  for (const m of res.messages || []) {
    const prev = pane.messages.get(m.id);
    fresh.set(m.id, prev ? mergeMessage(prev, m) : m);
  }
  // Messages that arrived (or were acked) while `open` was in flight are newer than its snapshot.
  const snapshotMax = Math.max(0, ...fresh.keys());
  for (const [mid, m] of pane.messages) if (mid > snapshotMax && !fresh.has(mid)) fresh.set(mid, m);
  pane.messages = fresh;
  pane.context = res.context || null;
  pane.contextAt = Date.now();
  pane.activityAt = pane.contextAt;
  const chat = state.chats.get(pane.id);
  if (chat && fresh.size) {
    const last = [...fresh.values()].reduce((a, b) => (b.id > a.id ? b : a));
    if (!chat.last_message || chat.last_message.id <= last.id) chat.last_message = last;
  }
  const upTo = maxVisitorId(pane);
  if (upTo) {
    const lastVisitor = pane.messages.get(upTo);
    if (lastVisitor && !lastVisitor.delivered_at) markDelivered(pane.id, upTo);
  }
  renderPaneHead(pane);
  renderComposerState(pane);
  renderMessages(pane, { stick: true });
  syncRead(pane);
  renderChatList();
  updateTitle();
  if (state.focused === pane.id) renderSidePanel();
}

export function closePane(id) {
  const pane = state.panes.get(id);
  if (!pane) return;
  stopTyping(pane);
  clearTimeout(pane.visitorTypingTimer);
  if (hotPopup.pane === pane) closeHotPopup();
  pane.el.remove();
  state.panes.delete(id);
  if (state.focused === id) {
    const next = [...state.panes.values()].sort((a, b) => b.focusedAt - a.focusedAt)[0];
    state.focused = null;
    if (next) focusPane(next.id);
  }
  layoutPanes();
  renderChatList();
  renderQueue();
  renderSidePanel();
}

export function focusPane(id, { focusInput = false } = {}) {
  const pane = state.panes.get(id);
  if (!pane) return;
  pane.focusedAt = performance.now();
  if (state.focused !== id) {
    state.focused = id;
    for (const p of state.panes.values()) p.el.classList.toggle('focused', p.id === id);
    renderSidePanel();
    renderChatList();
    renderQueue();
  }
  if (focusInput && !pane.refs.input.disabled) pane.refs.input.focus();
  syncRead(pane);
}

export function layoutPanes() {
  const n = state.panes.size;
  ui.workspace.dataset.count = String(n);
  ui.workspaceEmpty.hidden = n > 0;
}

function createPane(id) {
  const refs = {};
  refs.label = h('strong', { class: 'pane-label' });
  refs.page = h('span', { class: 'pane-page' });
  refs.status = h('span', { class: 'pane-status' });
  refs.closePane = h('button', {
    type: 'button',
    class: 'icon-btn',
    testid: 'close-pane',
    title: 'Свернуть панель (чат останется открытым)',
    'aria-label': 'Свернуть панель',
    text: '✕',
  });
  refs.transferSelect = h('select', { class: 'transfer-select', testid: 'transfer-select', 'aria-label': 'Кому передать' });
  refs.transferButton = h('button', { type: 'button', class: 'btn btn-small', testid: 'transfer-button', text: 'Передать' });
  refs.take = h('button', { type: 'button', class: 'btn btn-small btn-primary', testid: 'pane-take', text: 'Взять чат' });
  refs.closeChat = h('button', { type: 'button', class: 'btn btn-small btn-danger', testid: 'close-chat', text: 'Закрыть чат' });
  refs.messages = h('ol', { class: 'pane-messages', testid: 'pane-messages', 'aria-live': 'polite' });
  refs.typing = h('div', { class: 'pane-typing', testid: 'pane-typing', hidden: true }, h('span', { class: 'dots', 'aria-hidden': 'true' }), 'Посетитель печатает…');
  refs.input = h('textarea', {
    class: 'pane-input',
    testid: 'pane-input',
    rows: 1,
    placeholder: PLACEHOLDER_MINE,
    'aria-label': 'Сообщение',
  });
  refs.send = h('button', { type: 'button', class: 'btn btn-primary pane-send', testid: 'pane-send', title: 'Отправить (Enter)', text: 'Отправить' });
  refs.composer = h('div', { class: 'composer' }, refs.input, refs.send);

  const el = h(
    'section',
    { class: 'pane', testid: 'pane', dataset: { id: String(id) } },
    h(
      'header',
      { class: 'pane-head' },
      h('div', { class: 'pane-head-row' }, h('div', { class: 'pane-who' }, refs.label, refs.status, refs.page), refs.closePane),
      h('div', { class: 'pane-head-row pane-tools' }, refs.transferSelect, refs.transferButton, refs.take, h('span', { class: 'spacer' }), refs.closeChat),
    ),
    refs.messages,
    refs.typing,
    refs.composer,
  );

  const pane = {
    id,
    el,
    refs,
    chat: chatById(id),
    messages: new Map(),
    context: null,
    contextAt: 0,
    loading: true,
    focusedAt: performance.now(),
    typingSent: false,
    typingLastSent: 0,
    typingStopTimer: null,
    visitorTypingTimer: null,
    renderPending: false,
  };

  el.addEventListener('mousedown', () => focusPane(id));
  el.addEventListener('focusin', () => focusPane(id));
  refs.closePane.addEventListener('click', (ev) => {
    ev.stopPropagation();
    closePane(id);
  });
  refs.closeChat.addEventListener('click', async () => {
    const label = visitorLabel(chatById(id));
    if (!window.confirm(`Закрыть чат с «${label}»? Посетитель увидит, что разговор завершён.`)) return;
    const res = await request('close', { conversation_id: id });
    if (!res.ok) {
      toast(`Не удалось закрыть чат: ${errorText(res.error)}`, 'error');
      return;
    }
    removeChat({ conversation_id: id, reason: 'closed' });
  });
  refs.transferButton.addEventListener('click', async () => {
    const target = Number(refs.transferSelect.value);
    if (!refs.transferSelect.value) {
      toast('Нет операторов в сети, которым можно передать чат', 'error');
      return;
    }
    const member = state.team.find((m) => m.id === target);
    refs.transferButton.disabled = true;
    const res = await request('transfer', { conversation_id: id, operator_id: target });
    refs.transferButton.disabled = false;
    if (!res.ok) {
      toast(`Не удалось передать чат: ${errorText(res.error)}`, 'error');
      return;
    }
    toast(`Чат передан: ${member?.name ?? 'оператор'}`);
    state.chats.delete(id);
    closePane(id);
    renderChatList();
    updateTitle();
  });
  refs.take.addEventListener('click', () => takeChat(id));
  refs.send.addEventListener('click', () => sendFromPane(pane));
  refs.input.addEventListener('input', () => onComposerInput(pane));
  refs.input.addEventListener('keydown', (ev) => onComposerKeydown(pane, ev));
  refs.input.addEventListener('click', () => updateHotPopup(pane));
  refs.input.addEventListener('blur', () => {
    // Let a click on a popup row land first.
    setTimeout(() => {
      if (hotPopup.pane === pane && document.activeElement !== refs.input) closeHotPopup();
    }, 150);
  });
  refs.messages.addEventListener('click', (ev) => {
    const btn = ev.target.closest('[data-action]');
    if (!btn) return;
    const item = state.outbox.get(btn.dataset.clientId);
    if (!item) return;
    if (btn.dataset.action === 'retry') sendItem(item);
    if (btn.dataset.action === 'discard') {
      state.outbox.delete(item.client_id);
      renderMessages(pane);
    }
  });

  renderPaneHead(pane);
  renderTransferSelect(pane);
  renderComposerState(pane);
  renderMessages(pane);
  return pane;
}

export function renderPaneHead(pane) {
  const chat = chatById(pane.id) || pane.chat;
  const { refs } = pane;
  refs.label.textContent = visitorLabel(chat);
  const title = pane.context?.current_title || chat?.current_title || '';
  const url = pane.context?.current_url || chat?.current_url || '';
  refs.page.textContent = title || url;
  refs.page.title = url || title;
  const mine = isMine(pane.id);
  refs.status.textContent = mine ? '' : 'в очереди';
  refs.status.hidden = mine;
  refs.transferSelect.hidden = !mine;
  refs.transferButton.hidden = !mine;
  refs.closeChat.hidden = !mine;
  refs.take.hidden = mine;
}

export function renderComposerState(pane) {
  const mine = isMine(pane.id);
  pane.refs.input.disabled = !mine;
  pane.refs.send.disabled = !mine;
  pane.refs.input.placeholder = mine
    ? PLACEHOLDER_MINE
    : 'Чат в очереди';
}

export function renderTransferSelect(pane) {
  const sel = pane.refs.transferSelect;
  const prev = sel.value;
  const meId = state.me?.id;
  const members = state.team.filter((m) => m.online && m.id !== meId);
  sel.replaceChildren();
  if (!members.length) {
    sel.append(h('option', { value: '', text: 'Нет операторов в сети' }));
    sel.disabled = true;
    pane.refs.transferButton.disabled = true;
    return;
  }
  sel.disabled = false;
  pane.refs.transferButton.disabled = false;
  for (const m of members) {
    // The option text is the bare name; load and status go to the tooltip.
    const away = m.status === 'away' ? ', отошёл' : '';
    const load = m.capacity ? `чатов ${m.load ?? 0} из ${m.capacity}` : '';
    sel.append(h('option', { value: String(m.id), title: `${load}${away}`, text: m.name }));
  }
  if (members.some((m) => String(m.id) === prev)) sel.value = prev;
}

function messageStatus(m) {
  if (m.read_at) return 'read';
  if (m.delivered_at) return 'delivered';
  return 'sent';
}

const MARKS = { pending: '…', sent: '✓', delivered: '✓✓', read: '✓✓', error: '!' };
const MARK_TITLES = {
  pending: 'Отправляется…',
  sent: 'Отправлено',
  delivered: 'Доставлено',
  read: 'Прочитано',
  error: 'Не отправлено',
};

function renderMessageEl(m, { pending = null } = {}) {
  const author = m.author || 'system';
  const status = pending ? pending.status : messageStatus(m);
  const li = h('li', {
    class: `msg msg-${author}${pending ? ` msg-${pending.status}` : ''}`,
    testid: 'message',
    dataset: { author, id: pending ? '' : String(m.id), status },
  });
  if (pending) li.dataset.clientId = pending.client_id;
  const bubble = h('div', { class: 'msg-bubble' });
  const ownOperator = author === 'operator' && (!m.author_name || m.author_name === state.me?.name);
  if (author === 'operator' && !ownOperator) bubble.append(h('div', { class: 'msg-author', text: m.author_name }));
  bubble.append(h('div', { class: 'msg-text', testid: 'message-text', text: m.text ?? '' }));
  const meta = h('div', { class: 'msg-meta' }, h('time', { datetime: m.created_at || '', text: fmtTime(m.created_at) }));
  if (author === 'operator') {
    meta.append(h('span', { class: `msg-mark mark-${status}`, title: MARK_TITLES[status], 'aria-label': MARK_TITLES[status], text: MARKS[status] }));
  }
  bubble.append(meta);
  li.append(bubble);
  if (pending?.error) {
    const row = h('div', { class: 'msg-error', role: 'alert' }, h('span', { text: pending.error }));
    if (pending.status === 'error') {
      row.append(
        h('button', { type: 'button', class: 'link-btn', dataset: { action: 'retry', clientId: pending.client_id }, text: 'Повторить' }),
        h('button', { type: 'button', class: 'link-btn', dataset: { action: 'discard', clientId: pending.client_id }, text: 'Удалить' }),
      );
    }
    li.append(row);
  }
  return li;
}

export function renderMessages(pane, { stick = false } = {}) {
  const list = pane.refs.messages;
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
  const frag = document.createDocumentFragment();
  const sorted = [...pane.messages.values()].sort((a, b) => a.id - b.id);
  const sentIds = new Set(sorted.map((m) => m.client_id).filter(Boolean));
  if (!sorted.length && pane.loading) frag.append(h('li', { class: 'pane-note', text: 'Загрузка…' }));
  else if (!sorted.length && !hasOutbox(pane.id)) frag.append(h('li', { class: 'pane-note', text: 'Сообщений пока нет' }));
  let lastDay = '';
  for (const m of sorted) {
    const day = parseTime(m.created_at)?.toDateString() || '';
    if (day && day !== lastDay) {
      lastDay = day;
      frag.append(h('li', { class: 'day-sep', text: fmtDateTime(m.created_at).split(' ')[0] }));
    }
    frag.append(renderMessageEl(m));
  }
  for (const item of state.outbox.values()) {
    if (item.conversation_id !== pane.id || sentIds.has(item.client_id)) continue;
    frag.append(
      renderMessageEl(
        { author: 'operator', author_name: state.me?.name, text: item.text, created_at: item.created_at },
        { pending: item },
      ),
    );
  }
  list.replaceChildren(frag);
  if (stick || atBottom) list.scrollTop = list.scrollHeight;
}

function hasOutbox(id) {
  for (const item of state.outbox.values()) if (item.conversation_id === id) return true;
  return false;
}
