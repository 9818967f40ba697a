// /admin/audit: who changed what and when, newest first, a page at a time (?before=<last id>).

import { api, fmtWhen, requireAdmin, showError } from './common.js';
import { busy } from './forms.js';
import { byTestId, h } from '../shared/dom.js';

const ACTIONS = {
  'rule.create': 'создал правило',
  'rule.change': 'изменил правило',
  'rule.delete': 'удалил правило',
  'settings.business_hours': 'изменил часы работы',
  'operator.create': 'добавил оператора',
  'operator.change': 'изменил оператора',
  'operator.deactivate': 'отключил оператора',
  'operator.activate': 'включил оператора',
  'operator.password': 'сменил пароль оператора',
  'hot_reply.create': 'добавил быстрый ответ',
  'hot_reply.delete': 'удалил быстрый ответ',
  'related.create': 'добавил сопутствующий товар',
  'related.delete': 'удалил сопутствующий товар',
  'api_key.create': 'создал ключ API',
  'api_key.revoke': 'отозвал ключ API',
};

const list = byTestId('audit-list');
const more = byTestId('audit-more');
const PAGE = 100; // consult/kernel/audit.py PAGE
let lastId = null;

function entryRow(e) {
  return h(
    'tr',
    { testid: 'audit-row', dataset: { id: e.id, action: e.action } },
    h('td', { class: 'nowrap', text: fmtWhen(e.at) }),
    h('td', { class: 'mono', testid: 'audit-actor', text: e.actor === 'cli' ? 'командная строка' : e.actor }),
    h('td', { testid: 'audit-action', title: e.action, text: ACTIONS[e.action] || e.action }),
    h('td', { class: 'mono', testid: 'audit-target', text: e.target }),
    h('td', { text: e.detail || '' }),
  );
}

async function loadPage() {
  const query = lastId === null ? '' : `?before=${lastId}`;
  let entries;
  try {
    entries = (await api('GET', `/admin/api/audit${query}`)).entries || [];
  } catch (err) {
    showError(document.getElementById('audit-error'), err);
    return;
  }
  list.append(...entries.map(entryRow));
  if (entries.length) lastId = entries[entries.length - 1].id;
  byTestId('audit-empty').hidden = list.children.length > 0;
  more.hidden = entries.length < PAGE;
}

more.addEventListener('click', () => busy(more, loadPage));

(async () => {
  if (await requireAdmin()) await loadPage();
})();
