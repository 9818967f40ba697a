// Prilavok operator console. Plain ES module, no framework.
// Wire contract: docs/protocol.md (HTTP login routes + Socket.IO namespace /operator).
// Every piece of text that comes from the server (messages, visitor names, page titles, URLs)
// is put into the DOM with textContent / createTextNode only, never as HTML.

import { io } from '/vendor/socket.io.esm.min.js';

const TITLE = 'Prilavok — консоль';
const ACK_TIMEOUT = 10000;
const MAX_PANES = 4;
const TYPING_REPEAT_MS = 3000; // re-send typing:true at most this often while typing
const TYPING_IDLE_MS = 4000; // typing:false after this much silence
const VISITOR_TYPING_TTL_MS = 8000; // hide the visitor's indicator if no update comes
const BEEP_COALESCE_MS = 100; // chat + queue + message events of one arrival come together

const PLACEHOLDER_MINE = 'Сообщение… (/ — ответы)';

const ERROR_TEXT = {
  invalid_payload: 'Некорректный запрос',
  empty: 'Пустое сообщение',
  too_long: 'Сообщение слишком длинное',
  not_found: 'Чат не найден',
  forbidden: 'Нет доступа',
  unauthorized: 'Требуется вход',
  conversation_closed: 'Чат уже закрыт',
  unknown_operator: 'Оператор не найден',
  internal: 'Ошибка сервера',
  timeout: 'Сервер не ответил',
  offline: 'Нет соединения',
  bad_credentials: 'Неверный логин или пароль',
  already_taken: 'Задачу уже взял другой оператор',
  already_done: 'Задача уже выполнена',
};

// ---------------------------------------------------------------- DOM helpers

const byTestId = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);

/** Create an element. props: class, testid, text, dataset, on<Event>, attributes. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'testid') el.dataset.testid = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function errorText(error) {
  if (!error) return ERROR_TEXT.internal;
  if (error.code === 'rate_limited') return `Слишком много попыток — повторите через ${waitText(error.retry_after)}`;
  return ERROR_TEXT[error.code] || error.message || error.code || ERROR_TEXT.internal;
}

function waitText(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 1));
  if (s < 60) return `${s} с`;
  if (s < 3600) return `${Math.ceil(s / 60)} мин`;
  return `${Math.ceil(s / 3600)} ч`;
}

function pad2(n) {
  return String(n).padStart(2, '0');
}

function parseTime(iso) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : new Date(t);
}

function fmtTime(iso) {
  const d = parseTime(iso);
  return d ? `${pad2(d.getHours())}:${pad2(d.getMinutes())}` : '';
}

function fmtDateTime(iso) {
  const d = parseTime(iso);
  if (!d) return '';
  return `${pad2(d.getDate())}.${pad2(d.getMonth() + 1)}.${d.getFullYear()} ${fmtTime(iso)}`;
}

function fmtShortWhen(iso) {
  const d = parseTime(iso);
  if (!d) return '';
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return fmtTime(iso);
  return `${pad2(d.getDate())}.${pad2(d.getMonth() + 1)}`;
}

function fmtDuration(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  if (hours) return `${hours} ч ${pad2(minutes)} мин ${pad2(seconds)} с`;
  if (minutes) return `${minutes} мин ${pad2(seconds)} с`;
  return `${seconds} с`;
}

/** Only http(s) URLs become links; anything else (javascript:, data:) is shown as text only. */
function safeHref(url) {
  if (!url) return null;
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function visitorLabel(chat) {
  const v = chat?.visitor;
  if (v?.name) return v.name;
  return `Посетитель #${v?.id ?? chat?.id ?? '?'}`;
}

function windowActive() {
  return document.visibilityState === 'visible' && document.hasFocus();
}

// ---------------------------------------------------------------- state

const state = {
  me: null,
  chats: new Map(), // id -> Chat (mine)
  queue: [], // Chat[]
  hotReplies: [],
  team: [],
  panes: new Map(), // id -> Pane
  focused: null, // pane id
  outbox: new Map(), // client_id -> {client_id, conversation_id, text, created_at, status, error, attempt}
  takenByMe: new Set(), // ids I took, so their `chat` event does not beep
  deliveredSent: new Map(), // conversation id -> up_to already reported
  readSent: new Map(),
  inits: 0,
  tasks: new Map(), // id -> Task (open or taken; done ones are dropped)
  freshTasks: new Set(), // task ids that arrived live and nobody has looked at yet
};

let socket = null;

const ui = {
  loginView: document.getElementById('login-view'),
  appView: document.getElementById('app-view'),
  loginForm: byTestId('login-form'),
  loginError: byTestId('login-error'),
  loginSubmit: byTestId('login-submit'),
  banner: byTestId('connection-banner'),
  meName: byTestId('me-name'),
  statusSelect: byTestId('status-select'),
  logout: byTestId('logout'),
  chatList: byTestId('chat-list'),
  chatEmpty: document.getElementById('chat-empty'),
  chatCount: document.getElementById('chat-count'),
  queueList: byTestId('queue-list'),
  queueEmpty: document.getElementById('queue-empty'),
  queueCount: document.getElementById('queue-count'),
  workspace: document.getElementById('workspace'),
  workspaceEmpty: document.getElementById('workspace-empty'),
  sideBody: document.getElementById('side-body'),
  hotOpen: byTestId('hot-manage-open'),
  hotDialog: byTestId('hot-manage-dialog'),
  hotList: document.getElementById('hot-manage-list'),
  hotForm: document.getElementById('hot-form'),
  hotFormError: document.getElementById('hot-form-error'),
  hotFormReset: document.getElementById('hot-form-reset'),
  toasts: document.getElementById('toasts'),
  taskList: byTestId('task-list'),
  taskEmpty: document.getElementById('task-empty'),
  taskCount: document.getElementById('task-count'),
  taskFresh: document.getElementById('task-fresh'),
  taskSection: byTestId('task-section'),
  adminLink: byTestId('admin-link'),
};

// ---------------------------------------------------------------- toasts

function toast(text, kind = 'info') {
  const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status', text });
  ui.toasts.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 6000 : 4000);
}

