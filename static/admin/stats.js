// Prilavok statistics page (/admin/stats). Contract: docs/protocol.md, "Admin HTTP API",
// GET /admin/api/stats?from=YYYY-MM-DD&to=YYYY-MM-DD.
// Numbers are shown rounded; every number cell also carries the API's raw value in data-value.

import {
  api,
  clearErrors,
  fmtDuration,
  fmtMoney,
  fmtNumber,
  fmtSigned,
  isoDate,
  requireAdmin,
  showError,
} from './common.js';
import { byTestId, h } from '../shared/dom.js';
import { STALE, newestOnly } from '../shared/newest.js';

const DEFAULT_DAYS = 30;
const CHART_SRC = '/vendor/chart.umd.js';

const form = document.getElementById('period-form');
const fromInput = byTestId('stats-from');
const toInput = byTestId('stats-to');
const applyBtn = byTestId('stats-apply');
const statusEl = document.getElementById('stats-status');
const errorSlot = document.getElementById('stats-error');
const body = document.getElementById('stats-body');

let chart = null;
const fetchStats = newestOnly((from, to) =>
  api('GET', `/admin/api/stats?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`));

// ---------------------------------------------------------------- period

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function lastDays(days) {
  const to = new Date();
  const from = new Date(to.getFullYear(), to.getMonth(), to.getDate() - (days - 1));
  return { from: isoDate(from), to: isoDate(to) };
}

function initialPeriod() {
  const q = new URLSearchParams(location.search);
  const from = q.get('from');
  const to = q.get('to');
  if (from && to && DATE_RE.test(from) && DATE_RE.test(to)) return { from, to };
  return lastDays(DEFAULT_DAYS);
}

function ruDate(iso) {
  const m = DATE_RE.exec(iso || '') && iso.split('-');
  return m ? `${m[2]}.${m[1]}.${m[0]}` : String(iso ?? '');
}

for (const btn of document.querySelectorAll('[data-days]')) {
  btn.addEventListener('click', () => {
    const p = lastDays(Number(btn.dataset.days));
    fromInput.value = p.from;
    toInput.value = p.to;
    load();
  });
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  load();
});

// ---------------------------------------------------------------- rate scale

/**
 * Rates may come as fractions (0.125) or as percents (12.5); the protocol does not say. Find
 * out from the counts next to them: rate ≈ num/den → fraction, rate ≈ 100·num/den → percent.
 * Returns the multiplier that turns the API's rate into percent (100 or 1). Default: fraction.
 */
function percentMultiplier(samples) {
  let votes = 0;
  for (const [rate, num, den] of samples) {
    if (rate === null || rate === undefined || !den) continue;
    const r = Number(rate);
    if (r > 1.000001) return 1;
    const f = Number(num) / Number(den);
    if (!f) continue;
    const errFraction = Math.abs(r - f);
    const errPercent = Math.abs(r - 100 * f) / 100;
    votes += errFraction <= errPercent ? 1 : -1;
  }
  return votes < 0 ? 1 : 100;
}

// ---------------------------------------------------------------- rendering helpers

function setStat(testid, value, text, root = document) {
  const el = byTestId(testid, root);
  if (!el) return;
  el.dataset.value = value === null || value === undefined ? '' : String(value);
  el.textContent = value === null || value === undefined ? '—' : text;
}

function pctText(rate, mult) {
  if (rate === null || rate === undefined) return '—';
  return `${fmtNumber(Number(rate) * mult, 1)} %`;
}

function crossesZero(d) {
  return d && d.low !== null && d.low !== undefined && d.high !== null && d.high !== undefined && d.low <= 0 && d.high >= 0;
}

function numCell(testid, value, text, extra = '') {
  return h('td', {
    class: `col-num ${extra}`.trim(),
    testid,
    dataset: { value: value === null || value === undefined ? '' : value },
    text: value === null || value === undefined ? '—' : text,
  });
}

/**
 * A difference with its interval: "+2.1 п.п. (−0.4 … +4.6)". `fmt` formats a raw API number.
 * Each of the three numbers carries its raw value in data-value.
 */
function diffCell(prefix, diff, fmt, unit, extraClass = '') {
  const td = h('td', { class: `diff-cell ${extraClass}`.trim() });
  if (!diff || diff.value === null || diff.value === undefined) {
    td.append(h('span', { class: 'diff', testid: `uplift-${prefix}-diff`, dataset: { value: '' }, text: '—' }));
    return td;
  }
  const v = Number(diff.value);
  const sign = crossesZero(diff) ? '' : v > 0 ? ' pos' : v < 0 ? ' neg' : '';
  const bound = (which) =>
    h('span', {
      testid: `uplift-${prefix}-${which}`,
      dataset: { value: diff[which] ?? '' },
      text: diff[which] === null || diff[which] === undefined ? '—' : fmt(diff[which]),
    });
  td.append(
    h('span', { class: `diff${sign}`, testid: `uplift-${prefix}-diff`, dataset: { value: diff.value }, text: `${fmt(v)}${unit}` }),
    ' ',
    h('span', { class: 'ci' }, '(', bound('low'), ' … ', bound('high'), ')'),
  );
  if (crossesZero(diff)) {
    td.append(h('span', { class: 'not-proven', testid: `uplift-${prefix}-not-proven`, text: 'разница не доказана' }));
  }
  return td;
}

