// Prilavok admin page (/admin): proactive rules, business hours, operators, global hot replies,
// related goods. Plain ES module; contract: docs/protocol.md, "Admin HTTP API (issue 3)".
// Everything that comes from the server is put into the DOM with textContent only.

import { api, byTestId, clearErrors, fmtNumber, h, requireAdmin, safeHref, showError } from './common.js';

const SECTIONS = ['rules', 'hours', 'operators', 'replies', 'related'];

const state = {
  me: null,
  section: null,
  rules: [],
  editingId: null, // id of the rule in the editor, null for a new one
  settings: null,
  operators: [],
  replies: [],
  related: [],
};

// ---------------------------------------------------------------- navigation

function sectionFromHash() {
  const name = location.hash.replace(/^#/, '');
  return SECTIONS.includes(name) ? name : 'rules';
}

function showSection(name, { push = true } = {}) {
  if (!SECTIONS.includes(name)) name = 'rules';
  state.section = name;
  for (const el of document.querySelectorAll('.section')) el.hidden = el.dataset.section !== name;
  for (const btn of document.querySelectorAll('.sidenav-item')) {
    const on = btn.dataset.section === name;
    btn.classList.toggle('active', on);
    if (on) btn.setAttribute('aria-current', 'page');
    else btn.removeAttribute('aria-current');
  }
  if (push && location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  clearErrors();
  LOADERS[name]();
}

for (const btn of document.querySelectorAll('.sidenav-item')) {
  btn.addEventListener('click', () => showSection(btn.dataset.section));
}
window.addEventListener('hashchange', () => {
  if (state.me && sectionFromHash() !== state.section) showSection(sectionFromHash(), { push: false });
});

// ---------------------------------------------------------------- helpers

/** Disable a button while `work` runs. */
async function busy(button, work) {
  if (button) button.disabled = true;
  try {
    return await work();
  } finally {
    if (button) button.disabled = false;
  }
}

function intOf(input) {
  const raw = String(input.value).trim();
  if (raw === '') return NaN;
  const n = Number(raw);
  return Number.isInteger(n) ? n : NaN;
}

function numberOf(input) {
  const raw = String(input.value).trim().replace(',', '.');
  if (raw === '') return NaN;
  return Number(raw);
}

function flashSaved(el) {
  el.hidden = false;
  clearTimeout(el._timer);
  el._timer = setTimeout(() => (el.hidden = true), 4000);
}

// ================================================================ rules

const CONDITIONS = {
  seconds_on_site: { label: 'Время на сайте', kind: 'value', prefix: 'не меньше', unit: 'секунд', step: '1', def: 30 },
  pages_viewed: { label: 'Просмотрено страниц', kind: 'value', prefix: 'не меньше', unit: 'страниц', step: '1', def: 3 },
  idle_on_page: { label: 'Бездействие на странице', kind: 'idle', def: 60 },
  cart_not_empty: { label: 'Корзина не пуста', kind: 'none', note: 'в корзине есть товары' },
  cart_total_at_least: { label: 'Сумма корзины', kind: 'value', prefix: 'не меньше', unit: '₽', step: 'any', def: 5000 },
  exit_intent: { label: 'Собирается уйти', kind: 'none', note: 'курсор ушёл за верх окна или вкладка скрыта' },
  returning_visitor: { label: 'Вернувшийся посетитель', kind: 'none', note: 'уже был на сайте раньше' },
  customer_known: { label: 'Покупатель известен', kind: 'none', note: 'сайт передал его id (identify)' },
};

const ACTIONS = { invite: 'Пригласить в чат', open: 'Открыть окно чата', callback: 'Обратный звонок' };
const CAPS = { visit: 'раз за визит', day: 'раз в день' };

function conditionSummary(c) {
  const meta = CONDITIONS[c?.type];
  if (!meta) return String(c?.type ?? '?');
  switch (c.type) {
    case 'seconds_on_site':
      return `на сайте ≥ ${fmtNumber(c.value)} с`;
    case 'pages_viewed':
      return `страниц ≥ ${fmtNumber(c.value)}`;
    case 'idle_on_page':
      return `бездействие ${fmtNumber(c.seconds)} с на ${c.url_pattern || '*'}`;
    case 'cart_total_at_least':
      return `корзина ≥ ${fmtNumber(c.value, Number.isInteger(Number(c.value)) ? 0 : 2)} ₽`;
    default:
      return meta.label.toLowerCase();
  }
}

function rulePayload(rule) {
  const { id, ...rest } = rule; // eslint-disable-line no-unused-vars
  return rest;
}

async function loadRules() {
  const slot = document.getElementById('rules-error');
  try {
    const list = await api('GET', '/admin/api/rules');
    state.rules = Array.isArray(list) ? list : [];
  } catch (err) {
    showError(slot, err);
    return;
  }
  renderRules();
}

function renderRules() {
  const body = document.getElementById('rules-body');
  body.replaceChildren(
    ...state.rules.map((rule) => {
      const items = rule.conditions?.items || [];
      const joiner = rule.conditions?.match === 'any' ? ' или ' : ' и ';
      const toggle = h('input', {
        type: 'checkbox',
        testid: 'rule-enabled',
        'aria-label': `Правило «${rule.name}» включено`,
        title: rule.enabled ? 'Включено — нажмите, чтобы выключить' : 'Выключено — нажмите, чтобы включить',
      });
      toggle.checked = Boolean(rule.enabled);
      toggle.addEventListener('change', () => toggleRule(rule, toggle));
      const edit = h('button', { type: 'button', class: 'link-btn', testid: 'rule-edit', text: 'Изменить' });
      edit.addEventListener('click', () => openRuleForm(rule));
      const limits = [CAPS[rule.cap] || rule.cap];
      limits.push(rule.holdout_percent ? `контроль ${rule.holdout_percent} %` : 'без контрольной группы');
      if (rule.fallback_callback) limits.push('звонок, если все заняты');
      return h(
        'tr',
        {
          class: `rule-row${rule.enabled ? '' : ' disabled'}${state.editingId === rule.id ? ' editing' : ''}`,
          testid: 'rule-row',
          dataset: { id: rule.id, enabled: rule.enabled ? 'true' : 'false' },
        },
        h('td', { class: 'col-toggle' }, h('label', { class: 'switch' }, toggle, h('span', { class: 'switch-track', 'aria-hidden': 'true' }))),
        h('td', { class: 'rule-name-cell' }, h('strong', { testid: 'rule-row-name', text: rule.name || '(без названия)' })),
        h('td', { class: 'rule-conds', testid: 'rule-row-conditions', text: items.length ? items.map(conditionSummary).join(joiner) : 'всегда' }),
        h('td', { testid: 'rule-row-action', text: ACTIONS[rule.action] || rule.action }),
        h('td', { class: 'muted', testid: 'rule-row-limits', text: limits.join(' · ') }),
        h('td', { class: 'col-num', text: String(rule.priority ?? 0) }),
        h('td', { class: 'col-actions' }, edit),
      );
    }),
  );
  document.getElementById('rules-empty').hidden = state.rules.length > 0;
}

async function toggleRule(rule, toggle) {
  const wanted = toggle.checked;
  toggle.disabled = true;
  try {
    const saved = await api('PUT', `/admin/api/rules/${encodeURIComponent(rule.id)}`, { ...rulePayload(rule), enabled: wanted });
    replaceRule(saved && saved.id !== undefined ? saved : { ...rule, enabled: wanted });
    clearErrors();
    if (state.editingId === rule.id) ruleForm.elements.enabled.checked = wanted;
  } catch (err) {
    toggle.checked = !wanted;
    showError(document.getElementById('rules-error'), err);
  } finally {
    toggle.disabled = false;
  }
  renderRules();
}

function replaceRule(rule) {
  const i = state.rules.findIndex((r) => r.id === rule.id);
  if (i >= 0) state.rules[i] = rule;
  else state.rules.push(rule);
}

// ---------------------------------------------------------------- rule editor

const ruleForm = document.getElementById('rule-form');
const conditionsList = document.getElementById('conditions');
const ruleSaved = byTestId('rule-saved');
const ruleDelete = byTestId('rule-delete');

function typeOptions(selected) {
  return Object.entries(CONDITIONS).map(([type, meta]) => {
    const opt = h('option', { value: type, text: meta.label });
    if (type === selected) opt.selected = true;
    return opt;
  });
}

/** One condition row. Values typed for each type are kept while the type is switched. */
function conditionRow(cond) {
  const type = CONDITIONS[cond?.type] ? cond.type : 'seconds_on_site';
  const row = h('li', { class: 'condition-row', testid: 'condition-row', dataset: { type } });
  const memory = { [type]: { ...cond } };
  const select = h('select', { testid: 'condition-type', 'aria-label': 'Тип условия' }, typeOptions(type));
  const inputs = h('span', { class: 'cond-inputs' });
  const remove = h('button', { type: 'button', class: 'icon-btn', testid: 'condition-remove', title: 'Убрать условие', 'aria-label': 'Убрать условие', text: '✕' });

  const remember = () => {
    const t = row.dataset.type;
    const v = inputs.querySelector('[data-testid="condition-value"]');
    const s = inputs.querySelector('[data-testid="condition-seconds"]');
    const p = inputs.querySelector('[data-testid="condition-pattern"]');
    memory[t] = { type: t, value: v?.value, seconds: s?.value, url_pattern: p?.value };
  };

  const paint = (t) => {
    row.dataset.type = t;
    const meta = CONDITIONS[t];
    const saved = memory[t] || {};
    if (meta.kind === 'value') {
      const input = h('input', {
        type: 'number',
        min: '0',
        step: meta.step,
        class: 'num-input',
        testid: 'condition-value',
        'aria-label': meta.label,
        required: true,
      });
      input.value = saved.value ?? meta.def;
      inputs.replaceChildren(h('span', { class: 'muted', text: meta.prefix }), input, h('span', { class: 'muted', text: meta.unit }));
    } else if (meta.kind === 'idle') {
      const secs = h('input', { type: 'number', min: '1', step: '1', class: 'num-input', testid: 'condition-seconds', 'aria-label': 'Секунд без действий', required: true });
      secs.value = saved.seconds ?? meta.def;
      const pattern = h('input', {
        type: 'text',
        class: 'pattern-input',
        testid: 'condition-pattern',
        'aria-label': 'Адрес страницы (шаблон)',
        placeholder: '/shop/cart*',
        spellcheck: 'false',
        autocomplete: 'off',
        title: 'Путь страницы; * — любые символы',
      });
      pattern.value = saved.url_pattern ?? '*';
      inputs.replaceChildren(
        secs,
        h('span', { class: 'muted', text: 'секунд без действий на странице' }),
        pattern,
        h('span', { class: 'muted hint-inline', text: '* — любые символы' }),
      );
    } else {
      inputs.replaceChildren(h('span', { class: 'muted', text: meta.note }));
    }
  };

  select.addEventListener('change', () => {
    remember();
    paint(select.value);
  });
  remove.addEventListener('click', () => {
    row.remove();
    renumberConditions();
  });
  paint(type);
  row.append(h('span', { class: 'cond-index', 'aria-hidden': 'true' }), select, inputs, remove);
  return row;
}

function renumberConditions() {
  const rows = [...conditionsList.children];
  rows.forEach((row, i) => {
    const idx = row.querySelector('.cond-index');
    if (idx) idx.textContent = String(i + 1);
  });
  conditionsList.dataset.count = String(rows.length);
}

byTestId('rule-add-condition').addEventListener('click', () => {
  const row = conditionRow({ type: 'seconds_on_site', value: 30 });
  conditionsList.append(row);
  renumberConditions();
  row.querySelector('select').focus();
});

function openRuleForm(rule) {
  clearErrors();
  ruleSaved.hidden = true;
  state.editingId = rule?.id ?? null;
  const f = ruleForm.elements;
  const r = rule || {
    name: '',
    enabled: true,
    priority: 0,
    conditions: { match: 'all', items: [{ type: 'seconds_on_site', value: 30 }] },
    action: 'invite',
    text: '',
    fallback_callback: false,
    cap: 'visit',
    holdout_percent: 10,
  };
  f.name.value = r.name || '';
  f.enabled.checked = Boolean(r.enabled);
  f.priority.value = String(r.priority ?? 0);
  f.match.value = r.conditions?.match === 'any' ? 'any' : 'all';
  f.action.value = ACTIONS[r.action] ? r.action : 'invite';
  f.text.value = r.text || '';
  f.fallback_callback.checked = Boolean(r.fallback_callback);
  f.cap.value = r.cap === 'day' ? 'day' : 'visit';
  f.holdout_percent.value = String(r.holdout_percent ?? 0);
  conditionsList.replaceChildren(...(r.conditions?.items || []).map(conditionRow));
  renumberConditions();
  ruleForm.dataset.id = rule ? String(rule.id) : '';
  document.getElementById('rule-form-title').textContent = rule ? `Правило «${rule.name || rule.id}»` : 'Новое правило';
  ruleDelete.hidden = !rule;
  ruleForm.hidden = false;
  renderRules();
  ruleForm.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  f.name.focus({ preventScroll: true });
}

function closeRuleForm() {
  ruleForm.hidden = true;
  state.editingId = null;
  ruleForm.dataset.id = '';
  clearErrors();
  renderRules();
}

byTestId('rule-new').addEventListener('click', () => openRuleForm(null));
document.getElementById('rule-form-close').addEventListener('click', closeRuleForm);
ruleForm.addEventListener('input', () => (ruleSaved.hidden = true));
ruleForm.addEventListener('change', () => (ruleSaved.hidden = true));

/** The editor's contents as a RuleFull without id, or a string describing what is wrong. */
function readRuleForm() {
  const f = ruleForm.elements;
  const name = f.name.value.trim();
  if (!name) return 'Введите название правила';
  const priority = intOf(f.priority);
  if (Number.isNaN(priority)) return 'Приоритет — целое число';
  const holdout = intOf(f.holdout_percent);
  if (Number.isNaN(holdout)) return 'Контрольная группа — целое число процентов от 0 до 50';
  const items = [];
  for (const [i, row] of [...conditionsList.children].entries()) {
    const type = row.dataset.type;
    const meta = CONDITIONS[type];
    const where = `Условие ${i + 1} («${meta.label}»)`;
    if (meta.kind === 'value') {
      const input = row.querySelector('[data-testid="condition-value"]');
      const value = type === 'cart_total_at_least' ? numberOf(input) : intOf(input);
      if (!Number.isFinite(value)) return `${where}: укажите ${type === 'cart_total_at_least' ? 'число' : 'целое число'}`;
      items.push({ type, value });
    } else if (meta.kind === 'idle') {
      const seconds = intOf(row.querySelector('[data-testid="condition-seconds"]'));
      if (!Number.isFinite(seconds)) return `${where}: укажите число секунд`;
      const pattern = row.querySelector('[data-testid="condition-pattern"]').value.trim() || '*';
      items.push({ type, seconds, url_pattern: pattern });
    } else {
      items.push({ type });
    }
  }
  return {
    name,
    enabled: f.enabled.checked,
    priority,
    conditions: { match: f.match.value === 'any' ? 'any' : 'all', items },
    action: f.action.value,
    text: f.text.value.trim(),
    fallback_callback: f.fallback_callback.checked,
    cap: f.cap.value,
    holdout_percent: holdout,
  };
}

ruleForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const slot = document.getElementById('rule-form-error');
  ruleSaved.hidden = true;
  const payload = readRuleForm();
  if (typeof payload === 'string') {
    showError(slot, payload);
    return;
  }
  await busy(byTestId('rule-save'), async () => {
    try {
      const id = state.editingId;
      const saved =
        id === null
          ? await api('POST', '/admin/api/rules', payload)
          : await api('PUT', `/admin/api/rules/${encodeURIComponent(id)}`, payload);
      clearErrors();
      const rule = saved && saved.id !== undefined ? saved : { ...payload, id };
      if (rule.id !== null && rule.id !== undefined) {
        replaceRule(rule);
        state.editingId = rule.id;
        ruleForm.dataset.id = String(rule.id);
        ruleDelete.hidden = false;
        document.getElementById('rule-form-title').textContent = `Правило «${rule.name || rule.id}»`;
      }
      renderRules();
      ruleSaved.hidden = false;
      loadRules(); // the server may order or normalize; keep the editor as it is
    } catch (err) {
      showError(slot, err);
    }
  });
});