// ---------------------------------------------------------------- sound + title

let audioCtx = null;
let lastBeepAt = -Infinity;

function ensureAudio() {
  if (!audioCtx) {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    try {
      audioCtx = new AC();
    } catch {
      return null;
    }
  }
  return audioCtx;
}

function unlockAudio() {
  const ctx = ensureAudio();
  if (ctx && ctx.state === 'suspended') ctx.resume().catch(() => {});
}
document.addEventListener('pointerdown', unlockAudio, { capture: true });
document.addEventListener('keydown', unlockAudio, { capture: true });

function beep() {
  const now = performance.now();
  if (now - lastBeepAt < BEEP_COALESCE_MS) return; // one chime for a burst of events
  lastBeepAt = now;
  document.body.dataset.soundCount = String(Number(document.body.dataset.soundCount || 0) + 1);
  const ctx = ensureAudio();
  if (!ctx) return;
  try {
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    const t = ctx.currentTime;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.setValueAtTime(880, t);
    osc.frequency.setValueAtTime(1318.5, t + 0.11);
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.18, t + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + 0.32);
  } catch {
    /* audio is best effort */
  }
}

function totalUnread() {
  let n = 0;
  for (const c of state.chats.values()) n += c.unread || 0;
  return n;
}

function updateTitle() {
  const n = totalUnread() + state.freshTasks.size;
  document.title = n > 0 ? `(${n}) ${TITLE}` : TITLE;
}

// ---------------------------------------------------------------- views

function showView(name) {
  document.body.dataset.view = name;
  ui.loginView.hidden = name !== 'login';
  ui.appView.hidden = name !== 'app';
}

function showLogin(message) {
  teardownSocket();
  resetState();
  showView('login');
  ui.loginSubmit.disabled = false;
  ui.loginError.textContent = message || '';
  ui.loginError.hidden = !message;
  const nameInput = byTestId('login-name');
  (nameInput.value ? byTestId('login-password') : nameInput).focus();
}

function setBanner(visible) {
  ui.banner.hidden = !visible;
  document.body.classList.toggle('offline', visible);
}

// ---------------------------------------------------------------- HTTP: login / logout

async function boot() {
  showView('loading');
  try {
    const res = await fetch('/console/api/me', {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
      cache: 'no-store',
    });
    if (res.ok) {
      const data = await res.json();
      startConsole(data.operator);
      return;
    }
    showLogin(res.status === 401 ? '' : `Сервер ответил ${res.status}`);
  } catch {
    showLogin('Сервер недоступен. Попробуйте ещё раз.');
  }
}

ui.loginForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const login = byTestId('login-name').value.trim();
  const password = byTestId('login-password').value;
  ui.loginError.hidden = true;
  if (!login || !password) {
    ui.loginError.textContent = 'Введите логин и пароль';
    ui.loginError.hidden = false;
    return;
  }
  ui.loginSubmit.disabled = true;
  try {
    const res = await fetch('/console/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ login, password }),
    });
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (res.ok && data?.operator) {
      byTestId('login-password').value = '';
      startConsole(data.operator);
      return;
    }
    ui.loginError.textContent =
      res.status === 401 ? ERROR_TEXT.bad_credentials : errorText(data?.error) || `Ошибка ${res.status}`;
    ui.loginError.hidden = false;
  } catch {
    ui.loginError.textContent = 'Сервер недоступен';
    ui.loginError.hidden = false;
  } finally {
    ui.loginSubmit.disabled = false;
  }
});

ui.logout.addEventListener('click', async () => {
  teardownSocket();
  try {
    await fetch('/console/logout', { method: 'POST', credentials: 'same-origin' });
  } catch {
    /* the cookie is cleared server side; nothing else to do */
  }
  showLogin('');
});

function startConsole(operator) {
  resetState();
  state.me = operator;
  showView('app');
  renderMe();
  renderAll();
  connect();
}

function resetState() {
  for (const pane of state.panes.values()) {
    clearTimeout(pane.typingStopTimer);
    clearTimeout(pane.visitorTypingTimer);
    pane.el.remove();
  }
  closeHotPopup();
  state.me = null;
  state.chats.clear();
  state.queue = [];
  state.hotReplies = [];
  state.team = [];
  state.panes.clear();
  state.focused = null;
  state.outbox.clear();
  state.takenByMe.clear();
  state.deliveredSent.clear();
  state.readSent.clear();
  state.inits = 0;
  state.tasks.clear();
  state.freshTasks.clear();
  renderTasks();
  if (ui.hotDialog.open) ui.hotDialog.close();
  setBanner(false);
  updateTitle();
}

