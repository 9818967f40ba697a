// Console: constants, error texts and formats of times, durations and names.

import { pad2 } from '../shared/dom.js';

export const TITLE = 'Prilavok — консоль';
export const MAX_PANES = 4;
export const TYPING_REPEAT_MS = 3000; // re-send typing:true at most this often while typing
export const TYPING_IDLE_MS = 4000; // typing:false after this much silence
export const VISITOR_TYPING_TTL_MS = 8000; // hide the visitor's indicator if no update comes
export const BEEP_COALESCE_MS = 100; // chat + queue + message events of one arrival come together

export const PLACEHOLDER_MINE = 'Сообщение… (/ — ответы)';

export const ERROR_TEXT = {
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
  deactivated: 'Учётная запись отключена — обратитесь к администратору',
  already_taken: 'Задачу уже взял другой оператор',
  already_done: 'Задача уже выполнена',
  rate_limited: 'Слишком много запросов — подождите немного',
  not_queued: 'Чат уже не в очереди',
  invalid_template: 'Ошибка в шаблоне ответа',
  exists: 'Такое сокращение уже есть',
  invalid_phone: 'Неверный номер телефона',
  generic: 'Не удалось выполнить действие',
};

// The console is in Russian: a server error is shown by its code, never by the server's English
// message; an unknown code gets the generic text.
export function errorText(error) {
  const code = error && typeof error === 'object' ? error.code : error;
  if (code === 'rate_limited' && error && typeof error === 'object') {
    return `Слишком много попыток — повторите через ${waitText(error.retry_after)}`;
  }
  if (typeof code === 'string' && Object.hasOwn(ERROR_TEXT, code)) return ERROR_TEXT[code];
  return ERROR_TEXT.generic;
}

export function parseTime(iso) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : new Date(t);
}

export function fmtTime(iso) {
  const d = parseTime(iso);
  return d ? `${pad2(d.getHours())}:${pad2(d.getMinutes())}` : '';
}

export function fmtDateTime(iso) {
  const d = parseTime(iso);
  if (!d) return '';
  return `${pad2(d.getDate())}.${pad2(d.getMonth() + 1)}.${d.getFullYear()} ${fmtTime(iso)}`;
}

export function fmtShortWhen(iso) {
  const d = parseTime(iso);
  if (!d) return '';
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return fmtTime(iso);
  return `${pad2(d.getDate())}.${pad2(d.getMonth() + 1)}`;
}

export function fmtDuration(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  if (hours) return `${hours} ч ${pad2(minutes)} мин ${pad2(seconds)} с`;
  if (minutes) return `${minutes} мин ${pad2(seconds)} с`;
  return `${seconds} с`;
}

export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function visitorLabel(chat) {
  const v = chat?.visitor;
  if (v?.name) return v.name;
  return `Посетитель #${v?.id ?? chat?.id ?? '?'}`;
}

export function windowActive() {
  return document.visibilityState === 'visible' && document.hasFocus();
}

/** "через 3 мин": a server's retry_after in seconds, rounded up to a readable unit. */
export function waitText(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 1));
  if (s < 60) return `${s} с`;
  if (s < 3600) return `${Math.ceil(s / 60)} мин`;
  return `${Math.ceil(s / 3600)} ч`;
}
