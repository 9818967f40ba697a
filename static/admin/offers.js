// /admin/offers: the offers report from /admin/api/offers/report, drawn with textContent only;
// money as «1 234,00 ₽», dates in Russian, an empty state when there is nothing to show.

import { api, clearErrors, fmtRub, isoDate, requireAdmin, showError } from './common.js';
import { h } from '../shared/dom.js';
import { STALE, newestOnly } from '../shared/newest.js';

const COUNTS = ['sent', 'delivered', 'read', 'clicked', 'switched', 'opted_out', 'orders'];
const CHANNELS = { telegram: 'Telegram', viber: 'Viber', sms: 'SMS' };
const STATES = { scheduled: 'ждёт', failed: 'не дошло', switched: 'переключено' };
// Reason keys as the API gives them (bot/delivery_states.py), in words.
const REASONS = {
  no_channel: 'нет настроенного канала', not_linked: 'мессенджер не привязан',
  opted_out: 'отписался', blocked: 'заблокировал бота', not_subscribed: 'не подписан в Viber',
  ignored: 'не читает ни в одном канале', quiet_hours: 'ночь у покупателя',
  out_of_stock: 'нет в наличии', viber_hourly_limit: 'лимит Viber в час',
  rate_limited: 'ограничение скорости', unreachable: 'сервис недоступен',
  busy: 'сервер перегружен, повтор',
  reminder: 'напоминание', rejected: 'отклонено сервисом', delivery_failed: 'не доставлено',
  bad_template: 'ошибка в шаблоне', unread: 'не прочитано подряд',
};
const COUNT = new Intl.NumberFormat('ru-RU');
const DAY = new Intl.DateTimeFormat('ru-RU', { day: 'numeric', month: 'long', year: 'numeric' });

const form = document.getElementById('period');
const table = document.getElementById('report');
const empty = document.querySelector('[data-testid="offers-empty"]');

function numbers(r) {
  return [
    ...COUNTS.map((c) => h('td', { class: 'col-num', text: COUNT.format(r[c] ?? 0) })),
    h('td', { class: 'col-num nowrap', testid: 'offers-revenue', text: fmtRub(r.revenue) }),
  ];
}

function draw(report) {
  const rows = report.rows || [];
  table.tBodies[0].replaceChildren(
    ...rows.map((r) =>
      h(
        'tr',
        { testid: 'offers-row' },
        h('td', { text: `${r.title || 'Без названия'} (#${r.offer_id})` }),
        h('td', { text: CHANNELS[r.channel] || r.channel }),
        ...numbers(r),
      ),
    ),
  );
  table.tFoot.replaceChildren(h('tr', { testid: 'offers-total' }, h('td', { text: 'Итого' }), h('td'), ...numbers(report.totals || {})));
  table.hidden = rows.length === 0;
  empty.hidden = rows.length > 0;
  const reasons = report.reasons || [];
  document.getElementById('reasons').tBodies[0].replaceChildren(
    ...reasons.map((r) =>
      h(
        'tr',
        {},
        h('td', { text: `${r.title || 'Без названия'} (#${r.offer_id})` }),
        h('td', { text: STATES[r.state] || r.state }),
        h('td', { title: r.reason, text: REASONS[r.reason] || r.reason }),
        h('td', { class: 'col-num', text: COUNT.format(r.count) }),
      ),
    ),
  );
  document.getElementById('reasons-card').hidden = reasons.length === 0;
  const period = document.querySelector('[data-testid="offers-period"]');
  const start = Date.parse(report.from);
  const end = Date.parse(report.to);
  period.textContent = Number.isNaN(start) || Number.isNaN(end) ? '' : `Период: ${DAY.format(start)} — ${DAY.format(end)}.`;
}

const fetchReport = newestOnly((params) => api('GET', `/admin/api/offers/report?${params}`));

async function load() {
  const params = new URLSearchParams();
  if (form.elements.from.value) params.set('from', `${form.elements.from.value}T00:00:00`);
  if (form.elements.to.value) params.set('to', `${form.elements.to.value}T23:59:59`);
  try {
    const report = await fetchReport(params);
    if (report === STALE) return;
    draw(report);
    clearErrors();
  } catch (err) {
    showError(document.getElementById('offers-error'), err);
  }
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  load();
});

(async () => {
  if (!(await requireAdmin())) return;
  const today = new Date();
  form.elements.to.value = isoDate(today);
  form.elements.from.value = isoDate(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 29));
  await load();
})();
