// Admin: business hours and the time zone.

import { api, clearErrors, showError } from './common.js';
import { busy, flashSaved, state } from './forms.js';
import { byTestId, h } from '../shared/dom.js';
import { STALE, newestOnly } from '../shared/newest.js';

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
  let all;
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
  // No days at all means "always open" (consult/chat/hours.py); a day missing from a schedule is closed.
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

const fetchSettings = newestOnly(() => api('GET', '/admin/api/settings'));

export async function loadHours() {
  try {
    const settings = await fetchSettings();
    if (settings === STALE) return;
    state.settings = settings || {};
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
  const business_hours = { timezone, days };
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
