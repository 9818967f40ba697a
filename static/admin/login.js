// /admin/login: the admin's own log-in. POST /admin/login refuses operators who are not admins
// (not_admin) without starting a session; on success, back to the page that sent us here.

import { byTestId } from '../shared/dom.js';

const TEXT = {
  bad_credentials: 'Неверный логин или пароль',
  not_admin: 'Это учётная запись оператора, а не администратора. Операторы работают в консоли.',
  deactivated: 'Учётная запись отключена. Обратитесь к администратору.',
  invalid_payload: 'Введите логин и пароль',
};

/** Only a page of the admin, never another site (`next` comes from the address bar). */
function nextPage() {
  const next = new URLSearchParams(location.search).get('next') || '';
  const page = next.startsWith('/admin') && !next.startsWith('/admin/login') && !next.includes('//')
    ? next
    : '/admin';
  // A fragment (/admin#operators) stays on the URL through the server's redirect, not in next.
  return page.includes('#') ? page : page + location.hash;
}

const form = byTestId('admin-login-form');
const error = byTestId('admin-login-error');
const submit = byTestId('admin-login-submit');

function say(text) {
  error.textContent = text;
  error.hidden = !text;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const login = form.elements.login.value.trim();
  const password = form.elements.password.value;
  if (!login || !password) return say(TEXT.invalid_payload);
  submit.disabled = true;
  say('');
  try {
    const res = await fetch('/admin/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ login, password }),
    });
    const data = await res.json().catch(() => null);
    if (res.ok) {
      location.assign(nextPage());
      return;
    }
    const err = data?.error || {};
    error.dataset.code = err.code || '';
    if (err.code === 'rate_limited') say(`Слишком много попыток — повторите через ${err.retry_after} с`);
    else say(TEXT[err.code] || err.message || `Ошибка ${res.status}`);
    form.elements.password.value = '';
  } catch {
    say('Сервер недоступен');
  } finally {
    submit.disabled = false;
  }
});

form.elements.login.focus();