ruleDelete.addEventListener('click', async () => {
  const id = state.editingId;
  if (id === null) return;
  const rule = state.rules.find((r) => r.id === id);
  if (!window.confirm(`Удалить правило «${rule?.name || id}»? Его статистика прироста пропадёт из отчёта.`)) return;
  await busy(ruleDelete, async () => {
    try {
      await api('DELETE', `/admin/api/rules/${encodeURIComponent(id)}`);
      state.rules = state.rules.filter((r) => r.id !== id);
      closeRuleForm();
      loadRules();
    } catch (err) {
      showError(document.getElementById('rule-form-error'), err);
    }
  });
});

// ================================================================ business hours

const DAYS = [
  ['mon', 'Понедельник'],
  ['tue', 'Вторник'],
  ['wed', 'Среда'],
  ['thu', 'Четверг'],
  ['fri', 'Пятница'],
  ['sat', 'Суббота'],
  ['sun', 'Воскресенье'],
];
const DEFAULT_TZ = 'Europe/Moscow';
const hoursForm = document.getElementById('hours-form');

function fillTimezones() {
  const list = document.getElementById('tz-list');
  if (list.children.length) return;
  const first = [
    'Europe/Kaliningrad', 'Europe/Moscow', 'Europe/Samara', 'Asia/Yekaterinburg', 'Asia/Omsk',
    'Asia/Novosibirsk', 'Asia/Krasnoyarsk', 'Asia/Irkutsk', 'Asia/Yakutsk', 'Asia/Vladivostok',
    'Asia/Magadan', 'Asia/Kamchatka', 'Europe/Minsk', 'Asia/Almaty', 'Asia/Tashkent', 'UTC',
  ];
  let all = [];
  try {
    all = Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : [];
  } catch {
    all = [];
  }
  const seen = new Set();
  for (const tz of [...first, ...all]) {
    if (seen.has(tz)) continue;
    seen.add(tz);
    list.append(h('option', { value: tz }));
  }
}

