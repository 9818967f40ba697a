// Admin: the editor of one proactive rule (conditions, action, limits), its checks and saving.

import { api, clearErrors, showError } from './common.js';
import { busy, intOf, numberOf, state } from './forms.js';
import { ACTIONS, CONDITIONS } from './rule-conditions.js';
import { loadRules, renderRules, replaceRule } from './rules.js';
import { byTestId, h } from '../shared/dom.js';

// ---------------------------------------------------------------- rule editor

export const ruleForm = document.getElementById('rule-form');
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

export function openRuleForm(rule) {
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
