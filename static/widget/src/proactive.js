// Proactive help: activity reports, rule evaluation on a tick, invitations and decisions.

import { emitAck } from '../../shared/ack.js';
import { showCallbackForm } from './callback.js';
import { ruleHolds } from './conditions.js';
import { ACTIVITY_EVERY, IDLE_AFTER, INPUT_EVENTS } from './config.js';
import { addLocalLine } from './entries.js';
import { currentCart, hostSend } from './host-api.js';
import { t } from './i18n.js';
import { emitQuiet } from './sending.js';
import { canEmit, chatting, net, state, ui } from './state.js';
import { isLeaving, watchLeaving } from './leaving.js';
import { focusInput, openPanel, showChat } from './view.js';

function showInvitation(d) {
  if (!ui.host) return;
  state.invitation = {
    invitation_id: d.invitation_id,
    text: String(d.text ?? ''),
    operator_name: d.operator_name ? String(d.operator_name) : null,
  };
  ui.inviteOp.textContent = state.invitation.operator_name || t.invitationFrom;
  ui.inviteText.textContent = state.invitation.text;
  ui.invite.dataset.invitationId = d.invitation_id != null ? String(d.invitation_id) : '';
  ui.invite.setAttribute('aria-label', ui.inviteOp.textContent);
  ui.invite.hidden = false;
}
export function hideInvitation() {
  state.invitation = null;
  if (ui.host) ui.invite.hidden = true;
}
export function acceptInvitation() {
  const inv = state.invitation;
  if (!inv) return;
  hideInvitation();
  if (state.view !== 'chat') showChat();
  addLocalLine(inv.text, inv.operator_name);
  openPanel();
  focusInput();
  if (inv.invitation_id != null) hostSend('invitation.accept', { invitation_id: inv.invitation_id });
}
export function dismissInvitation() {
  const inv = state.invitation;
  if (!inv) return;
  hideInvitation();
  if (inv.invitation_id != null) hostSend('invitation.dismiss', { invitation_id: inv.invitation_id });
}

function applyDecision(d) {
  if (!d || typeof d !== 'object' || !ui.host || chatting()) return;
  if (d.action === 'invite') {
    showInvitation(d);
  } else if (d.action === 'open') {
    if (state.view !== 'chat') showChat();
    addLocalLine(d.text, d.operator_name);
    openPanel();
  } else if (d.action === 'callback') {
    showCallbackForm('callback', d.text ? String(d.text) : '');
  }
  // 'none': nothing
}

// ---------------------------------------------------------------- activity

function idleSeconds() {
  return Math.max(0, Math.floor((Date.now() - state.lastInputAt) / 1000));
}
export function onInput() {
  state.lastInputAt = Date.now();
  if (state.idleReported) {
    state.idleReported = false;
    reportActivity(false);
  }
}

let activityAt = 0;
let activityTimer = null;
let activityExit = false;
function reportActivity(exit) {
  if (exit) activityExit = true;
  if (activityTimer) return; // the pending send carries the newest state
  const wait = activityAt + ACTIVITY_EVERY - Date.now();
  if (wait > 0) activityTimer = setTimeout(sendActivity, wait);
  else sendActivity();
}
function sendActivity() {
  activityTimer = null;
  const payload = { idle_seconds: idleSeconds(), hidden: state.tabHidden };
  if (activityExit) payload.exit_intent = true;
  activityExit = false;
  activityAt = Date.now();
  emitQuiet('activity', payload);
}

// On each (re)connect: the server may still hold the previous page's state (hidden, idle).
export function reportActivityNow() {
  state.tabHidden = document.visibilityState === 'hidden' && !isLeaving();
  reportActivity(false);
}

function exitIntent() {
  if (isLeaving()) return; // going to the next page of the shop is no exit
  reportActivity(true);
  state.exitIntentNow = true;
  try {
    evaluateRules();
  } finally {
    state.exitIntentNow = false;
  }
}

// Input anywhere on the page, leaving it (the pointer out at the top, the tab hidden — not the
// page unloading for the next one, see leaving.js).
export function watchActivity() {
  for (const name of INPUT_EVENTS) document.addEventListener(name, onInput, { capture: true, passive: true });
  document.addEventListener('mouseout', (e) => {
    if (e.relatedTarget == null && e.clientY <= 0) exitIntent();
  });
  watchLeaving(
    () => {
      state.tabHidden = true;
      exitIntent();
    },
    () => {
      if (!state.tabHidden) return;
      state.tabHidden = false;
      reportActivity(false);
    },
  );
}

// ---------------------------------------------------------------- proactive rules

const firedRules = new Map(); // rule id -> signature of the rule when it fired (once per page load)

// What the conditions are evaluated against, read only when a condition asks.
const facts = {
  get secondsOnSite() {
    return state.visitBaseSeconds + Math.max(0, Date.now() - state.visitBaseAt) / 1000;
  },
  get pagesViewed() {
    return state.pageBase + state.spaPages;
  },
  get idleSeconds() {
    return idleSeconds();
  },
  get cart() {
    return currentCart();
  },
  get exitIntent() {
    return state.exitIntentNow;
  },
  get visitor() {
    return state.visitor;
  },
  location,
};

function ruleSig(rule) {
  try {
    return JSON.stringify(rule);
  } catch (_) {
    return String(rule.id);
  }
}
export function setRules(list) {
  const rules = Array.isArray(list) ? list.filter((r) => r && typeof r === 'object' && r.id != null) : [];
  // A rule that comes back changed may fire again on this page.
  for (const r of rules) if (firedRules.has(r.id) && firedRules.get(r.id) !== ruleSig(r)) firedRules.delete(r.id);
  state.rules = rules;
}

function evaluateRules() {
  if (!ui.host || !canEmit() || state.open || state.firing || state.invitation || chatting()) return;
  for (const rule of state.rules) {
    if (firedRules.has(rule.id)) continue;
    let holds;
    try {
      holds = ruleHolds(rule, facts);
    } catch (_) {
      holds = false;
    }
    if (holds) {
      fireRule(rule);
      return; // one at a time: the next tick goes on
    }
  }
}

function fireRule(rule) {
  firedRules.set(rule.id, ruleSig(rule));
  state.firing = true;
  emitAck(net.socket, 'rule.fire', { rule_id: rule.id, url: location.href }).then((res) => {
    state.firing = false;
    if (!res.ok) return; // it stays fired for this page load
    applyDecision(res.decision);
  });
}

export function tick() {
  if (!state.idleReported && canEmit() && idleSeconds() >= IDLE_AFTER) {
    state.idleReported = true;
    reportActivity(false);
  }
  evaluateRules();
}