function renderHours() {
  fillTimezones();
  const bh = state.settings?.business_hours || null;
  hoursForm.elements.timezone.value = bh?.timezone || DEFAULT_TZ;
  const days = bh?.days || {};
  // No days at all means "always open" (consult/hours.py); a day missing from a schedule is closed.
  hoursForm.elements.always.checked = Object.keys(days).length === 0;
  document.getElementById('hours-body').replaceChildren(
    ...DAYS.map(([key, label]) => {
      const span = Array.isArray(days[key]) ? days[key] : null;
      const open = h('input', { type: 'checkbox', testid: 'hours-open', 'aria-label': `${label}: работаем` });
      open.checked = Boolean(span);
      const from = h('input', { type: 'time', step: '60', testid: 'hours-from', 'aria-label': `${label}: с` });
      const to = h('input', { type: 'time', step: '60', testid: 'hours-to', 'aria-label': `${label}: до` });
      from.value = span?.[0] || '09:00';
      to.value = span?.[1] || '21:00';
      const row = h(
        'tr',
        { class: `hours-day${span ? '' : ' closed'}`, testid: 'hours-day', dataset: { day: key } },
        h('th', { scope: 'row', text: label }),
        h('td', {}, h('label', { class: 'check' }, open, h('span', { text: 'работаем' }))),
        h('td', {}, from),
        h('td', {}, to),
      );
      const sync = () => {
        from.disabled = !open.checked;
        to.disabled = !open.checked;
        row.classList.toggle('closed', !open.checked);
      };
      open.addEventListener('change', sync);
      sync();
      return row;
    }),
  );
  syncAlways();
}

