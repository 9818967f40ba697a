// Console: the views (loading, login, app), logging in and out over HTTP, starting the console.

import { closeHotPopup } from './hot-replies.js';
import { updateTitle } from './notify.js';
import { renderAll, renderMe } from './sidebar.js';
import { connect, teardownSocket } from './socket.js';
import { state, ui } from './state.js';
import { renderTasks } from './tasks.js';
import { ERROR_TEXT, errorText } from './texts.js';
import { byTestId } from '../shared/dom.js';

function showView(name) {
  document.body.dataset.view = name;
  ui.loginView.hidden = name !== 'login';
  ui.appView.hidden = name !== 'app';
}

export function showLogin(message) {
  teardownSocket();
  resetState();
  showView('login');
  ui.loginSubmit.disabled = false;
  ui.loginError.textContent = message || '';
  ui.loginError.hidden = !message;
  const nameInput = byTestId('login-name');
  (nameInput.value ? byTestId('login-password') : nameInput).focus();
}

export function setBanner(visible) {
  ui.banner.hidden = !visible;
  document.body.classList.toggle('offline', visible);
}

export async function boot() {
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
