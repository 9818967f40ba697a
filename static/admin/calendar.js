// /admin/calendar: the offer calendar's rules with their reports, a new rule, the period
// between two offers. Server text goes into the DOM via textContent only (h()).
import { api, showError, startPage } from './common.js';
import { busy } from './forms.js';
import { h } from '../shared/dom.js';
import { STALE, newestOnly } from '../shared/newest.js';

const KINDS = { accessory: 'аксессуар', upgrade: 'новая модель', gift: 'звонок о подарке' };
const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
const money = (x) => (x === null || x === undefined ? '—' : Number(x).toFixed(2));

function band(r) {
  if (r.price_min === null && r.price_max === null) return 'любая цена';
  return `${r.price_min ?? 0} … ${r.price_max ?? '∞'} ₽`;
}

function upliftText(u) {
  if (!u) return 'нет контрольной группы';
  return `${pct(u.uplift)} (95% ДИ ${pct(u.ci_low)} … ${pct(u.ci_high)})`;
}

function ruleCard(rule, report, onChange) {
  const r = report || {};
  const slot = h('div', { class: 'error-slot' });
  const toggle = h('button', {
    class: 'btn', text: rule.enabled ? 'Выключить' : 'Включить', testid: `calendar-toggle-${rule.id}`,
  });
  toggle.addEventListener('click', () => busy(toggle, async () => {
    try {
      if (rule.enabled) await api('DELETE', `/admin/api/calendar/rules/${rule.id}`);
      else await api('PUT', `/admin/api/calendar/rules/${rule.id}`, { ...editable(rule), enabled: true });
      await onChange();
    } catch (err) {
      showError(slot, err);
    }
  }));
  const sent = Object.entries(r.sent || {}).map(([c, n]) => `${c}: ${n}`).join(', ') || '—';
  const what = rule.kind === 'accessory' ? `${KINDS[rule.kind]} из «${rule.offer_category}»` : KINDS[rule.kind];
  return h('article', { class: 'card journey', testid: `calendar-rule-${rule.id}` },
    h('h2', { text: `${rule.name} (${rule.shop_id})${rule.enabled ? '' : ' — выключено'}` }),
    h('p', { text: `После покупки в «${rule.category}» (${band(rule)}) через ${rule.delay_days} дн.: ${what}; ` +
      `контрольная группа ${rule.holdout_percent}%` }),
    h('p', { text: `Запланировано: ${r.planned ?? 0}, в контроле: ${r.held_out ?? 0}, отправлено: ${sent}, ` +
      `переходы: ${r.clicked ?? 0}, заказы: ${r.ordered ?? 0}, выручка: ${money(r.revenue)} ₽, ` +
      `затраты: ${money(r.cost)} ₽, выручка на рубль: ${money(r.revenue_per_ruble)}` }),
    h('p', { text: `Прирост к контролю: ${upliftText(r.uplift)}` }),
    h('p', { text: `Затраты по каналам: ${Object.entries(r.cost_by_channel || {})
      .map(([c, x]) => `${c} ${money(x)} ₽`).join(', ') || '—'}` }),
    toggle, slot);
}

function editable(rule) {
  const out = {};
  for (const k of ['shop_id', 'name', 'kind', 'category', 'price_min', 'price_max', 'offer_category',
    'delay_days', 'enabled', 'holdout_percent', 'template', 'sms_template']) out[k] = rule[k];
  return out;
}

function formBody(form) {
  const v = (name) => form.elements[name].value.trim();
  const num = (name) => (v(name) === '' ? null : Number(v(name)));
  return {
    shop_id: v('shop_id'), name: v('name'), kind: v('kind'), category: v('category'),
    price_min: num('price_min'), price_max: num('price_max'),
    offer_category: v('offer_category') || null, delay_days: Number(v('delay_days')),
    holdout_percent: Number(v('holdout_percent') || 0), template: v('template'),
    sms_template: v('sms_template') || null,
  };
}

const fetchRules = newestOnly(() => Promise.all([
  api('GET', '/admin/api/calendar/rules'), api('GET', '/admin/api/calendar/report'),
]));

async function load() {
  const got = await fetchRules();
  if (got === STALE) return;
  const [rules, report] = got;
  const byId = Object.fromEntries(report.rules.map((r) => [r.id, r]));
  const box = document.getElementById('rules');
  const cards = rules.rules.map((rule) => ruleCard(rule, byId[rule.id], load));
  box.replaceChildren(...(cards.length ? cards : [h('p', { class: 'muted', text: 'Правил пока нет.' })]));
}

function wire() {
  const errors = document.getElementById('calendar-error');
  const form = document.getElementById('rule-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('POST', '/admin/api/calendar/rules', formBody(form));
      form.reset();
      await load();
    } catch (err) {
      showError(errors, err);
    }
  });
  const period = document.getElementById('period-form');
  period.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('PUT', '/admin/api/calendar/settings', {
        shop_id: period.elements.shop_id.value.trim(), period_days: Number(period.elements.period_days.value),
      });
      period.querySelector('button').textContent = 'Сохранено';
      await load();
    } catch (err) {
      showError(errors, err);
    }
  });
}

startPage(wire, load, 'calendar-error');