function syncAlways() {
  const always = hoursForm.elements.always.checked;
  document.getElementById('hours-table').classList.toggle('inactive', always);
  for (const row of document.querySelectorAll('[data-testid="hours-day"]')) {
    const open = byTestId('hours-open', row);
    open.disabled = always;
    byTestId('hours-from', row).disabled = always || !open.checked;
    byTestId('hours-to', row).disabled = always || !open.checked;
  }
}

hoursForm.elements.always.addEventListener('change', () => {
  const always = hoursForm.elements.always.checked;
  if (!always && !document.querySelector('[data-testid="hours-open"]:checked')) {
    // Leaving "always open": start from a plain working week rather than "closed every day".
    for (const row of document.querySelectorAll('[data-testid="hours-day"]')) {
      const weekday = !['sat', 'sun'].includes(row.dataset.day);
      byTestId('hours-open', row).checked = weekday;
      row.classList.toggle('closed', !weekday);
    }
  }
  syncAlways();
});

async function loadHours() {
  try {
    state.settings = (await api('GET', '/admin/api/settings')) || {};
  } catch (err) {
    state.settings = null;
    renderHours();
    showError(document.getElementById('hours-error'), err);
    return;
  }
  renderHours();
}

hoursForm.addEventListener('input', () => (byTestId('hours-saved').hidden = true));
hoursForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const slot = document.getElementById('hours-error');
  const timezone = hoursForm.elements.timezone.value.trim();
  if (!timezone) {
    showError(slot, 'Укажите часовой пояс, например Europe/Moscow');
    return;
  }
  const days = {};
  const always = hoursForm.elements.always.checked;
  for (const row of always ? [] : document.querySelectorAll('[data-testid="hours-day"]')) {
    const key = row.dataset.day;
    if (!byTestId('hours-open', row).checked) {
      days[key] = null;
      continue;
    }
    const from = byTestId('hours-from', row).value;
    const to = byTestId('hours-to', row).value;
    if (!from || !to) {
      showError(slot, `${DAYS.find(([k]) => k === key)[1]}: укажите время начала и конца`);
      return;
    }
    if (from.slice(0, 5) >= to.slice(0, 5)) {
      showError(slot, `${DAYS.find(([k]) => k === key)[1]}: начало должно быть раньше конца`);
      return;
    }
    days[key] = [from.slice(0, 5), to.slice(0, 5)];
  }
  const business_hours = { timezone, days }; // eslint-disable-line camelcase
  await busy(byTestId('hours-save'), async () => {
    try {
      const saved = await api('PUT', '/admin/api/settings', { ...(state.settings || {}), business_hours });
      clearErrors();
      state.settings = saved && saved.business_hours !== undefined ? saved : { ...(state.settings || {}), business_hours };
      renderHours();
      flashSaved(byTestId('hours-saved'));
    } catch (err) {
      showError(slot, err);
    }
  });
});

