// Admin: the list of proactive rules (summaries, the on/off switch).

import { api, clearErrors, fmtNumber, showError } from './common.js';
import { state } from './forms.js';
import { ACTIONS, CAPS, CONDITIONS } from './rule-conditions.js';
import { openRuleForm, ruleForm } from './rule-editor.js';
import { h } from '../shared/dom.js';
import { STALE, newestOnly } from '../shared/newest.js';

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

const fetchRules = newestOnly(() => api('GET', '/admin/api/rules'));

export async function loadRules() {
  const slot = document.getElementById('rules-error');
  try {
    const list = await fetchRules();
    if (list === STALE) return;
    state.rules = Array.isArray(list) ? list : [];
  } catch (err) {
    showError(slot, err);
    return;
  }
  renderRules();
}

export function renderRules() {
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

export function replaceRule(rule) {
  const i = state.rules.findIndex((r) => r.id === rule.id);
  if (i >= 0) state.rules[i] = rule;
  else state.rules.push(rule);
}
