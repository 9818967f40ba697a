// /admin/journeys: each journey with its report, its definition edited as JSON; channel prices;
// a customer's timeline. Server text goes into the DOM via textContent only (h()).
import { api, showError, startPage } from './common.js';
import { h } from '../shared/dom.js';
import { STALE, newestOnly } from '../shared/newest.js';

const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
const money = (x) => (x === null || x === undefined ? '—' : Number(x).toFixed(2));

function uplift(u) {
  if (!u) return 'нет контрольной группы';
  return `${pct(u.uplift)} (95% ДИ ${pct(u.ci_low)} … ${pct(u.ci_high)})`;
}

function reportTable(report) {
  const rows = (report?.steps || []).map((s) =>
    h('tr', {},
      h('td', { text: String(s.step + 1) }),
      h('td', { text: Object.entries(s.sent).map(([c, n]) => `${c}: ${n}`).join(', ') }),
      h('td', { text: String(s.read) }),
      h('td', { text: String(s.clicked) }),
      h('td', { text: String(s.ordered) }),
      h('td', { text: money(s.revenue) }),
      h('td', { text: money(s.cost) })));
  return h('table', { class: 'report' },
    h('thead', {}, h('tr', {}, ...['Шаг', 'Отправлено', 'Прочитано', 'Переходы', 'Заказы',
      'Выручка', 'Затраты'].map((t) => h('th', { text: t })))),
    h('tbody', {}, ...rows));
}

function journeyCard(j) {
  const r = j.report || {};
  const editor = h('textarea', { rows: '14', cols: '90', testid: `journey-def-${j.key}` });
  editor.value = JSON.stringify(j.definition, null, 2);
  const enabled = h('input', { type: 'checkbox' });
  enabled.checked = j.enabled;
  const holdout = h('input', {
    type: 'number', min: '0', max: '50', value: String(j.holdout_percent), testid: `journey-holdout-${j.key}`,
  });
  const slot = h('div', { class: 'error-slot' });
  const save = h('button', { class: 'btn btn-primary', text: 'Сохранить', testid: `journey-save-${j.key}` });
  save.addEventListener('click', async () => {
    let definition;
    try {
      definition = JSON.parse(editor.value);
    } catch {
      showError(slot, 'Определение — не JSON');
      return;
    }
    try {
      await api('PUT', `/admin/api/journeys/${j.id}`, {
        name: j.name, purpose: j.purpose, enabled: enabled.checked,
        holdout_percent: Number(holdout.value), definition,
      });
      save.textContent = 'Сохранено';
    } catch (err) {
      showError(slot, err);
    }
  });
  return h('article', { class: 'card journey', testid: `journey-${j.key}` },
    h('h2', { text: `${j.name} (${j.shop_id})` }),
    h('p', { text: `Вошли: ${r.entered ?? 0}, в контроле: ${r.held_out ?? 0}, заказы: ${r.ordered ?? 0}, ` +
      `выручка: ${money(r.revenue)} ₽, затраты: ${money(r.cost)} ₽, выручка на рубль: ${money(r.revenue_per_ruble)}` }),
    h('p', { text: `Прирост к контролю: ${uplift(r.uplift)}` }),
    h('p', { text: `Затраты по каналам: ${Object.entries(r.cost_by_channel || {})
      .map(([c, x]) => `${c} ${money(x)} ₽`).join(', ') || '—'}` }),
    reportTable(r),
    h('label', {}, enabled, ' включена'),
    h('label', {}, ' контрольная группа, %: ', holdout),
    editor, slot, save);
}

const fetchJourneys = newestOnly(() => api('GET', '/admin/api/journeys'));

async function load() {
  const box = document.getElementById('journeys');
  const data = await fetchJourneys();
  if (data === STALE) return;
  box.replaceChildren(...data.journeys.map(journeyCard));
  const form = document.getElementById('prices');
  for (const [k, v] of Object.entries(data.prices)) form.elements[k].value = String(v);
}

function wire() {
  const prices = document.getElementById('prices');
  prices.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {};
    for (const k of ['sms', 'viber', 'telegram']) body[k] = Number(prices.elements[k].value || 0);
    try {
      await api('PUT', '/admin/api/channel-prices', body);
      await load();
    } catch (err) {
      showError(document.getElementById('journeys-error'), err);
    }
  });
  const tl = document.getElementById('timeline-form');
  tl.addEventListener('submit', async (e) => {
    e.preventDefault();
    const out = document.getElementById('timeline');
    try {
      const data = await api('GET', `/admin/api/customers/${Number(tl.elements.id.value)}/timeline`);
      out.replaceChildren(h('h3', { text: data.customer.name }), ...data.journeys.map((j) =>
        h('div', { class: 'timeline-run' },
          h('p', { text: `${j.journey}: ${j.trigger_key}, ${j.group}, ${j.state}` +
            `${j.exit_reason ? ` (${j.exit_reason})` : ''}, вошёл ${j.entered_at}` }),
          h('ul', {}, ...j.messages.map((m) => h('li', {
            text: `шаг ${m.step + 1}: ${m.channel || '—'} ${m.state}${m.reason ? ` (${m.reason})` : ''}` +
              `${m.sent_at ? `, отправлено ${m.sent_at}` : ''}${m.read_at ? `, прочитано ${m.read_at}` : ''}`,
          }))))));
    } catch (err) {
      showError(out, err);
    }
  });
}

startPage(wire, load, 'journeys-error');