// ================================================================ operators

const ROLES = { operator: 'оператор', admin: 'администратор' };

function operatorStatus(op) {
  if (!op.online) return { cls: 'offline', text: 'не в сети' };
  if (op.status === 'away') return { cls: 'away', text: 'отошёл' };
  return { cls: 'online', text: 'в сети' };
}

async function loadOperators() {
  try {
    const list = await api('GET', '/admin/api/operators');
    state.operators = Array.isArray(list) ? list : [];
  } catch (err) {
    showError(document.getElementById('operators-error'), err);
    return;
  }
  renderOperators();
}

function renderOperators() {
  document.getElementById('operators-body').replaceChildren(...state.operators.map(operatorRow));
}

function operatorRow(op) {
  const name = h('input', { class: 'cell-input', testid: 'operator-name', maxlength: '200', 'aria-label': `Имя ${op.login}` });
  name.value = op.name || '';
  const role = h(
    'select',
    { testid: 'operator-role', 'aria-label': `Роль ${op.login}` },
    Object.entries(ROLES).map(([value, label]) => h('option', { value, text: label })),
  );
  role.value = ROLES[op.role] ? op.role : 'operator';
  const capacity = h('input', { type: 'number', min: '1', step: '1', class: 'num-input', testid: 'operator-capacity', 'aria-label': `Ёмкость ${op.login}` });
  capacity.value = String(op.capacity ?? '');
  const status = operatorStatus(op);
  const hasRating = op.rating_average !== null && op.rating_average !== undefined && op.rating_count;
  const rating = h('span', {
    class: 'rating',
    testid: 'operator-rating',
    dataset: { value: hasRating ? op.rating_average : '', count: op.rating_count ?? 0 },
    title: hasRating ? `Средняя оценка по ${op.rating_count} отзывам` : 'Оценок пока нет',
  });
  if (hasRating) {
    rating.append(
      h('span', { class: 'rating-star', 'aria-hidden': 'true', text: '★ ' }),
      h('span', { testid: 'operator-rating-average', text: Number(op.rating_average).toFixed(1) }),
      h('span', { class: 'muted', testid: 'operator-rating-count', text: ` (${op.rating_count})` }),
    );
  } else {
    rating.append(h('span', { class: 'muted', text: '—' }), h('span', { class: 'muted', testid: 'operator-rating-count', text: ' (0)' }));
  }
  const save = h('button', { type: 'button', class: 'btn btn-small', testid: 'operator-save', text: 'Сохранить' });
  const saved = h('span', { class: 'saved', testid: 'operator-saved', role: 'status', hidden: true, text: '✓' });
  const row = h(
    'tr',
    { class: 'operator-row', testid: 'operator-row', dataset: { login: op.login, id: op.id } },
    h('td', { class: 'mono', testid: 'operator-login', text: op.login }),
    h('td', {}, name),
    h('td', {}, role),
    h('td', { class: 'col-num' }, capacity),
    h('td', {}, h('span', { class: `status-dot status-${status.cls}`, testid: 'operator-status', dataset: { online: op.online ? 'true' : 'false' }, text: status.text })),
    h('td', { class: 'col-num' }, rating),
    h('td', { class: 'col-actions' }, saved, save),
  );
  const dirty = () => {
    saved.hidden = true;
    row.classList.add('dirty');
  };
  for (const el of [name, role, capacity]) {
    el.addEventListener('input', dirty);
    el.addEventListener('change', dirty);
  }
  save.addEventListener('click', async () => {
    const slot = document.getElementById('operators-error');
    const cap = intOf(capacity);
    if (!Number.isInteger(cap) || cap < 1) {
      showError(slot, `${op.login}: ёмкость — целое число от 1`);
      return;
    }
    const body = { role: role.value, capacity: cap };
    const newName = name.value.trim();
    if (newName) body.name = newName;
    await busy(save, async () => {
      try {
        const res = await api('PUT', `/admin/api/operators/${encodeURIComponent(op.id)}`, body);
        clearErrors();
        const updated = res && res.login ? { ...op, ...res } : { ...op, ...body };
        const i = state.operators.findIndex((o) => o.id === op.id);
        if (i >= 0) state.operators[i] = updated;
        const fresh = operatorRow(updated);
        row.replaceWith(fresh);
        flashSaved(byTestId('operator-saved', fresh));
      } catch (err) {
        showError(slot, err);
      }
    });
  });
  return row;
}

