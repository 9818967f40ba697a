// The widget's shared state for this page load: one object per concern, filled in by the modules.

import { K_OUTBOX, K_READ, K_TOKEN, store } from './storage.js';
import { createOutbox } from './outbox.js';
import { createReceipts } from './receipts.js';

export const state = {
  token: store.get(K_TOKEN) || null,
  conversation: null, // VConversation | null
  availability: null, // Availability | null: who can answer (session, `availability`)
  open: false,
  connected: false, // socket connected
  ready: false, // `session` received on this connection
  hadSession: false, // at least once: later disconnects are "reconnecting"
  lastRead: Number(store.get(K_READ)) || 0, // newest non-visitor id seen in the open panel
  readSent: 0, // newest up_to the server acknowledged (or that we sent)
  authUrl: null,
  lastUrl: location.href, // the address last reported (or sent with the handshake)
  visitor: null, // session.visitor {id, name, returning, visits_count}
  visitBaseSeconds: 0, // session.visit.elapsed_seconds ...
  visitBaseAt: Date.now(), // ... at this Date.now()
  pageBase: 1, // session.visit.page_count
  spaPages: 0, // SPA navigations reported since that session
  rules: [], // Rule[]
  serverCart: null, // Cart from the server (session / cart ack)
  hostCart: null, // the last cart the host page gave us (normalised), null when none yet
  lastInputAt: Date.now(),
  idleReported: false, // an `activity` with idle ≥ IDLE_AFTER went out and input did not resume
  tabHidden: document.visibilityState === 'hidden', // a real hide, never a page unloading
  exitIntentNow: false, // true only while rules are evaluated at an exit intent
  firing: false, // a rule.fire waits for its decision
  invitation: null, // the invitation on screen {invitation_id, text, operator_name}
  view: 'chat', // 'chat' | 'callback' (the call-back / leave-a-message form)
  pendingOpen: false, // open was asked for before the panel was mounted
  typingOn: false, // we told the server the visitor is typing
};

export const net = { socket: null };

// The mounted elements (see view.js mount); empty until then, so `ui.host` tells whether mounted.
export const ui = {};

export const outbox = createOutbox(store, K_OUTBOX);
export const receipts = createReceipts();

export function canEmit() {
  return !!(net.socket && net.socket.connected && state.ready);
}

export function chatting() {
  const c = state.conversation;
  return !!(c && (c.status === 'queued' || c.status === 'active'));
}