// ---------------------------------------------------------------- socket

function emitAck(event, payload) {
  return new Promise((resolve) => {
    if (!socket || !socket.connected) {
      resolve({ ok: false, error: { code: 'offline' } });
      return;
    }
    socket.timeout(ACK_TIMEOUT).emit(event, payload, (err, res) => {
      if (err) resolve({ ok: false, error: { code: 'timeout' } });
      else resolve(res && typeof res === 'object' ? res : { ok: false, error: { code: 'internal' } });
    });
  });
}

/** Fire-and-forget with an ack (so failures come back to us, not as `error` events). */
function emitQuiet(event, payload) {
  emitAck(event, payload).then((res) => {
    if (!res.ok && res.error?.code !== 'offline' && res.error?.code !== 'timeout') {
      console.warn(`[console] ${event} failed`, res.error);
    }
  });
}

function teardownSocket() {
  if (!socket) return;
  const s = socket;
  socket = null;
  s.removeAllListeners();
  s.disconnect();
}

function connect() {
  teardownSocket();
  const s = io('/operator', { transports: ['websocket', 'polling'], withCredentials: true });
  socket = s;

  s.on('connect', () => {
    setBanner(false);
  });

  s.on('disconnect', (reason) => {
    if (socket !== s) return;
    delete document.body.dataset.ready;
    setBanner(true);
    for (const pane of state.panes.values()) {
      pane.typingSent = false;
      setVisitorTyping(pane, false);
    }
    // The server dropped us on purpose: socket.io will not retry by itself.
    if (reason === 'io server disconnect') setTimeout(() => socket === s && s.connect(), 1000);
  });

  s.on('connect_error', (err) => {
    if (socket !== s) return;
    if (err?.data?.code === 'unauthorized') {
      showLogin('Сессия истекла — войдите снова');
      return;
    }
    setBanner(true);
    // A refusal by the namespace (err.data set) is not retried automatically.
    if (!s.active) setTimeout(() => socket === s && !s.connected && s.connect(), 2000);
  });

  s.on('init', (data) => socket === s && applyInit(data));
  s.on('chat', (chat) => socket === s && upsertChat(chat, { live: true }));
  s.on('chat_removed', (ev) => socket === s && removeChat(ev));
  s.on('queue', (list) => socket === s && setQueue(list, { live: true }));
  s.on('message', (m) => socket === s && onMessage(m, { live: true }));
  s.on('typing', (ev) => socket === s && onVisitorTyping(ev));
  s.on('receipt', (ev) => socket === s && onReceipt(ev));
  s.on('page', (ev) => socket === s && onPage(ev));
  s.on('task', (task) => socket === s && onTask(task, { live: true }));
  s.on('cart', (ev) => socket === s && onCart(ev));
  s.on('activity', (ev) => socket === s && onActivity(ev));
  s.on('purchase', (ev) => socket === s && onPurchase(ev));
  s.on('team', (team) => {
    if (socket !== s) return;
    state.team = Array.isArray(team) ? team : [];
    for (const pane of state.panes.values()) renderTransferSelect(pane);
  });
  s.on('hot_replies', (list) => {
    if (socket !== s) return;
    state.hotReplies = Array.isArray(list) ? list : [];
    renderHotManage();
    refreshHotPopup();
  });
  s.on('error', (e) => {
    if (socket !== s) return;
    toast(errorText(e), 'error');
  });
}