const operatorAddForm = document.getElementById('operator-add-form');
operatorAddForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const slot = document.getElementById('operator-add-error');
  const f = operatorAddForm.elements;
  const login = f.login.value.trim();
  const password = f.password.value;
  const capacity = intOf(f.capacity);
  if (!login) return void showError(slot, 'Введите логин');
  if (!password) return void showError(slot, 'Введите пароль');
  if (!Number.isInteger(capacity) || capacity < 1) return void showError(slot, 'Ёмкость — целое число от 1');
  const body = { login, password, role: f.role.value, capacity };
  if (f.name.value.trim()) body.name = f.name.value.trim();
  await busy(byTestId('operator-add'), async () => {
    try {
      await api('POST', '/admin/api/operators', body);
      clearErrors();
      operatorAddForm.reset();
      await loadOperators();
    } catch (err) {
      showError(slot, err);
    }
  });
});

// ================================================================ global hot replies

async function loadReplies() {
  try {
    const list = await api('GET', '/admin/api/hot-replies');
    state.replies = Array.isArray(list) ? list : [];
  } catch (err) {
    showError(document.getElementById('replies-list-error'), err);
    return;
  }
  renderReplies();
}

function renderReplies() {
  document.getElementById('replies-body').replaceChildren(
    ...state.replies.map((r) => {
      const del = h('button', { type: 'button', class: 'link-btn danger', testid: 'reply-delete', text: 'Удалить' });
      del.addEventListener('click', () =>
        busy(del, async () => {
          try {
            await api('DELETE', `/admin/api/hot-replies/${encodeURIComponent(r.id)}`);
            clearErrors();
            state.replies = state.replies.filter((x) => x.id !== r.id);
            renderReplies();
          } catch (err) {
            showError(document.getElementById('replies-list-error'), err);
          }
        }),
      );
      return h(
        'tr',
        { class: 'reply-row', testid: 'reply-row', dataset: { id: r.id, shortcut: r.shortcut } },
        h('td', { class: 'mono accent', testid: 'reply-row-shortcut', text: `/${r.shortcut}` }),
        h('td', { class: 'pre', testid: 'reply-row-text', text: r.text }),
        h('td', { class: 'col-actions' }, del),
      );
    }),
  );
  document.getElementById('replies-empty').hidden = state.replies.length > 0;
}

