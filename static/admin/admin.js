// Prilavok admin page (/admin): proactive rules, business hours, operators, global hot replies,
// related goods. Plain ES module; contract: docs/protocol.md, "Admin HTTP API".
// Everything that comes from the server is put into the DOM with textContent only.

import { loadRelated, loadReplies } from './catalog.js';
import { clearErrors, requireAdmin } from './common.js';
import { state } from './forms.js';
import { loadHours } from './hours.js';
import { loadOperators } from './operators.js';
import { loadRules } from './rules.js';

const SECTIONS = ['rules', 'hours', 'operators', 'replies', 'related'];

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