function applyInit(data) {
  state.inits += 1;
  state.me = data.operator || state.me;
  state.chats = new Map((data.chats || []).map((c) => [c.id, c]));
  state.queue = Array.isArray(data.queue) ? data.queue : [];
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

// ---------------------------------------------------------------- chats / queue

function queueEntry(id) {
  return state.queue.find((c) => c.id === id) || null;
}

function chatById(id) {
  return state.chats.get(id) || queueEntry(id) || state.panes.get(id)?.chat || null;
}

function isMine(id) {
  return state.chats.has(id);
}

function upsertChat(chat, { live = false } = {}) {
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

function removeChat({ conversation_id: id, reason } = {}) {
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

function setQueue(list, { live = false } = {}) {
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

async function takeChat(id) {
  state.takenByMe.add(id);
  const res = await emitAck('take', { conversation_id: id });
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

function deliverFromChat(chat) {
  const m = chat.last_message;
  if (m && m.author === 'visitor' && !m.delivered_at) markDelivered(chat.id, m.id);
}

function markDelivered(id, upTo) {
  if (!isMine(id) || !upTo) return;
  if (upTo <= (state.deliveredSent.get(id) || 0)) return;
  state.deliveredSent.set(id, upTo);
  emitQuiet('delivered', { conversation_id: id, up_to: upTo });
}

function maxVisitorId(pane) {
  let max = 0;
  for (const m of pane.messages.values()) if (m.author === 'visitor' && m.id > max) max = m.id;
  return max;
}

/** The pane is open: if the window is looked at, the visitor's messages are read. */
function syncRead(pane) {
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

function onMessage(m, { live = false } = {}) {
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

function mergeMessage(prev, next) {
  return {
    ...prev,
    ...next,
    delivered_at: next.delivered_at || prev.delivered_at || null,
    read_at: next.read_at || prev.read_at || null,
  };
}

function onReceipt({ conversation_id: id, field, up_to: upTo, at } = {}) {
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

function onVisitorTyping({ conversation_id: id, typing } = {}) {
  const pane = state.panes.get(id);
  if (pane) setVisitorTyping(pane, Boolean(typing));
  const item = ui.chatList.querySelector(`[data-testid="chat-item"][data-id="${CSS.escape(String(id))}"]`);
  if (item) item.classList.toggle('typing', Boolean(typing));
}

function setVisitorTyping(pane, typing) {
  clearTimeout(pane.visitorTypingTimer);
  pane.refs.typing.hidden = !typing;
  if (typing) pane.visitorTypingTimer = setTimeout(() => (pane.refs.typing.hidden = true), VISITOR_TYPING_TTL_MS);
}

function onPage(ev = {}) {
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

// ---------------------------------------------------------------- outbox (sending)

function sendFromPane(pane) {
  const ta = pane.refs.input;
  const text = ta.value.trim();
  if (!text || pane.renderPending) return;
  if (!isMine(pane.id)) {
    toast('Сначала возьмите чат из очереди', 'error');
    return;
  }
  const item = {
    client_id: newClientId(),
    conversation_id: pane.id,
    text,
    created_at: new Date().toISOString(),
    status: 'pending',
    error: null,
    attempt: 0,
  };
  state.outbox.set(item.client_id, item);
  ta.value = '';
  autosize(ta);
  stopTyping(pane);
  closeHotPopup();
  renderMessages(pane, { stick: true });
  sendItem(item);
  ta.focus();
}

function sendItem(item) {
  item.attempt += 1;
  const attempt = item.attempt;
  item.status = 'pending';
  if (!socket || !socket.connected) {
    item.error = null; // stays queued; flushOutbox() resends after reconnect
    refreshOutboxView(item);
    return;
  }
  const payload = { conversation_id: item.conversation_id, client_id: item.client_id, text: item.text };
  socket.timeout(ACK_TIMEOUT).emit('message', payload, (err, res) => {
    if (state.outbox.get(item.client_id) !== item || item.attempt !== attempt) return;
    if (err) {
      // No answer: keep it and try again (the server dedups by client_id).
      item.error = 'Сервер не ответил — повторим отправку';
      refreshOutboxView(item);
      setTimeout(() => {
        if (state.outbox.get(item.client_id) === item && item.attempt === attempt && socket?.connected) {
          sendItem(item);
        }
      }, 3000);
      return;
    }
    if (res?.ok && res.message) {
      state.outbox.delete(item.client_id);
      onMessage(res.message);
      return;
    }
    item.status = 'error';
    item.error = errorText(res?.error);
    refreshOutboxView(item);
  });
}

function flushOutbox() {
  for (const item of state.outbox.values()) {
    if (item.status === 'pending') sendItem(item);
  }
}

function refreshOutboxView(item) {
  const pane = state.panes.get(item.conversation_id);
  if (pane) renderMessages(pane);
}

// ---------------------------------------------------------------- typing (operator -> visitor)

function onComposerInput(pane) {
  autosize(pane.refs.input);
  updateHotPopup(pane);
  if (!isMine(pane.id)) return;
  if (!pane.refs.input.value.trim()) {
    stopTyping(pane);
    return;
  }
  const now = Date.now();
  if (!pane.typingSent || now - pane.typingLastSent > TYPING_REPEAT_MS) {
    pane.typingSent = true;
    pane.typingLastSent = now;
    emitQuiet('typing', { conversation_id: pane.id, typing: true });
  }
  clearTimeout(pane.typingStopTimer);
  pane.typingStopTimer = setTimeout(() => stopTyping(pane), TYPING_IDLE_MS);
}

function stopTyping(pane) {
  clearTimeout(pane.typingStopTimer);
  if (!pane.typingSent) return;
  pane.typingSent = false;
  if (isMine(pane.id)) emitQuiet('typing', { conversation_id: pane.id, typing: false });
}

function autosize(ta) {
  if (!ta.value) {
    ta.style.height = '';
    return;
  }
  ta.style.height = 'auto';
  ta.style.height = `${Math.min(ta.scrollHeight + 2, 140)}px`;
}

// ---------------------------------------------------------------- panes

function openChat(id) {
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

async function loadPane(pane) {
  pane.loading = true;
  pane.el.classList.add('loading');
  const res = await emitAck('open', { conversation_id: pane.id });
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

function closePane(id) {
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

function focusPane(id, { focusInput = false } = {}) {
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

function layoutPanes() {
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
    const res = await emitAck('close', { conversation_id: id });
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
    const res = await emitAck('transfer', { conversation_id: id, operator_id: target });
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

function renderPaneHead(pane) {
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

function renderComposerState(pane) {
  const mine = isMine(pane.id);
  pane.refs.input.disabled = !mine;
  pane.refs.send.disabled = !mine;
  pane.refs.input.placeholder = mine
    ? PLACEHOLDER_MINE
    : 'Чат в очереди';
}

function renderTransferSelect(pane) {
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

function renderMessages(pane, { stick = false } = {}) {
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

// ---------------------------------------------------------------- composer keys + hot replies

function onComposerKeydown(pane, ev) {
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

const hotPopup = { el: null, pane: null, items: [], index: 0, tokenStart: 0, query: '' };

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

function updateHotPopup(pane) {
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

function closeHotPopup() {
  hotPopup.el?.remove();
  hotPopup.pane = null;
  hotPopup.items = [];
  hotPopup.index = 0;
}

function refreshHotPopup() {
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
  const res = await emitAck('hot_reply.render', { conversation_id: pane.id, hot_reply_id: reply.id });
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

function renderHotManage() {
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
          const res = await emitAck('hot_reply.delete', { id: r.id });
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
  const res = await emitAck('hot_reply.save', payload);
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

// ---------------------------------------------------------------- sidebar rendering

function renderMe() {
  ui.meName.textContent = state.me?.name || state.me?.login || '';
  ui.adminLink.hidden = state.me?.role !== 'admin';
  ui.statusSelect.value = state.me?.status === 'away' ? 'away' : 'online';
  document.body.dataset.status = ui.statusSelect.value;
}

ui.statusSelect.addEventListener('change', async () => {
  const wanted = ui.statusSelect.value;
  const res = await emitAck('status', { status: wanted });
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

function renderChatList() {
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

function renderQueue() {
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

function renderAll() {
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

// ---------------------------------------------------------------- tasks (call-backs, left messages)

const TASK_KINDS = { callback: 'Перезвонить', message: 'Сообщение' };
const TASK_SOURCES = { widget: 'виджет', offer_page: 'страница предложения', telegram: 'Telegram', viber: 'Viber' };

function taskTime(t) {
  return Date.parse(t.created_at || '') || 0;
}

function applyInitTasks(list) {
  const before = new Set(state.tasks.keys());
  const again = state.inits > 1; // a reconnect: tasks that appeared meanwhile are news
  state.tasks = new Map();
  for (const t of Array.isArray(list) ? list : []) {
    if (!t || t.id === undefined || t.status === 'done') continue;
    state.tasks.set(t.id, t);
    if (again && !before.has(t.id) && t.status === 'open') state.freshTasks.add(t.id);
  }
  for (const id of [...state.freshTasks]) {
    if (state.tasks.get(id)?.status !== 'open') state.freshTasks.delete(id);
  }
}

function onTask(task, { live = false } = {}) {
  if (!task || task.id === undefined) return;
  const known = state.tasks.has(task.id);
  if (task.status === 'done') {
    state.tasks.delete(task.id);
    state.freshTasks.delete(task.id);
  } else {
    const prev = state.tasks.get(task.id);
    // operator_name may be missing in someone else's broadcast: keep the one we know.
    if (prev && !task.operator_name && prev.operator_id === task.operator_id) task.operator_name = prev.operator_name;
    state.tasks.set(task.id, task);
    if (task.status !== 'open') state.freshTasks.delete(task.id);
    else if (live && !known) {
      state.freshTasks.add(task.id);
      beep();
    }
  }
  renderTasks();
  updateTitle();
}

function seeTasks() {
  if (!state.freshTasks.size) return;
  state.freshTasks.clear();
  // Only restyle: re-rendering here would swap the button under a click that is under way.
  for (const el of ui.taskList.querySelectorAll('.task-item.fresh')) el.classList.remove('fresh');
  renderTaskCounters();
  updateTitle();
}

ui.taskSection.addEventListener('pointerdown', seeTasks);
ui.taskSection.addEventListener('focusin', seeTasks);

async function advanceTask(task, to, button) {
  button.disabled = true;
  const res = await emitAck('task', { task_id: task.id, to });
  button.disabled = false;
  if (!res.ok) {
    toast(`Не удалось ${to === 'taken' ? 'взять задачу' : 'отметить задачу'}: ${errorText(res.error)}`, 'error');
    return;
  }
  if (res.task) onTask(res.task);
}

function telHref(phone) {
  const digits = String(phone || '').replace(/[^\d+]/g, '');
  return /\d/.test(digits) ? `tel:${digits}` : null;
}

function taskTakenBy(task) {
  if (task.operator_id !== null && task.operator_id !== undefined && task.operator_id === state.me?.id) return 'вы';
  if (task.operator_name) return task.operator_name;
  const member = state.team.find((m) => m.id === task.operator_id);
  return member?.name || 'другой оператор';
}

function renderTaskItem(task) {
  const mine = task.operator_id !== null && task.operator_id !== undefined && task.operator_id === state.me?.id;
  const canFinish = task.status === 'open' || mine || state.me?.role === 'admin';
  const li = h('li', {
    class: `task-item task-${task.status} kind-${task.kind}${state.freshTasks.has(task.id) ? ' fresh' : ''}${mine ? ' mine' : ''}`,
    testid: 'task-item',
    dataset: { id: String(task.id), status: task.status, kind: task.kind },
  });
  li.append(
    h(
      'div',
      { class: 'ti-top' },
      h('span', { class: `task-kind kind-${task.kind}`, testid: 'task-kind', text: TASK_KINDS[task.kind] || task.kind }),
      h('span', { class: 'ti-name', testid: 'task-name', text: task.name || 'Без имени' }),
      h('time', { class: 'ci-time', datetime: task.created_at || '', title: fmtDateTime(task.created_at), text: fmtShortWhen(task.created_at) }),
    ),
  );
  if (task.phone) {
    const href = telHref(task.phone);
    const phone = h('a', { class: 'task-phone', testid: 'task-phone', text: task.phone });
    if (href) phone.href = href;
    li.append(phone);
  }
  if (task.preferred_time) {
    li.append(h('div', { class: 'task-line' }, h('span', { class: 'muted', text: 'Удобно: ' }), h('span', { testid: 'task-preferred-time', text: task.preferred_time })));
  }
  if (task.text) li.append(h('div', { class: 'task-text', testid: 'task-text', text: task.text }));
  if (task.page_url) {
    const href = safeHref(task.page_url);
    const page = h('a', { class: 'task-page', testid: 'task-page', target: '_blank', rel: 'noopener', title: task.page_url, text: task.page_url });
    if (href) page.href = href;
    li.append(page);
  }
  const meta = h('div', { class: 'task-meta' }, h('span', { testid: 'task-source', dataset: { source: task.source }, text: TASK_SOURCES[task.source] || task.source || '' }));
  if (task.status === 'taken') {
    meta.append(h('span', { class: 'task-taken', testid: 'task-taken-by', text: mine ? 'Взяли вы' : `Взял: ${taskTakenBy(task)}` }));
  }
  li.append(meta);
  const actions = h('div', { class: 'task-actions' });
  if (task.status === 'open') {
    const take = h('button', { type: 'button', class: 'btn btn-small btn-primary', testid: 'task-take', text: 'Взять' });
    take.addEventListener('click', () => advanceTask(task, 'taken', take));
    actions.append(take);
  }
  if (canFinish) {
    const done = h('button', { type: 'button', class: 'btn btn-small', testid: 'task-done', text: 'Готово' });
    done.addEventListener('click', () => advanceTask(task, 'done', done));
    actions.append(done);
  }
  if (actions.childNodes.length) li.append(actions);
  return li;
}

function renderTasks() {
  // Newest first: a flood of requests cannot push a new one out of sight.
  const tasks = [...state.tasks.values()].sort((a, b) => taskTime(b) - taskTime(a) || b.id - a.id);
  ui.taskList.replaceChildren(...tasks.map(renderTaskItem));
  ui.taskEmpty.hidden = tasks.length > 0;
  ui.taskCount.textContent = tasks.length ? String(tasks.length) : '';
  renderTaskCounters();
}

function renderTaskCounters() {
  const fresh = state.freshTasks.size;
  ui.taskFresh.hidden = !fresh;
  ui.taskFresh.textContent = fresh ? `+${fresh}` : '';
}

// ---------------------------------------------------------------- live context: cart, activity, purchases

/** Panes showing this conversation or this visitor (a visitor may have one chat open at a time). */
function panesOf(ev) {
  const out = [];
  for (const pane of state.panes.values()) {
    const vid = pane.context?.visitor?.id;
    if (pane.id === ev.conversation_id || (vid !== undefined && ev.visitor_id !== undefined && vid === ev.visitor_id)) out.push(pane);
  }
  return out;
}

function onCart(ev = {}) {
  for (const pane of panesOf(ev)) {
    if (!pane.context) continue;
    pane.context.cart = ev.cart || null;
    if (state.focused === pane.id) renderSidePanel();
  }
}

function onActivity(ev = {}) {
  for (const pane of panesOf(ev)) {
    const ctx = pane.context;
    if (!ctx) continue;
    if ('idle_seconds' in ev) ctx.idle_seconds = ev.idle_seconds;
    if ('hidden' in ev) ctx.hidden = Boolean(ev.hidden);
    if ('exit_intent_at' in ev) ctx.exit_intent_at = ev.exit_intent_at;
    pane.activityAt = Date.now();
    if (state.focused === pane.id) renderSidePanel();
  }
}

function onPurchase(ev = {}) {
  for (const pane of panesOf(ev)) {
    const ctx = pane.context;
    if (!ctx) continue;
    ctx.purchases = Array.isArray(ctx.purchases) ? ctx.purchases : [];
    if (!ctx.purchases.some((p) => p.order_id === ev.order_id)) {
      ctx.purchases.push({ order_id: ev.order_id, total: ev.total, created_at: ev.created_at || new Date().toISOString() });
    }
    if (state.focused === pane.id) renderSidePanel();
  }
}

function fmtMoney(value) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
  const n = Number(value);
  const [int, frac] = Math.abs(n).toFixed(Number.isInteger(n) ? 0 : 2).split('.');
  return `${n < 0 ? '−' : ''}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ' ')}${frac ? `,${frac}` : ''} ₽`;
}

/** Seconds the visitor has been idle now: the last report plus the time since it came. */
function idleNow(pane) {
  const ctx = pane.context;
  if (!ctx || ctx.idle_seconds === null || ctx.idle_seconds === undefined) return null;
  const base = Number(ctx.idle_seconds) || 0;
  if (base <= 0) return 0;
  return base + (Date.now() - (pane.activityAt || pane.contextAt || Date.now())) / 1000;
}

function fillActivity(el, pane) {
  const ctx = pane.context || {};
  const idle = idleNow(pane);
  const parts = [];
  if (idle === null) parts.push(h('span', { class: 'muted', text: 'нет данных' }));
  else if (idle > 0) parts.push(h('span', { class: 'act-idle', testid: 'ctx-idle', dataset: { seconds: String(Math.floor(idle)) }, text: `бездействует ${fmtDuration(idle)}` }));
  else parts.push(h('span', { class: 'act-active', testid: 'ctx-idle', dataset: { seconds: '0' }, text: 'активен' }));
  if (ctx.hidden) parts.push(h('span', { class: 'act-flag act-hidden', testid: 'ctx-hidden', text: 'вкладка скрыта' }));
  if (ctx.exit_intent_at) {
    parts.push(h('span', { class: 'act-flag act-exit', testid: 'ctx-exit-intent', title: fmtDateTime(ctx.exit_intent_at), text: `хотел уйти в ${fmtTime(ctx.exit_intent_at)}` }));
  }
  el.dataset.hidden = ctx.hidden ? 'true' : 'false';
  el.dataset.exitIntent = ctx.exit_intent_at ? 'true' : 'false';
  el.dataset.idle = idle === null ? '' : String(Math.floor(idle));
  el.replaceChildren(...parts.flatMap((part, i) => (i ? [' ', part] : [part])));
}

function cartSection(ctx) {
  const cart = ctx.cart;
  const items = Array.isArray(cart?.items) ? cart.items : [];
  const count = cart?.count ?? items.reduce((n, it) => n + (Number(it.quantity) || 0), 0);
  const box = h('section', {
    class: 'ctx-section ctx-cart',
    testid: 'ctx-cart',
    dataset: { count: String(items.length ? count : 0), total: cart?.total ?? '' },
  });
  box.append(h('h3', { text: items.length ? `Корзина (${count})` : 'Корзина' }));
  if (!items.length) {
    box.append(h('p', { class: 'muted', text: 'Корзина пуста' }));
    return box;
  }
  box.append(
    h(
      'ul',
      { class: 'ctx-cart-items' },
      ...items.map((it) => {
        const href = safeHref(it.url);
        const name = h(href ? 'a' : 'span', { class: 'ctx-cart-name', text: it.name || it.id || '—', title: it.name || '' });
        if (href) {
          name.href = href;
          name.target = '_blank';
          name.rel = 'noopener';
        }
        return h(
          'li',
          { class: 'ctx-cart-item', testid: 'ctx-cart-item', dataset: { id: String(it.id ?? '') } },
          name,
          h('span', { class: 'ctx-cart-qty', text: `${it.quantity ?? 1} × ${fmtMoney(it.price)}` }),
        );
      }),
    ),
    h('div', { class: 'ctx-cart-total' }, h('span', { text: 'Итого' }), h('strong', { testid: 'ctx-cart-total', dataset: { value: cart.total ?? '' }, text: fmtMoney(cart.total) })),
  );
  return box;
}

function purchasesSection(ctx) {
  const list = Array.isArray(ctx.purchases) ? ctx.purchases : [];
  const box = h('section', { class: 'ctx-section ctx-purchases', testid: 'ctx-purchases', dataset: { count: String(list.length) } });
  box.append(h('h3', { text: `Покупки (${list.length})` }));
  if (!list.length) {
    box.append(h('p', { class: 'muted', text: 'Покупок не было' }));
    return box;
  }
  box.append(
    h(
      'ul',
      { class: 'ctx-purchase-list' },
      ...list
        .slice()
        .reverse()
        .map((p) =>
          h(
            'li',
            { class: 'ctx-purchase', testid: 'ctx-purchase', dataset: { orderId: String(p.order_id ?? '') } },
            h('span', { class: 'ctx-purchase-order', text: `№ ${p.order_id ?? '—'}` }),
            h('strong', { text: fmtMoney(p.total) }),
            h('time', { class: 'muted', datetime: p.created_at || '', text: fmtShortWhen(p.created_at) }),
          ),
        ),
    ),
  );
  return box;
}

function identityBox(ctx) {
  const v = ctx.visitor || {};
  const el = h('dd', { testid: 'ctx-identity', dataset: { identified: v.external_id ? 'true' : 'false', verified: v.verified ? 'true' : 'false' } });
  if (v.external_id) {
    el.append(h('span', { class: 'ctx-external-id', text: String(v.external_id) }));
    if (v.verified) el.append(h('span', { class: 'ctx-verified', title: 'Подтверждено подписью магазина', text: ' ✓' }));
    else el.append(h('span', { class: 'muted', title: 'Магазин не подтвердил подпись', text: ' (не подтверждён)' }));
  } else {
    el.append(h('span', { class: 'muted', text: 'не идентифицирован' }));
  }
  return h('div', { class: 'ctx-wide' }, h('dt', { text: 'Покупатель' }), el);
}

function originBox(ctx) {
  const origin = ctx.origin;
  const text = origin === 'invitation' ? 'по приглашению' : origin === 'visitor' ? 'сам' : '—';
  return h(
    'div',
    {},
    h('dt', { text: 'Начал чат' }),
    h('dd', { testid: 'ctx-origin', class: `origin-${origin || 'unknown'}`, dataset: { origin: origin || '' }, text }),
  );
}

// ---------------------------------------------------------------- side panel (context)

function timeOnSite(pane) {
  const ctx = pane.context;
  if (!ctx) return 0;
  const start = parseTime(ctx.visit_started_at);
  if (start) return Math.max(0, (Date.now() - start.getTime()) / 1000);
  return (ctx.time_on_site_seconds || 0) + (Date.now() - pane.contextAt) / 1000;
}

function renderSidePanel() {
  const body = ui.sideBody;
  const pane = state.focused !== null ? state.panes.get(state.focused) : null;
  if (!pane) {
    body.replaceChildren(h('p', { class: 'side-empty', text: 'Откройте чат, чтобы увидеть, где сейчас посетитель.' }));
    return;
  }
  const chat = chatById(pane.id) || pane.chat;
  const ctx = pane.context;
  if (!ctx) {
    body.replaceChildren(
      h('div', { class: 'ctx-visitor' }, h('strong', { text: visitorLabel(chat) })),
      h('p', { class: 'side-empty', text: pane.loading ? 'Загрузка…' : 'Нет данных о визите' }),
    );
    return;
  }

  const url = ctx.current_url || '';
  const href = safeHref(url);
  const link = h('a', { class: 'ctx-url', testid: 'ctx-current-url', target: '_blank', rel: 'noopener', text: url || '—' });
  if (href) link.href = href;

  const pages = Array.isArray(ctx.pages) ? ctx.pages : [];
  const pagesList = h(
    'ol',
    { class: 'ctx-pages', testid: 'ctx-pages' },
    ...pages
      .slice()
      .reverse()
      .map((p) => {
        const pHref = safeHref(p.url);
        const a = h('a', { target: '_blank', rel: 'noopener', class: 'ctx-page-title', text: p.title || p.url || '—', title: p.url || '' });
        if (pHref) a.href = pHref;
        return h(
          'li',
          { class: 'ctx-page', testid: 'ctx-page' },
          h('time', { datetime: p.viewed_at || '', text: fmtTime(p.viewed_at) }),
          h('div', { class: 'ctx-page-body' }, a, h('span', { class: 'ctx-page-url', text: p.url || '' })),
        );
      }),
  );

  const earlier = Array.isArray(ctx.earlier) ? ctx.earlier : [];
  const earlierBox = h(
    'div',
    { class: 'ctx-earlier', testid: 'ctx-earlier' },
    ...(earlier.length
      ? earlier.map((c) => {
          const msgs = Array.isArray(c.messages) ? c.messages : [];
          return h(
            'details',
            { class: 'ctx-conv', dataset: { id: String(c.id) } },
            h(
              'summary',
              {},
              h('span', { text: fmtDateTime(c.created_at) }),
              h('span', { class: 'muted', text: ` · ${c.operator_name || 'без оператора'} · ${msgs.length} сообщ.` }),
            ),
            h(
              'ol',
              { class: 'ctx-conv-messages' },
              ...msgs.map((m) =>
                h(
                  'li',
                  { class: `ctx-msg ctx-msg-${m.author}` },
                  h('span', { class: 'ctx-msg-who', text: `${fmtTime(m.created_at)} ${m.author === 'visitor' ? 'Посетитель' : m.author === 'system' ? 'Система' : m.author_name || 'Оператор'}:` }),
                  h('span', { class: 'ctx-msg-text', text: m.text ?? '' }),
                ),
              ),
            ),
          );
        })
      : [h('p', { class: 'muted', text: 'Раньше не обращался' })]),
  );

  const openIds = new Set(
    [...body.querySelectorAll('details.ctx-conv[open]')].map((d) => d.dataset.id),
  );
  for (const d of earlierBox.querySelectorAll('details.ctx-conv')) if (openIds.has(d.dataset.id)) d.open = true;

  const locale = ctx.visitor?.locale ? ` · ${String(ctx.visitor.locale).toUpperCase()}` : '';
  const activity = h('div', { class: 'ctx-activity', testid: 'ctx-activity' });
  fillActivity(activity, pane);
  body.replaceChildren(
    h('div', { class: 'ctx-visitor' }, h('strong', { text: visitorLabel({ visitor: ctx.visitor || chat?.visitor, id: pane.id }) }), h('span', { class: 'muted', text: locale })),
    h(
      'section',
      { class: 'ctx-section' },
      h('h3', { text: 'Сейчас на странице' }),
      h('div', { class: 'ctx-title', testid: 'ctx-current-title', text: ctx.current_title || '—' }),
      link,
      activity,
    ),
    h(
      'dl',
      { class: 'ctx-stats' },
      h('div', {}, h('dt', { text: 'Время на сайте' }), h('dd', { testid: 'ctx-time-on-site', text: fmtDuration(timeOnSite(pane)) })),
      h('div', {}, h('dt', { text: 'Визитов' }), h('dd', { testid: 'ctx-visits', text: String(ctx.visits_count ?? 1) })),
      originBox(ctx),
      identityBox(ctx),
    ),
    cartSection(ctx),
    purchasesSection(ctx),
    h('section', { class: 'ctx-section' }, h('h3', { text: `Страницы за визит (${pages.length})` }), pagesList),
    h('section', { class: 'ctx-section' }, h('h3', { text: `Прошлые обращения (${earlier.length})` }), earlierBox),
  );
}

setInterval(() => {
  const pane = state.focused !== null ? state.panes.get(state.focused) : null;
  const el = byTestId('ctx-time-on-site', ui.sideBody);
  if (pane && el) el.textContent = fmtDuration(timeOnSite(pane));
  const act = byTestId('ctx-activity', ui.sideBody);
  if (pane && act && pane.context) fillActivity(act, pane);
}, 1000);

// ---------------------------------------------------------------- keyboard niceties

document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && hotPopup.el) closeHotPopup();
});


boot();