const replyForm = document.getElementById('reply-form');
replyForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const slot = document.getElementById('reply-form-error');
  const shortcut = replyForm.elements.shortcut.value.trim().replace(/^\/+/, '');
  const text = replyForm.elements.text.value.trim();
  if (!shortcut || /\s/.test(shortcut)) return void showError(slot, 'Сокращение — одно слово без пробелов');
  if (!text) return void showError(slot, 'Введите текст ответа');
  await busy(byTestId('reply-add'), async () => {
    try {
      await api('POST', '/admin/api/hot-replies', { shortcut, text });
      clearErrors();
      replyForm.reset();
      await loadReplies();
      replyForm.elements.shortcut.focus();
    } catch (err) {
      showError(slot, err);
    }
  });
});

// ================================================================ related goods

async function loadRelated() {
  try {
    const list = await api('GET', '/admin/api/related');
    state.related = Array.isArray(list) ? list : [];
  } catch (err) {
    showError(document.getElementById('related-list-error'), err);
    return;
  }
  renderRelated();
}

function renderRelated() {
  const rows = [...state.related].sort(
    (a, b) => String(a.category).localeCompare(String(b.category), 'ru') || String(a.title).localeCompare(String(b.title), 'ru'),
  );
  document.getElementById('related-body').replaceChildren(
    ...rows.map((g) => {
      const href = safeHref(g.url);
      const link = h('a', { target: '_blank', rel: 'noopener', class: 'url-cell', testid: 'related-row-url', text: g.url || '—' });
      if (href) link.href = href;
      const del = h('button', { type: 'button', class: 'link-btn danger', testid: 'related-delete', text: 'Удалить' });
      del.addEventListener('click', () =>
        busy(del, async () => {
          try {
            await api('DELETE', `/admin/api/related/${encodeURIComponent(g.id)}`);
            clearErrors();
            state.related = state.related.filter((x) => x.id !== g.id);
            renderRelated();
          } catch (err) {
            showError(document.getElementById('related-list-error'), err);
          }
        }),
      );
      return h(
        'tr',
        { class: 'related-row', testid: 'related-row', dataset: { id: g.id, category: g.category } },
        h('td', { class: 'mono', testid: 'related-row-category', text: g.category }),
        h('td', { testid: 'related-row-title', text: g.title }),
        h('td', {}, link),
        h('td', { class: 'col-num nowrap', testid: 'related-row-price', dataset: { value: g.price ?? '' }, text: g.price === null || g.price === undefined ? '—' : `${fmtNumber(g.price, Number.isInteger(Number(g.price)) ? 0 : 2)} ₽` }),
        h('td', { class: 'col-actions' }, del),
      );
    }),
  );
  document.getElementById('related-empty').hidden = state.related.length > 0;
}