// ---------------------------------------------------------------- sections

function renderInvitations(inv = {}) {
  const mult = percentMultiplier([[inv.accepted_rate, inv.accepted, inv.shown]]);
  setStat('stat-invitations-shown', inv.shown, fmtNumber(inv.shown));
  setStat('stat-invitations-accepted', inv.accepted, fmtNumber(inv.accepted));
  setStat('stat-invitations-rate', inv.accepted_rate, pctText(inv.accepted_rate, mult));
  setStat('stat-invitations-dismissed', inv.dismissed, fmtNumber(inv.dismissed));
}

function renderChats(chats = {}) {
  setStat('stat-chats-invitation', chats.by_invitation, fmtNumber(chats.by_invitation));
  setStat('stat-chats-visitor', chats.by_visitor, fmtNumber(chats.by_visitor));
  setStat('stat-chats-missed', chats.missed, fmtNumber(chats.missed));
}

function renderFirstResponse(fr = {}) {
  setStat('stat-frt-median', fr.median_seconds, fmtDuration(fr.median_seconds));
  setStat('stat-frt-p90', fr.p90_seconds, fmtDuration(fr.p90_seconds));
  setStat('stat-frt-count', fr.count, fmtNumber(fr.count));
}

function renderCohort(root, c, mult) {
  c = c || {};
  setStat('stat-carts-visits', c.visits, fmtNumber(c.visits), root);
  setStat('stat-carts-purchases', c.purchases, fmtNumber(c.purchases), root);
  setStat('stat-carts-rate', c.purchase_rate, pctText(c.purchase_rate, mult), root);
  setStat('stat-carts-check', c.average_check, fmtMoney(c.average_check), root);
}

function renderRatings(list) {
  const rows = Array.isArray(list) ? list : [];
  document.getElementById('ratings-body').replaceChildren(
    ...rows.map((r) =>
      h(
        'tr',
        { class: 'stat-rating-row', testid: 'stat-rating-row', dataset: { operatorId: r.operator_id } },
        h('td', { testid: 'stat-rating-name', text: r.name || `#${r.operator_id}` }),
        numCell('stat-rating-average', r.average, r.average === null || r.average === undefined ? '' : `★ ${Number(r.average).toFixed(1)}`),
        numCell('stat-rating-count', r.count, fmtNumber(r.count)),
      ),
    ),
  );
  document.getElementById('ratings-empty').hidden = rows.length > 0;
}

function renderDailyTable(daily) {
  document.getElementById('daily-body').replaceChildren(
    ...daily.map((d) =>
      h(
        'tr',
        { testid: 'stats-daily-row', dataset: { date: d.date } },
        h('td', { class: 'nowrap', text: ruDate(d.date) }),
        numCell('daily-invitations-shown', d.invitations_shown, fmtNumber(d.invitations_shown)),
        numCell('daily-invitations-accepted', d.invitations_accepted, fmtNumber(d.invitations_accepted)),
        numCell('daily-chats', d.chats, fmtNumber(d.chats)),
        numCell('daily-purchases', d.purchases, fmtNumber(d.purchases)),
      ),
    ),
  );
}

function renderUplift(list, cohortMult) {
  const rows = Array.isArray(list) ? list : [];
  const rateFmt = (x) => fmtSigned(Number(x) * cohortMult, 1);
  const moneyFmt = (x) => fmtSigned(Number(x), Math.abs(Number(x)) >= 100 || Number.isInteger(Number(x)) ? 0 : 2);
  document.getElementById('uplift-body').replaceChildren(
    ...rows.map((u) => {
      const t = u.treated || {};
      const c = u.control || {};
      return h(
        'tr',
        { class: 'uplift-row', testid: 'uplift-row', dataset: { ruleId: u.rule_id } },
        h(
          'td',
          {},
          h('strong', { testid: 'uplift-rule-name', text: u.rule_name || `#${u.rule_id}` }),
          u.holdout_percent === null || u.holdout_percent === undefined
            ? null
            : h('span', { class: 'stat-sub', text: `контроль ${fmtNumber(u.holdout_percent)} %` }),
        ),
        numCell('uplift-treated-visits', t.visits, fmtNumber(t.visits), 'group-start'),
        numCell('uplift-treated-purchases', t.purchases, fmtNumber(t.purchases)),
        numCell('uplift-treated-rate', t.purchase_rate, pctText(t.purchase_rate, cohortMult)),
        numCell('uplift-treated-check', t.average_check, fmtMoney(t.average_check)),
        numCell('uplift-control-visits', c.visits, fmtNumber(c.visits), 'group-start'),
        numCell('uplift-control-purchases', c.purchases, fmtNumber(c.purchases)),
        numCell('uplift-control-rate', c.purchase_rate, pctText(c.purchase_rate, cohortMult)),
        numCell('uplift-control-check', c.average_check, fmtMoney(c.average_check)),
        diffCell('rate', u.purchase_rate_diff, rateFmt, ' п.п.', 'group-start'),
        diffCell('check', u.average_check_diff, moneyFmt, ' ₽'),
      );
    }),
  );
  document.getElementById('uplift-empty').hidden = rows.length > 0;
}

