// What the widget honestly says about who can answer (docs/protocol.md, `availability`).
// Pure: the texts and the choice of words, given the server's Availability, the visitor's own
// conversation and the locale; unit-tested in tests/js/availability.test.js.

const TEXTS = {
  ru: {
    online: 'Операторы на связи',
    reply: (d) => `Операторы на связи, ответим примерно за ${d}`,
    busy: 'Все операторы заняты',
    busyWait: (d) => `Все операторы заняты, ожидание около ${d}`,
    queue: (n) => `Все операторы заняты. Ваше место в очереди: ${n}`,
    queueWait: (n, d) => `Все операторы заняты. Ваше место в очереди: ${n}, ожидание около ${d}`,
    offlineWhen: (w) => `Сейчас никого нет. Оставьте сообщение или закажите звонок — ответим ${w}`,
    offlineSoon: 'Сейчас никого нет. Оставьте сообщение или закажите звонок — ответим, как только оператор будет на месте',
    leftWhen: (w) => `Сообщение оставлено — ответим ${w}`,
    leftSoon: 'Сообщение оставлено — ответим, как только оператор будет на месте',
    today: (hm) => `сегодня с ${hm}`,
    tomorrow: (hm) => `завтра с ${hm}`,
    onDay: (day, hm) => `${day} с ${hm}`,
    sec: (n) => `${n} с`,
    min: (n) => `${n} мин`,
    hours: (h, m) => (m ? `${h} ч ${m} мин` : `${h} ч`),
  },
  en: {
    online: 'Operators are here',
    reply: (d) => `Operators are here, we usually answer within ${d}`,
    busy: 'All operators are busy',
    busyWait: (d) => `All operators are busy, the wait is about ${d}`,
    queue: (n) => `All operators are busy. Your place in the queue: ${n}`,
    queueWait: (n, d) => `All operators are busy. Your place in the queue: ${n}, about ${d} to wait`,
    offlineWhen: (w) => `Nobody is here now. Leave a message or ask for a call-back — we answer ${w}`,
    offlineSoon: 'Nobody is here now. Leave a message or ask for a call-back — we answer as soon as an operator is in',
    leftWhen: (w) => `Message left — we answer ${w}`,
    leftSoon: 'Message left — we answer as soon as an operator is in',
    today: (hm) => `today from ${hm}`,
    tomorrow: (hm) => `tomorrow from ${hm}`,
    onDay: (day, hm) => `on ${day} from ${hm}`,
    sec: (n) => `${n} s`,
    min: (n) => `${n} min`,
    hours: (h, m) => (m ? `${h} h ${m} min` : `${h} h`),
  },
};

const STATES = new Set(['online', 'busy', 'offline']);

/** The server's Availability, checked; null when absent or malformed. */
export function normAvailability(a) {
  if (!a || typeof a !== 'object' || !STATES.has(a.state)) return null;
  const secs = (v) => (Number.isFinite(v) && v > 0 ? Math.round(v) : null);
  const at = typeof a.next_open_at === 'string' && !Number.isNaN(Date.parse(a.next_open_at)) ? a.next_open_at : null;
  return {
    state: a.state,
    reason: a.reason === 'closed' || a.reason === 'nobody' ? a.reason : null,
    reply_seconds: secs(a.reply_seconds),
    seconds_per_place: secs(a.seconds_per_place),
    wait_seconds: secs(a.wait_seconds),
    next_open_at: at,
  };
}

/** A duration as people say it (the server already rounded it). */
export function fmtDuration(seconds, locale = 'ru') {
  const tx = TEXTS[locale] || TEXTS.en;
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return tx.sec(s);
  const minutes = Math.ceil(s / 60);
  if (minutes < 60) return tx.min(minutes);
  return tx.hours(Math.floor(minutes / 60), minutes % 60);
}

/** When the shop opens, in the visitor's own time: "today/tomorrow from 09:00" or the weekday. */
export function fmtOpening(iso, locale = 'ru', now = new Date(), timeZone = undefined) {
  const tx = TEXTS[locale] || TEXTS.en;
  const at = new Date(iso);
  const tag = locale === 'ru' ? 'ru-RU' : 'en-GB';
  const hm = new Intl.DateTimeFormat(tag, { hour: '2-digit', minute: '2-digit', timeZone }).format(at);
  const dayOf = (d) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(d); // YYYY-MM-DD
  const today = dayOf(now);
  if (dayOf(at) === today) return tx.today(hm);
  if (dayOf(at) === dayOf(new Date(Date.parse(today + 'T12:00:00Z') + 86400000))) return tx.tomorrow(hm);
  const day = new Intl.DateTimeFormat(tag, { weekday: 'long', day: 'numeric', month: 'long', timeZone }).format(at);
  return tx.onDay(day, hm);
}

/**
 * The header's line: {kind, text} where kind is online | busy | offline (no chat waiting yet),
 * queue (the visitor's chat waits for a place) or left (left while nobody can answer); null
 * when there is nothing honest to say yet (no availability from the server).
 */
export function describe(availability, conversation, locale = 'ru', now = new Date(), timeZone = undefined) {
  const tx = TEXTS[locale] || TEXTS.en;
  const a = normAvailability(availability);
  const waiting = conversation && conversation.status === 'queued';
  const when = a && a.next_open_at ? fmtOpening(a.next_open_at, locale, now, timeZone) : null;
  if (waiting) {
    if (a && a.state === 'offline') return { kind: 'left', text: when ? tx.leftWhen(when) : tx.leftSoon };
    const n = conversation.queue_position;
    if (n == null) return { kind: 'queue', text: tx.busy };
    const per = a && a.seconds_per_place;
    return { kind: 'queue', text: per ? tx.queueWait(n, fmtDuration(n * per, locale)) : tx.queue(n) };
  }
  if (!a) return null;
  if (a.state === 'online') {
    return { kind: 'online', text: a.reply_seconds ? tx.reply(fmtDuration(a.reply_seconds, locale)) : tx.online };
  }
  if (a.state === 'busy') {
    return { kind: 'busy', text: a.wait_seconds ? tx.busyWait(fmtDuration(a.wait_seconds, locale)) : tx.busy };
  }
  return { kind: 'offline', text: when ? tx.offlineWhen(when) : tx.offlineSoon };
}
