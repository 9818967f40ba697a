// Console: tasks (call-backs and left messages) in the sidebar.

import { beep, toast, updateTitle } from './notify.js';
import { request } from './socket.js';
import { state, ui } from './state.js';
import { errorText, fmtDateTime, fmtShortWhen } from './texts.js';
import { h, safeHref } from '../shared/dom.js';

const TASK_KINDS = { callback: 'Перезвонить', message: 'Сообщение' };
const TASK_SOURCES = {
  widget: 'виджет', offer_page: 'страница предложения', telegram: 'Telegram', viber: 'Viber',
  calendar: 'календарь: подарок',
};

function taskTime(t) {
  return Date.parse(t.created_at || '') || 0;
}

export function applyInitTasks(list) {
  const before = new Set(state.tasks.keys());
  const again = state.inits > 1; // a reconnect: tasks that appeared meanwhile are news
  state.tasks = new Map();
  for (const t of Array.isArray(list) ? list : []) {
    if (!t || t.id === undefined || t.status === 'done') continue;
    state.tasks.set(t.id, t);
    if (again && !before.has(t.id) && t.status === 'open') state.freshTasks.add(t.id);
  }
  for (const id of [...state.freshTasks]) {
    if (state.tasks.get(id)?.status !== 'open') state.freshTasks.delete(id);
  }
}

export function onTask(task, { live = false } = {}) {
  if (!task || task.id === undefined) return;
  const known = state.tasks.has(task.id);
  if (task.status === 'done') {
    state.tasks.delete(task.id);
    state.freshTasks.delete(task.id);
  } else {
    const prev = state.tasks.get(task.id);
    // operator_name may be missing in someone else's broadcast: keep the one we know.
    if (prev && !task.operator_name && prev.operator_id === task.operator_id) task.operator_name = prev.operator_name;
    state.tasks.set(task.id, task);
    if (task.status !== 'open') state.freshTasks.delete(task.id);
    else if (live && !known) {
      state.freshTasks.add(task.id);
      beep();
    }
  }
  renderTasks();
  updateTitle();
}

function seeTasks() {
  if (!state.freshTasks.size) return;
  state.freshTasks.clear();
  // Only restyle: re-rendering here would swap the button under a click that is under way.
  for (const el of ui.taskList.querySelectorAll('.task-item.fresh')) el.classList.remove('fresh');
  renderTaskCounters();
  updateTitle();
}

ui.taskSection.addEventListener('pointerdown', seeTasks);
ui.taskSection.addEventListener('focusin', seeTasks);

async function advanceTask(task, to, button) {
  button.disabled = true;
  const res = await request('task', { task_id: task.id, to });
  button.disabled = false;
  if (!res.ok) {
    toast(`Не удалось ${to === 'taken' ? 'взять задачу' : 'отметить задачу'}: ${errorText(res.error)}`, 'error');
    return;
  }
  if (res.task) onTask(res.task);
}

function telHref(phone) {
  const digits = String(phone || '').replace(/[^\d+]/g, '');
  return /\d/.test(digits) ? `tel:${digits}` : null;
}

function taskTakenBy(task) {
  if (task.operator_id !== null && task.operator_id !== undefined && task.operator_id === state.me?.id) return 'вы';
  if (task.operator_name) return task.operator_name;
  const member = state.team.find((m) => m.id === task.operator_id);
  return member?.name || 'другой оператор';
}

function renderTaskItem(task) {
  const mine = task.operator_id !== null && task.operator_id !== undefined && task.operator_id === state.me?.id;
  const canFinish = task.status === 'open' || mine || state.me?.role === 'admin';
  const li = h('li', {
    class: `task-item task-${task.status} kind-${task.kind}${state.freshTasks.has(task.id) ? ' fresh' : ''}${mine ? ' mine' : ''}`,
    testid: 'task-item',
    dataset: { id: String(task.id), status: task.status, kind: task.kind },
  });
  li.append(
    h(
      'div',
      { class: 'ti-top' },
      h('span', { class: `task-kind kind-${task.kind}`, testid: 'task-kind', text: TASK_KINDS[task.kind] || task.kind }),
      h('span', { class: 'ti-name', testid: 'task-name', text: task.name || 'Без имени' }),
      h('time', { class: 'ci-time', datetime: task.created_at || '', title: fmtDateTime(task.created_at), text: fmtShortWhen(task.created_at) }),
    ),
  );
  if (task.phone) {
    const href = telHref(task.phone);
    const phone = h('a', { class: 'task-phone', testid: 'task-phone', text: task.phone });
    if (href) phone.href = href;
    li.append(phone);
  }
  if (task.preferred_time) {
    li.append(h('div', { class: 'task-line' }, h('span', { class: 'muted', text: 'Удобно: ' }), h('span', { testid: 'task-preferred-time', text: task.preferred_time })));
  }
  if (task.text) li.append(h('div', { class: 'task-text', testid: 'task-text', text: task.text }));
  if (task.page_url) {
    const href = safeHref(task.page_url);
    const page = h('a', { class: 'task-page', testid: 'task-page', target: '_blank', rel: 'noopener', title: task.page_url, text: task.page_url });
    if (href) page.href = href;
    li.append(page);
  }
  const meta = h('div', { class: 'task-meta' }, h('span', { testid: 'task-source', dataset: { source: task.source }, text: TASK_SOURCES[task.source] || task.source || '' }));
  if (task.status === 'taken') {
    meta.append(h('span', { class: 'task-taken', testid: 'task-taken-by', text: mine ? 'Взяли вы' : `Взял: ${taskTakenBy(task)}` }));
  }
  li.append(meta);
  const actions = h('div', { class: 'task-actions' });
  if (task.status === 'open') {
    const take = h('button', { type: 'button', class: 'btn btn-small btn-primary', testid: 'task-take', text: 'Взять' });
    take.addEventListener('click', () => advanceTask(task, 'taken', take));
    actions.append(take);
  }
  if (canFinish) {
    const done = h('button', { type: 'button', class: 'btn btn-small', testid: 'task-done', text: 'Готово' });
    done.addEventListener('click', () => advanceTask(task, 'done', done));
    actions.append(done);
  }
  if (actions.childNodes.length) li.append(actions);
  return li;
}

export function renderTasks() {
  // Newest first: a flood of requests cannot push a new one out of sight.
  const tasks = [...state.tasks.values()].sort((a, b) => taskTime(b) - taskTime(a) || b.id - a.id);
  ui.taskList.replaceChildren(...tasks.map(renderTaskItem));
  ui.taskEmpty.hidden = tasks.length > 0;
  ui.taskCount.textContent = tasks.length ? String(tasks.length) : '';
  renderTaskCounters();
}

function renderTaskCounters() {
  const fresh = state.freshTasks.size;
  ui.taskFresh.hidden = !fresh;
  ui.taskFresh.textContent = fresh ? `+${fresh}` : '';
}