const relatedForm = document.getElementById('related-form');
relatedForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const slot = document.getElementById('related-form-error');
  const f = relatedForm.elements;
  const category = f.category.value.trim();
  const title = f.title.value.trim();
  const url = f.url.value.trim();
  const priceRaw = f.price.value.trim();
  const price = priceRaw === '' ? null : numberOf(f.price);
  if (!category) return void showError(slot, 'Укажите категорию');
  if (!title) return void showError(slot, 'Укажите название товара');
  if (!url) return void showError(slot, 'Укажите ссылку на товар');
  if (price !== null && !Number.isFinite(price)) return void showError(slot, 'Цена — число');
  await busy(byTestId('related-add'), async () => {
    try {
      await api('POST', '/admin/api/related', { category, title, url, price });
      clearErrors();
      relatedForm.reset();
      f.category.value = category; // goods usually come in a batch for one category
      await loadRelated();
      f.title.focus();
    } catch (err) {
      showError(slot, err);
    }
  });
});

// ================================================================ boot

const LOADERS = {
  rules: loadRules,
  hours: loadHours,
  operators: loadOperators,
  replies: loadReplies,
  related: loadRelated,
};

async function boot() {
  const me = await requireAdmin();
  if (!me) return;
  state.me = me;
  showSection(sectionFromHash(), { push: false });
}

boot();
