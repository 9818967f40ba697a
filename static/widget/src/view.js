// The panel: mounting the shadow root, header, connection line, typing line, open and close.

import { describe } from './availability.js';
import { setCallbackMode, showCallbackForm, submitCallback } from './callback.js';
import { maybeAskRating } from './cards.js';
import { INPUT_EVENTS, TYPING_SHOW_MAX } from './config.js';
import { addNote, ensurePendingEntry, mutate, reorder, scrollToBottom, updateBadge } from './entries.js';
import { locale, t } from './i18n.js';
import { CSS_TEXT, MARKUP } from './markup.js';
import { loadPanel, savePanel } from './persist.js';
import { dismissPreview, hidePreview } from './preview.js';
import { acceptInvitation, dismissInvitation, hideInvitation, onInput } from './proactive.js';
import { onTypingInput, submit, syncRead } from './sending.js';
import { outbox, state, ui } from './state.js';

export function mount() {
  if (ui.host || document.getElementById('prilavok-widget')) return;
  const host = document.createElement('div');
  host.id = 'prilavok-widget';
  const shadow = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = CSS_TEXT;
  const wrap = document.createElement('div');
  wrap.innerHTML = MARKUP; // constant
  shadow.append(style, ...wrap.childNodes);
  const $ = (sel) => shadow.querySelector(sel);
  Object.assign(ui, {
    host,
    shadow,
    root: $('.root'),
    launcher: $('.launcher'),
    badge: $('.badge'),
    panel: $('.panel'),
    title: $('.title'),
    operator: $('.operator'),
    queue: $('.queue'),
    closed: $('.closed'),
    avail: $('.avail'),
    closeBtn: $('[data-testid="prilavok-close"]'),
    cbLink: $('.cblink'),
    cbOpen: $('.cbopen'),
    invite: $('[data-testid="prilavok-invitation"]'),
    preview: $('[data-testid="prilavok-preview"]'),
    previewOp: $('[data-testid="prilavok-preview-author"]'),
    previewText: $('[data-testid="prilavok-preview-text"]'),
    previewX: $('[data-testid="prilavok-preview-close"]'),
    inviteOp: $('.invite-op'),
    inviteText: $('.invite-text'),
    inviteReply: $('.invite-reply'),
    inviteX: $('.invite-x'),
    cbView: $('.cbview'),
    cbForm: $('.cb-form'),
    cbTabs: Array.from(shadow.querySelectorAll('.cb-tab')),
    cbIntro: $('.cb-intro'),
    cbName: $('[data-testid="prilavok-callback-name"]'),
    cbPhone: $('[data-testid="prilavok-callback-phone"]'),
    cbPhoneLabel: $('.lbl-phone'),
    cbTimeRow: $('.fld-time'),
    cbTime: $('[data-testid="prilavok-callback-time"]'),
    cbTextRow: $('.fld-text'),
    cbText: $('[data-testid="prilavok-callback-text"]'),
    cbError: $('[data-testid="prilavok-callback-error"]'),
    cbSubmit: $('[data-testid="prilavok-callback-submit"]'),
    cbDone: $('.cb-done'),
    cbBack: $('.cb-back'),
    conn: $('.conn'),
    list: $('.messages'),
    greeting: $('.greeting'),
    typing: $('.typing'),
    typingText: $('.typing-text'),
    form: $('.composer'),
    input: $('.input'),
    send: $('.send'),
  });

  ui.title.textContent = t.title;
  ui.greeting.textContent = t.greeting;
  ui.input.placeholder = t.placeholder;
  ui.input.setAttribute('aria-label', t.placeholder);
  ui.send.setAttribute('aria-label', t.send);
  ui.send.title = t.send;
  ui.closeBtn.setAttribute('aria-label', t.closeChat);
  ui.closeBtn.title = t.closeChat;
  ui.launcher.setAttribute('aria-label', t.openChat);
  ui.panel.setAttribute('aria-label', t.title);
  ui.cbLink.textContent = t.callbackLink;
  ui.cbOpen.setAttribute('aria-label', t.callbackOpen);
  ui.cbOpen.title = t.callbackOpen;
  ui.inviteReply.textContent = t.reply;
  ui.inviteX.setAttribute('aria-label', t.closeInvitation);
  ui.inviteX.title = t.closeInvitation;
  ui.cbTabs[0].textContent = t.cbModeCallback;
  ui.cbTabs[1].textContent = t.cbModeMessage;
  ui.cbForm.querySelector('.lbl-name').textContent = t.cbName;
  ui.cbForm.querySelector('.lbl-time').textContent = t.cbTime;
  ui.cbForm.querySelector('.lbl-text').textContent = t.cbText;
  for (const label of t.cbTimes) {
    const o = document.createElement('option');
    o.value = label;
    o.textContent = label;
    ui.cbTime.appendChild(o);
  }
  ui.cbBack.textContent = t.cbBack;

  ui.launcher.addEventListener('click', () => {
    if (state.open) closePanel();
    else if (state.invitation) acceptInvitation(); // the visitor answers the invitation
    else openPanel();
  });
  ui.cbLink.addEventListener('click', () => showCallbackForm('callback'));
  ui.cbOpen.addEventListener('click', () => (state.view === 'callback' ? showChat() : showCallbackForm('callback')));
  ui.cbBack.addEventListener('click', () => showChat(true));
  for (const tab of ui.cbTabs) tab.addEventListener('click', () => setCallbackMode(tab.dataset.mode));
  ui.cbForm.addEventListener('submit', (e) => {
    e.preventDefault();
    submitCallback();
  });
  ui.invite.addEventListener('click', (e) => {
    if (ui.inviteX.contains(e.target)) return;
    acceptInvitation();
  });
  ui.preview.addEventListener('click', (e) => {
    if (ui.previewX.contains(e.target)) return;
    openPanel();
  });
  ui.previewX.setAttribute('aria-label', t.closeInvitation);
  ui.previewX.addEventListener('click', (e) => {
    e.stopPropagation();
    dismissPreview();
  });
  ui.list.addEventListener('scroll', keepScroll, { passive: true });
  window.addEventListener('pagehide', () => saveScroll());
  ui.inviteX.addEventListener('click', (e) => {
    e.stopPropagation();
    dismissInvitation();
  });
  // Input inside the widget counts as activity too (scroll does not leave the shadow root).
  for (const name of INPUT_EVENTS) shadow.addEventListener(name, onInput, { capture: true, passive: true });
  ui.closeBtn.addEventListener('click', () => closePanel());
  ui.panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      closePanel();
      ui.launcher.focus();
    }
  });
  ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  ui.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  ui.input.addEventListener('input', () => {
    autosize();
    onTypingInput();
    savePanel({ draft: ui.input.value });
  });

  document.body.appendChild(host);

  // Pending messages from a previous page load.
  for (const item of outbox.load()) ensurePendingEntry(item);
  renderHeader();
  renderConnection();
  reorder();
  updateBadge();
  // Where the visitor left the panel on the previous page of this visit.
  const kept = loadPanel();
  if (kept.draft) {
    ui.input.value = kept.draft;
    autosize();
  }
  pendingScroll = kept.open ? kept.scroll : null;
  if (state.pendingOpen || kept.open) openPanel();
}

