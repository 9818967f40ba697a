// Prilavok admin pages: shared helpers (auth check, JSON API with CSRF, number formats).
// Contract: docs/protocol.md, "Admin HTTP API".
// Text from the server (names, rule texts, URLs) goes into the DOM via textContent only.

import { h, pad2 } from '../shared/dom.js';

// ---------------------------------------------------------------- API

const ERROR_TEXT = {
  invalid_payload: 'Некорректные данные',
  not_found: 'Не найдено',
  forbidden: 'Только для администраторов',
  unauthorized: 'Сессия истекла — войдите в консоль снова',
  csrf: 'Сессия устарела — обновите страницу',
  conflict: 'Конфликт',
  already_exists: 'Такая запись уже есть',
  internal: 'Ошибка сервера',
  network: 'Сервер недоступен',
  unsupported_media_type: 'Неверный формат запроса',
  exists: 'Такая запись уже есть',
  weak_password: 'Слишком короткий пароль: не меньше 8 символов',
  self: 'Нельзя отключить самого себя',
  deactivated: 'Учётная запись отключена',
  not_admin: 'Это не учётная запись администратора',
  bad_credentials: 'Неверный логин или пароль',
  invalid_template: 'Ошибка в шаблоне текста',
  rate_limited: 'Слишком много попыток — подождите немного',
  too_many: 'Слишком много записей в одном запросе',
  generic: 'Не удалось выполнить действие',
};

/** The admin's own log-in page, coming back to this page afterwards. */
export function toLogin() {
  const here = location.pathname + location.search + location.hash;
  location.assign(`/admin/login?next=${encodeURIComponent(here)}`);
}

export class ApiError extends Error {
  constructor(status, error) {
    const code = error?.code || (status ? `http_${status}` : 'network');
    super(error?.message || code);
    this.status = status;
    this.code = code;
    this.serverMessage = error?.message || '';
  }
}

/**
 * A Russian sentence for an API error, by its code: the server's own message is English, so it
 * only goes into the console log; an unknown code gets the generic text.
 */
export function errorText(err) {
  if (!(err instanceof ApiError)) return String(err?.message || err || ERROR_TEXT.generic); // our own texts
  if (err.serverMessage) console.warn('[admin]', err.code, err.serverMessage);
  return Object.hasOwn(ERROR_TEXT, err.code) ? ERROR_TEXT[err.code] : ERROR_TEXT.generic;
}

let csrfToken = '';

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, credentials: 'same-origin', cache: 'no-store', headers };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, { code: 'network', message: '' });
  }
  let data;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  // The session ended (log-out elsewhere, deactivated, a new password): log in again.
  if (res.status === 401) toLogin();
  if (!res.ok) throw new ApiError(res.status, data?.error);
  return data;
}

// ---------------------------------------------------------------- auth gate

/**
 * GET /console/api/me. 401 → the "log in" notice; not an admin → the "admins only" notice.
 * Resolves with the operator when the page may proceed, else with null.
 */
export async function requireAdmin() {
  const show = (view) => {
    document.body.dataset.view = view;
    for (const el of document.querySelectorAll('[data-view-name]')) el.hidden = el.dataset.viewName !== view;
  };
  show('loading');
  let res;
  try {
    res = await fetch('/console/api/me', {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' },
    });
  } catch {
    showFatal('Сервер недоступен. Обновите страницу позже.');
    show('error');
    return null;
  }
  if (res.status === 401) {
    toLogin();
    return null;
  }
  if (!res.ok) {
    showFatal(`Сервер ответил ${res.status}. Обновите страницу позже.`);
    show('error');
    return null;
  }
  const data = await res.json();
  const op = data.operator || {};
  const who = document.getElementById('who');
  if (who) who.textContent = op.name || op.login || '';
  const deniedWho = document.getElementById('denied-who');
  if (deniedWho) deniedWho.textContent = op.login || '';
  wireLogout();
  if (op.role !== 'admin') {
    show('denied');
    return null;
  }
  csrfToken = data.csrf_token || '';
  show('app');
  return op;
}

function wireLogout() {
  for (const btn of document.querySelectorAll('.js-logout')) {
    btn.hidden = false;
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        await fetch('/console/logout', { method: 'POST', credentials: 'same-origin' });
      } finally {
        location.assign('/admin/login');
      }
    });
  }
}

/** Money as shops write it: «1 234,00 ₽». */
const RUB = new Intl.NumberFormat('ru-RU', { style: 'currency', currency: 'RUB' });
export function fmtRub(value) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
  return RUB.format(Number(value));
}

const WHEN = new Intl.DateTimeFormat('ru-RU', { dateStyle: 'medium', timeStyle: 'short' });
/** A moment in Russian, e.g. «2 дек. 2026 г., 03:10»; '—' when there is none. */
export function fmtWhen(iso) {
  if (!iso) return '—';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '—' : WHEN.format(new Date(t));
}

function showFatal(text) {
  const el = document.getElementById('fatal-text');
  if (el) el.textContent = text;
}

// ---------------------------------------------------------------- errors next to forms

/**
 * Show an error in `slot` (an element next to the form). Only one `admin-error` exists at a
 * time on the page, so tests and screen readers find the latest one.
 */
export function showError(slot, errOrText) {
  clearErrors();
  const text = typeof errOrText === 'string' ? errOrText : errorText(errOrText);
  const el = h('p', { class: 'form-error', testid: 'admin-error', role: 'alert', text });
  if (errOrText instanceof ApiError) el.dataset.code = errOrText.code;
  slot.append(el);
  return el;
}

export function clearErrors() {
  for (const el of document.querySelectorAll('[data-testid="admin-error"]')) el.remove();
}

// ---------------------------------------------------------------- formats

/** Digits grouped by thousands with a plain space, '.' as the decimal point. */
export function fmtNumber(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
  const n = Number(value);
  const fixed = Math.abs(n).toFixed(digits);
  const [int, frac] = fixed.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  const sign = n < 0 && Number(fixed) !== 0 ? '−' : '';
  return sign + grouped + (frac ? `.${frac}` : '');
}

/** Like fmtNumber, with an explicit '+' for positive values. */
export function fmtSigned(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
  const s = fmtNumber(value, digits);
  return Number(Number(value).toFixed(digits)) > 0 ? `+${s}` : s;
}

/** Rubles: whole rubles from 100 up, kopecks only for small fractional sums. */
export function fmtMoney(value) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
  const n = Number(value);
  return `${fmtNumber(n, Number.isInteger(n) || Math.abs(n) >= 100 ? 0 : 2)} ₽`;
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) return '—';
  const s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return `${s} с`;
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const secs = s % 60;
  if (hours) return `${hours} ч ${minutes} мин`;
  return secs ? `${minutes} мин ${secs} с` : `${minutes} мин`;
}

/** YYYY-MM-DD of a local date. */
export function isoDate(d) {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/**
 * A page of its own (calendar, journeys): once an admin is signed in, wire its forms and load
 * it; a failed first load shows in `errorId`.
 */
export async function startPage(wire, load, errorId) {
  if (!(await requireAdmin())) return;
  wire();
  try {
    await load();
  } catch (err) {
    showError(document.getElementById(errorId), err);
  }
}
