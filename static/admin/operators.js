// Admin: operators (create, roles, capacity, a new password, deactivate and activate).

import { api, clearErrors, showError } from './common.js';
import { busy, flashSaved, intOf, state } from './forms.js';
import { byTestId, h } from '../shared/dom.js';
import { STALE, newestOnly } from '../shared/newest.js';

// ================================================================ operators

const ROLES = { operator: 'оператор', admin: 'администратор' };

function operatorStatus(op) {
  if (op.active === false) return { cls: 'offline', text: 'отключён' };
  if (!op.online) return { cls: 'offline', text: 'не в сети' };
  if (op.status === 'away') return { cls: 'away', text: 'отошёл' };
  return { cls: 'online', text: 'в сети' };
}

const fetchOperators = newestOnly(() => api('GET', '/admin/api/operators'));

export async function loadOperators() {
  try {
    const list = await fetchOperators();
    if (list === STALE) return;
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
  const toggle = op.active === false
    ? h('button', { type: 'button', class: 'btn btn-small', testid: 'operator-activate', text: 'Включить' })
    : h('button', { type: 'button', class: 'btn btn-small btn-danger', testid: 'operator-deactivate', text: 'Отключить' });
  const passwordBtn = h('button', { type: 'button', class: 'btn btn-small btn-ghost', testid: 'operator-password', text: 'Пароль' });
  const saved = h('span', { class: 'saved', testid: 'operator-saved', role: 'status', hidden: true, text: '✓' });
  const row = h(
    'tr',
    { class: `operator-row${op.active === false ? ' is-deactivated' : ''}`, testid: 'operator-row', dataset: { login: op.login, id: op.id, active: op.active === false ? 'false' : 'true' } },
    h('td', { class: 'mono', testid: 'operator-login', text: op.login }),
    h('td', {}, name),
    h('td', {}, role),
    h('td', { class: 'col-num' }, capacity),
    h('td', {}, h('span', { class: `status-dot status-${status.cls}`, testid: 'operator-status', dataset: { online: op.online ? 'true' : 'false' }, text: status.text })),
    h('td', { class: 'col-num' }, rating),
    h('td', { class: 'col-actions' }, saved, save, passwordBtn, toggle),
  );
  toggle.addEventListener('click', () => setActive(op, toggle));
  passwordBtn.addEventListener('click', () => askPassword(op, row));
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

async function setActive(op, button) {
  const off = op.active !== false;
  if (off && !window.confirm(`Отключить ${op.login}? Все его сессии закончатся, открытые чаты вернутся в очередь. История сохранится.`)) return;
  await busy(button, async () => {
    try {
      await api('POST', `/admin/api/operators/${encodeURIComponent(op.id)}/${off ? 'deactivate' : 'activate'}`);
      clearErrors();
      await loadOperators();
    } catch (err) {
      showError(document.getElementById('operators-error'), err);
    }
  });
}

/** A row under the operator's for the new password; every session of theirs ends. */
function askPassword(op, row) {
  if (row.nextElementSibling?.dataset.testid === 'operator-password-row') return;
  const input = h('input', { type: 'password', class: 'cell-input', testid: 'operator-new-password-input', autocomplete: 'new-password', 'aria-label': `Новый пароль ${op.login}` });
  const set = h('button', { type: 'submit', class: 'btn btn-small btn-primary', testid: 'operator-password-save', text: 'Задать пароль' });
  const cancel = h('button', { type: 'button', class: 'btn btn-small btn-ghost', text: 'Отмена' });
  const slot = h('div', { class: 'error-slot' });
  const form = h('form', { class: 'inline-field', novalidate: true }, h('span', { text: `Новый пароль для ${op.login} (не короче 8 символов; все его сессии закончатся):` }), input, set, cancel, slot);
  const extra = h('tr', { testid: 'operator-password-row' }, h('td', { colspan: '7' }, form));
  cancel.addEventListener('click', () => extra.remove());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (input.value.length < 8) return void showError(slot, 'Пароль не короче 8 символов');
    await busy(set, async () => {
      try {
        await api('POST', `/admin/api/operators/${encodeURIComponent(op.id)}/password`, { password: input.value });
        clearErrors();
        extra.replaceChildren(h('td', { colspan: '7', class: 'saved', testid: 'operator-password-done', role: 'status', text: `Пароль ${op.login} изменён; его сессии закончены.` }));
      } catch (err) {
        showError(slot, err);
      }
    });
  });
  row.after(extra);
  input.focus();
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