// The history's scroll position, kept for the next page: null when at the bottom (new messages
// keep it there). Restored once, after the first `session` has filled the history.
let pendingScroll = null;
let scrollTimer = null;
function saveScroll() {
  if (!ui.host || !state.open || pendingScroll !== null) return;
  const l = ui.list;
  const atBottom = l.scrollHeight - l.scrollTop - l.clientHeight < 80;
  savePanel({ scroll: atBottom ? null : Math.round(l.scrollTop) });
}
function keepScroll() {
  clearTimeout(scrollTimer);
  scrollTimer = setTimeout(saveScroll, 150);
}
export function restoreScroll() {
  if (!ui.host || pendingScroll === null) return;
  ui.list.scrollTop = pendingScroll;
  pendingScroll = null;
}

export function autosize() {
  const el = ui.input;
  el.style.height = 'auto';
  el.style.height = Math.min(el.scrollHeight + 2, 120) + 'px';
  ui.send.classList.toggle('idle', !el.value.trim());
}

export function applyConversation(conv, announce) {
  const prev = state.conversation;
  if (!conv && prev && prev.status === 'closed') return; // keep showing "closed"
  state.conversation = conv || null;
  if (announce && conv) {
    const joined =
      conv.status === 'active' && conv.operator_name &&
      (!prev || prev.id !== conv.id || prev.status !== 'active' || prev.operator_name !== conv.operator_name);
    const closed = conv.status === 'closed' && !(prev && prev.id === conv.id && prev.status === 'closed');
    if (joined || closed) {
      mutate(() => addNote(joined ? t.joined(conv.operator_name) : t.closed));
    }
  }
  if (conv && conv.status !== 'active') hideTyping();
  if (conv && (conv.status === 'queued' || conv.status === 'active')) hideInvitation();
  renderHeader();
  maybeAskRating(conv);
}

