// Admin: operators (create, roles, passwords, on/off).

import { api, clearErrors, showError } from './common.js';
import { busy, flashSaved, intOf, state } from './forms.js';
import { byTestId, h } from '../shared/dom.js';

// ================================================================ operators

const ROLES = { operator: 'оператор', admin: 'администратор' };

function operatorStatus(op) {
  if (!op.online) return { cls: 'offline', text: 'не в сети' };
  if (op.status === 'away') return { cls: 'away', text: 'отошёл' };
  return { cls: 'online', text: 'в сети' };
}

export async function loadOperators() {
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
