// Console: the sidebar — my status, the lists of chats and queue.

import { takeChat } from './chats.js';
import { renderSidePanel } from './context.js';
import { toast, updateTitle } from './notify.js';
import { layoutPanes, openChat, renderComposerState, renderPaneHead, renderTransferSelect } from './panes.js';
import { request } from './socket.js';
import { state, ui } from './state.js';
import { renderTasks } from './tasks.js';
import { errorText, fmtShortWhen, visitorLabel } from './texts.js';
import { h } from '../shared/dom.js';

export function renderMe() {
  ui.meName.textContent = state.me?.name || state.me?.login || '';
  ui.adminLink.hidden = state.me?.role !== 'admin';
  ui.statusSelect.value = state.me?.status === 'away' ? 'away' : 'online';
  document.body.dataset.status = ui.statusSelect.value;
}

ui.statusSelect.addEventListener('change', async () => {
  const wanted = ui.statusSelect.value;
  const res = await request('status', { status: wanted });
  if (!res.ok) {
    toast(`Не удалось сменить статус: ${errorText(res.error)}`, 'error');
    renderMe();
    return;
  }
  if (res.operator) state.me = res.operator;
  else if (state.me) state.me.status = wanted;
  renderMe();
});

function chatActivity(chat) {
  return Date.parse(chat.last_message?.created_at || chat.created_at || '') || 0;
}

function previewText(m) {
  if (!m) return '';
  const prefix = m.author === 'operator' ? 'Вы: ' : m.author === 'system' ? '• ' : '';
  return prefix + String(m.text ?? '').replace(/\s+/g, ' ');
}

// A chat started while nobody could answer: the visitor was told so and may have gone.
function leftOffline(chat) {
  if (!chat.left_offline) return null;
  return h('span', { class: 'left-offline', testid: 'left-offline', text: 'оставлено, пока никого не было' });
}

export function renderChatList() {
  const chats = [...state.chats.values()].sort((a, b) => chatActivity(b) - chatActivity(a));
  ui.chatList.replaceChildren(
    ...chats.map((chat) => {
      const unread = chat.unread || 0;
      const li = h(
        'li',
        {
          class: `chat-item${state.panes.has(chat.id) ? ' open' : ''}${state.focused === chat.id ? ' focused' : ''}${unread ? ' has-unread' : ''}`,
          testid: 'chat-item',
          dataset: { id: String(chat.id) },
          tabindex: 0,
          role: 'button',
        },
        h(
          'div',
          { class: 'ci-top' },
          h('span', { class: 'ci-name', text: visitorLabel(chat) }),
          h('time', { class: 'ci-time', text: fmtShortWhen(chat.last_message?.created_at || chat.created_at) }),
        ),
        leftOffline(chat),
        h(
          'div',
          { class: 'ci-bottom' },
          h('span', { class: 'ci-preview', text: previewText(chat.last_message) || chat.current_title || '' }),
          h('span', { class: 'badge', testid: 'unread-badge', hidden: !unread, text: String(unread) }),
        ),
      );
      return li;
    }),
  );
  ui.chatEmpty.hidden = chats.length > 0;
  ui.chatCount.textContent = chats.length ? String(chats.length) : '';
}

export function renderQueue() {
  ui.queueList.replaceChildren(
    ...state.queue.map((chat, i) => {
      const take = h('button', { type: 'button', class: 'btn btn-small btn-primary', testid: 'take-button', text: 'Взять' });
      take.addEventListener('click', (ev) => {
        ev.stopPropagation();
        take.disabled = true;
        takeChat(chat.id).finally(() => (take.disabled = false));
      });
      return h(
        'li',
        {
          class: `queue-item${state.focused === chat.id ? ' focused' : ''}`,
          testid: 'queue-item',
          dataset: { id: String(chat.id) },
          tabindex: 0,
          role: 'button',
          title: 'Открыть для просмотра',
        },
        h('span', { class: 'queue-position', testid: 'queue-position', text: String(chat.queue_position ?? i + 1) }),
        h(
          'div',
          { class: 'qi-body' },
          h('div', { class: 'ci-top' }, h('span', { class: 'ci-name', text: visitorLabel(chat) })),
          leftOffline(chat),
          h('span', { class: 'ci-preview', text: previewText(chat.last_message) || chat.current_title || '' }),
          h('span', { class: 'qi-since', text: `ждёт с ${fmtShortWhen(chat.queued_at || chat.created_at)}` }),
        ),
        take,
      );
    }),
  );
  ui.queueEmpty.hidden = state.queue.length > 0;
  ui.queueCount.textContent = state.queue.length ? String(state.queue.length) : '';
}

function itemActivate(list, ev) {
  const item = ev.target.closest('[data-id]');
  if (!item || !list.contains(item)) return;
  const raw = item.dataset.id;
  const id = Number.isNaN(Number(raw)) ? raw : Number(raw);
  openChat(id);
}

for (const list of [ui.chatList, ui.queueList]) {
  list.addEventListener('click', (ev) => itemActivate(list, ev));
  list.addEventListener('keydown', (ev) => {
    if ((ev.key === 'Enter' || ev.key === ' ') && ev.target.matches('[data-id]')) {
      ev.preventDefault();
      itemActivate(list, ev);
    }
  });
}

export function renderAll() {
  renderChatList();
  renderQueue();
  renderTasks();
  for (const pane of state.panes.values()) {
    renderPaneHead(pane);
    renderTransferSelect(pane);
    renderComposerState(pane);
  }
  layoutPanes();
  renderSidePanel();
  updateTitle();
}
