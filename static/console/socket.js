// Console: the /operator Socket.IO connection (docs/protocol.md) and its events.

import { deliverFromChat, onMessage, onPage, onReceipt, onVisitorTyping, queueEntry, removeChat, setQueue, setVisitorTyping, upsertChat } from './chats.js';
import { onActivity, onCart, onPurchase } from './context.js';
import { refreshHotPopup, renderHotManage } from './hot-replies.js';
import { toast } from './notify.js';
import { flushOutbox } from './outbox.js';
import { closePane, loadPane, renderTransferSelect } from './panes.js';
import { setBanner, showLogin } from './session.js';
import { renderAll, renderMe } from './sidebar.js';
import { net, state } from './state.js';
import { applyQueueDelta, numbered } from './queue-delta.js';
import { applyInitTasks, onTask } from './tasks.js';
import { errorText } from './texts.js';
import { io } from '/vendor/socket.io.esm.min.js';
import { emitAck } from '../shared/ack.js';
import { transportOptions, watchTransport } from '../shared/transport.js';

/** An acked request over the current socket: the server's reply or {ok: false, error: {code}}. */
export function request(event, payload) {
  return emitAck(net.socket, event, payload);
}

/** Fire-and-forget with an ack (so failures come back to us, not as `error` events). */
export function emitQuiet(event, payload) {
  request(event, payload).then((res) => {
    if (!res.ok && res.error?.code !== 'offline' && res.error?.code !== 'timeout') {
      console.warn(`[console] ${event} failed`, res.error);
    }
  });
}

export function teardownSocket() {
  if (!net.socket) return;
  const s = net.socket;
  net.socket = null;
  s.removeAllListeners();
  s.disconnect();
}

export function connect() {
  teardownSocket();
  // WebSocket, or long-polling where a proxy blocks it (static/shared/transport.js).
  const s = io('/operator', { ...transportOptions(), withCredentials: true, auth: { queue: 'delta' } });
  net.socket = s;
  watchTransport(s);

  s.on('connect', () => {
    setBanner(false);
  });

  s.on('disconnect', (reason) => {
    if (net.socket !== s) return;
    delete document.body.dataset.ready;
    setBanner(true);
    for (const pane of state.panes.values()) {
      pane.typingSent = false;
      setVisitorTyping(pane, false);
    }
    // The server dropped us on purpose: socket.io will not retry by itself.
    if (reason === 'io server disconnect') setTimeout(() => net.socket === s && s.connect(), 1000);
  });

  s.on('connect_error', (err) => {
    if (net.socket !== s) return;
    if (err?.data?.code === 'unauthorized') {
      showLogin('Сессия истекла — войдите снова');
      return;
    }
    setBanner(true);
    // A refusal by the namespace (err.data set) is not retried automatically.
    if (!s.active) setTimeout(() => net.socket === s && !s.connected && s.connect(), 2000);
  });

  s.on('init', (data) => net.socket === s && applyInit(data));
  s.on('chat', (chat) => net.socket === s && upsertChat(chat, { live: true }));
  s.on('chat_removed', (ev) => net.socket === s && removeChat(ev));
  s.on('queue.delta', (d) => net.socket === s && setQueue(applyQueueDelta(state.queue, d), { live: true }));
  s.on('queue', (list) => net.socket === s && setQueue(numbered(list), { live: true })); // a server without deltas
  s.on('message', (m) => net.socket === s && onMessage(m, { live: true }));
  s.on('typing', (ev) => net.socket === s && onVisitorTyping(ev));
  s.on('receipt', (ev) => net.socket === s && onReceipt(ev));
  s.on('page', (ev) => net.socket === s && onPage(ev));
  s.on('task', (task) => net.socket === s && onTask(task, { live: true }));
  s.on('cart', (ev) => net.socket === s && onCart(ev));
  s.on('activity', (ev) => net.socket === s && onActivity(ev));
  s.on('purchase', (ev) => net.socket === s && onPurchase(ev));
  s.on('team', (team) => {
    if (net.socket !== s) return;
    state.team = Array.isArray(team) ? team : [];
    for (const pane of state.panes.values()) renderTransferSelect(pane);
  });
  s.on('hot_replies', (list) => {
    if (net.socket !== s) return;
    state.hotReplies = Array.isArray(list) ? list : [];
    renderHotManage();
    refreshHotPopup();
  });
  s.on('error', (e) => {
    if (net.socket !== s) return;
    toast(errorText(e), 'error');
  });
}

function applyInit(data) {
  state.inits += 1;
  state.me = data.operator || state.me;
  state.chats = new Map((data.chats || []).map((c) => [c.id, c]));
  state.queue = numbered(data.queue);
  state.hotReplies = Array.isArray(data.hot_replies) ? data.hot_replies : [];
  state.team = Array.isArray(data.team) ? data.team : [];
  state.deliveredSent.clear();
  state.readSent.clear();
  applyInitTasks(data.tasks);

  for (const chat of state.chats.values()) deliverFromChat(chat);

  // Rebuild open panes: reload those still reachable, drop the rest.
  for (const pane of [...state.panes.values()]) {
    if (state.chats.has(pane.id) || queueEntry(pane.id)) loadPane(pane);
    else closePane(pane.id);
  }

  renderMe();
  renderAll();
  renderHotManage();
  // Connected and in sync with the server (tests and styles may wait for it).
  document.body.dataset.ready = '1';
  flushOutbox();
}