// ---------------------------------------------------------------- chart

let chartLib = null;

/** Chart.js from /vendor/chart.umd.js, or null when it is not served (then: table only). */
function loadChartLib() {
  if (chartLib) return chartLib;
  chartLib = new Promise((resolve) => {
    if (window.Chart) {
      resolve(window.Chart);
      return;
    }
    const s = document.createElement('script');
    s.src = CHART_SRC;
    s.async = true;
    s.onload = () => resolve(window.Chart || null);
    s.onerror = () => resolve(null);
    document.head.append(s);
  });
  return chartLib;
}

async function renderChart(daily) {
  const box = document.getElementById('chart-box');
  const Chart = await loadChartLib();
  if (!Chart) {
    box.hidden = true;
    document.getElementById('daily-details').open = true; // no chart: the table is the view
    document.body.dataset.chart = 'missing';
    return;
  }
  const labels = daily.map((d) => ruDate(d.date).slice(0, 5));
  const series = (key) => daily.map((d) => Number(d[key] ?? 0));
  const datasets = [
    { type: 'bar', label: 'Приглашений показано', data: series('invitations_shown'), backgroundColor: '#c9d8fb', borderRadius: 3 },
    { type: 'bar', label: 'Приглашений принято', data: series('invitations_accepted'), backgroundColor: '#2f6fed', borderRadius: 3 },
    { type: 'line', label: 'Чатов', data: series('chats'), borderColor: '#d08a12', backgroundColor: '#d08a12', tension: 0.25, cubicInterpolationMode: 'monotone', pointRadius: 2 },
    { type: 'line', label: 'Покупок', data: series('purchases'), borderColor: '#1a8f4f', backgroundColor: '#1a8f4f', tension: 0.25, cubicInterpolationMode: 'monotone', pointRadius: 2 },
  ];
  box.hidden = false;
  document.body.dataset.chart = 'ready';
  if (chart) {
    chart.data.labels = labels;
    chart.data.datasets = datasets;
    chart.update();
    return;
  }
  const font = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.family = font;
  Chart.defaults.color = '#5b6370';
  chart = new Chart(document.getElementById('daily-chart'), {
    data: { labels, datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { grid: { display: false } },
        y: { beginAtZero: true, ticks: { precision: 0 }, grid: { color: '#eceef1' } },
      },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } } },
    },
  });
}

// ---------------------------------------------------------------- load

async function load() {
  const from = fromInput.value;
  const to = toInput.value;
  if (!DATE_RE.test(from) || !DATE_RE.test(to)) {
    showError(errorSlot, 'Укажите даты начала и конца периода');
    return;
  }
  if (from > to) {
    showError(errorSlot, 'Начало периода позже конца');
    return;
  }
  clearErrors();
  statusEl.textContent = 'Загрузка…';
  applyBtn.disabled = true;
  history.replaceState(null, '', `?from=${from}&to=${to}`);
  let stats;
  try {
    stats = await fetchStats(from, to);
  } catch (err) {
    applyBtn.disabled = false;
    statusEl.textContent = '';
    showError(errorSlot, err);
    return;
  }
  if (stats === STALE) return;
  applyBtn.disabled = false;
  render(stats || {});
}

function render(stats) {
  const period = stats.period || {};
  statusEl.textContent = `Период: ${ruDate(period.from || fromInput.value)} — ${ruDate(period.to || toInput.value)}`;
  const carts = stats.carts || {};
  const uplift = Array.isArray(stats.uplift) ? stats.uplift : [];
  const cohorts = [carts.with_chat, carts.without_chat, ...uplift.flatMap((u) => [u.treated, u.control])].filter(Boolean);
  const cohortMult = percentMultiplier(cohorts.map((c) => [c.purchase_rate, c.purchases, c.visits]));

  renderInvitations(stats.invitations);
  renderChats(stats.chats);
  renderFirstResponse(stats.first_response);
  renderCohort(byTestId('stat-carts-with'), carts.with_chat, cohortMult);
  renderCohort(byTestId('stat-carts-without'), carts.without_chat, cohortMult);
  renderRatings(stats.ratings);
  const daily = Array.isArray(stats.daily) ? stats.daily : [];
  renderDailyTable(daily);
  renderUplift(uplift, cohortMult);
  body.hidden = false;
  document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
  renderChart(daily).catch(() => {
    document.getElementById('chart-box').hidden = true;
  });
}

async function boot() {
  const me = await requireAdmin();
  if (!me) return;
  const p = initialPeriod();
  fromInput.value = p.from;
  toInput.value = p.to;
  load();
}

boot();