export function renderHeader() {
  if (!ui.host) return;
  const c = state.conversation;
  const status = c ? c.status : null;
  const said = describe(state.availability, c, locale); // who can answer, honestly
  ui.queue.hidden = status !== 'queued';
  ui.operator.hidden = !(status === 'active' && c.operator_name);
  ui.closed.hidden = status !== 'closed';
  ui.avail.hidden = !(said && (status === null || (status === 'closed' && said.kind === 'offline')));
  ui.panel.dataset.availability = state.availability ? state.availability.state : '';
  if (said && !ui.avail.hidden) {
    ui.avail.dataset.kind = said.kind;
    ui.avail.textContent = said.text;
  }
  if (status === 'queued') {
    ui.queue.dataset.position = c.queue_position != null ? String(c.queue_position) : '';
    ui.queue.dataset.kind = said ? said.kind : 'queue';
    ui.queue.textContent = said ? said.text : c.queue_position != null ? t.queue(c.queue_position) : t.queueNoPlace;
  }
  if (status === 'active' && c.operator_name) ui.operator.textContent = t.operator(c.operator_name);
  if (status === 'closed') ui.closed.textContent = t.closedHint;
  const offline = !!(state.availability && state.availability.state === 'offline');
  ui.greeting.textContent = offline ? t.greetingOffline : t.greeting; // never "how can we help" to nobody
  ui.cbLink.hidden = !(status === 'queued' || (offline && status !== 'active')) || state.view !== 'chat';
  ui.panel.dataset.conversation = status || 'none';
}

let flashTimer = null;
let flashText = null;
export function renderConnection() {
  if (!ui.host) return;
  const c = ui.conn;
  let text = null;
  let st = 'ok';
  if (!state.ready) {
    text = state.hadSession ? t.reconnecting : t.connecting;
    st = state.hadSession ? 'reconnecting' : 'connecting';
  } else if (flashText) {
    text = flashText;
    st = 'error';
  }
  c.dataset.state = st;
  c.textContent = text || '';
  c.hidden = !text;
}
export function flash(text) {
  flashText = text;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => {
    flashText = null;
    renderConnection();
  }, 5000);
  renderConnection();
}

let typingHideTimer = null;
export function showTyping(name) {
  if (!ui.host) return;
  ui.typingText.textContent = name ? t.typing(name) : t.typingAnon;
  ui.typing.hidden = false;
  clearTimeout(typingHideTimer);
  typingHideTimer = setTimeout(hideTyping, TYPING_SHOW_MAX);
}
export function hideTyping() {
  clearTimeout(typingHideTimer);
  if (ui.host) ui.typing.hidden = true;
}

export function openPanel(keepView) {
  if (!ui.host) {
    state.pendingOpen = true;
    return;
  }
  if (!keepView && !state.open && state.view !== 'chat') showChat();
  if (state.open) return;
  state.open = true;
  savePanel({ open: true });
  hidePreview();
  ui.root.classList.add('open');
  ui.panel.hidden = false;
  ui.launcher.setAttribute('aria-expanded', 'true');
  scrollToBottom();
  // On touch screens focusing would pop the keyboard over the history: let the visitor tap.
  const touch = window.matchMedia && matchMedia('(pointer: coarse)').matches;
  if (!touch) {
    try {
      ui.input.focus({ preventScroll: true });
    } catch (_) {
      /* ignore */
    }
  }
  syncRead();
}
export function closePanel() {
  state.pendingOpen = false;
  if (!ui.host || !state.open) return;
  state.open = false;
  savePanel({ open: false, scroll: null });
  ui.root.classList.remove('open');
  ui.panel.hidden = true;
  ui.launcher.setAttribute('aria-expanded', 'false');
  if (state.view !== 'chat') showChat(); // the next open starts with the chat
  updateBadge();
}

export function focusInput() {
  if (!ui.host) return;
  try {
    ui.input.focus({ preventScroll: true });
  } catch (_) {
    /* ignore */
  }
}

// ---------------------------------------------------------------- call-back / leave-a-message form

export function showChat(focus) {
  if (!ui.host) return;
  state.view = 'chat';
  ui.panel.dataset.view = 'chat';
  ui.cbView.hidden = true;
  ui.list.hidden = false;
  ui.form.hidden = false;
  renderHeader();
  scrollToBottom();
  if (focus) focusInput();
}
