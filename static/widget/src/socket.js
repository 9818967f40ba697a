// The /visitor Socket.IO connection and the server's events (docs/protocol.md).

import { transportOptions, watchTransport } from '../../shared/transport.js';
import { hostQueue } from './host-api.js';
import { io } from 'socket.io-client';
import { normAvailability } from './availability.js';
import { num, sameCart } from './cart.js';
import { ACKED_EVENTS, base } from './config.js';
import { entries, mutate, refreshVisitorStatuses, upsertMessage } from './entries.js';
import { drainHostQueue } from './host-api.js';
import { errorText, locale } from './i18n.js';
import { reportActivityNow, setRules } from './proactive.js';
import { attempted, emitQuiet, flush, reportPage, syncRead } from './sending.js';
import { net, receipts, state } from './state.js';
import { K_TOKEN, store } from './storage.js';
import { previewUnread, showPreview } from './preview.js';
import { applyConversation, flash, hideTyping, renderConnection, renderHeader, restoreScroll, showTyping } from './view.js';

export function connect() {
  const u = new URL(base);
  const prefix = u.pathname.replace(/\/+$/, '');
  const opts = {
    auth: (cb) => {
      state.authUrl = location.href;
      state.lastUrl = location.href;
      const auth = { locale, url: location.href, title: document.title };
      if (state.token) auth.token = state.token;
      cb(auth);
    },
    ...transportOptions(), // WebSocket, or long-polling where it is blocked
  };
  if (prefix) opts.path = prefix + '/socket.io/';
  const socket = io(u.origin + '/visitor', opts);
  net.socket = socket;
  watchTransport(socket);

  // NB: python-socketio emits `session` from its connect handler, so it can arrive (buffered
  // by the client) just before `connect` fires: `connect` must not reset `ready`.
  socket.on('connect', () => {
    state.connected = true;
    renderConnection();
  });

  socket.on('disconnect', (reason) => {
    state.connected = false;
    state.ready = false;
    state.typingOn = false;
    hideTyping();
    renderConnection();
    if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1500);
  });

  socket.on('connect_error', () => {
    state.ready = false;
    renderConnection();
    if (!socket.active) setTimeout(() => socket.connect(), 5000);
  });

  socket.on('session', (s) => {
    if (!s) return;
    if (s.token && s.token !== state.token) {
      state.token = s.token;
      store.set(K_TOKEN, s.token);
    }
    state.visitor = s.visitor && typeof s.visitor === 'object' ? s.visitor : null;
    if (s.visit && typeof s.visit === 'object') {
      state.visitBaseSeconds = num(s.visit.elapsed_seconds);
      state.visitBaseAt = Date.now();
      state.pageBase = num(s.visit.page_count, 1);
      state.spaPages = 0;
    }
    setRules(s.rules);
    state.availability = normAvailability(s.availability);
    state.serverCart = s.cart && typeof s.cart === 'object' ? s.cart : null;
    // After a reconnect: the host's last cart goes again when the server's differs.
    const resendCart = !!state.hostCart && !hostQueue.some((i) => i.event === 'cart') &&
      !sameCart(state.hostCart, state.serverCart);
    mutate(() => {
      for (const m of s.messages || []) upsertMessage(m, false);
    });
    applyConversation(s.conversation || null, false);
    restoreScroll();
    for (const e of entries) {
      if (e.kind === 'message' && e.author !== 'visitor' && e.read_at && e.id > state.readSent) {
        state.readSent = e.id;
      }
    }
    state.ready = true;
    state.hadSession = true;
    attempted.clear();
    renderConnection();
    flush();
    syncRead();
    if (location.href !== state.authUrl) {
      state.lastUrl = location.href;
      reportPage();
    }
    drainHostQueue(resendCart);
    reportActivityNow();
    previewUnread();
  });

  socket.on('message', (m) => {
    if (!m) return;
    mutate(() => upsertMessage(m, true));
    if (m.author === 'operator') showPreview(m);
    if (m.author !== 'visitor') {
      if (m.author === 'operator') hideTyping();
      // The operator's ✓✓: it reached this browser, read or not.
      if (m.id != null && !m.delivered_at) emitQuiet('delivered', { up_to: m.id });
      syncRead();
    }
  });

  socket.on('availability', (a) => {
    state.availability = normAvailability(a);
    renderHeader();
  });

  socket.on('conversation', (c) => {
    if (c) applyConversation(c, true);
  });

  socket.on('rules', (r) => setRules(r)); // an admin saved a change: the next tick uses it

  socket.on('typing', (p) => {
    if (p && p.typing) showTyping(p.author_name || (state.conversation && state.conversation.operator_name));
    else hideTyping();
  });

  socket.on('receipt', (r) => {
    if (!r || r.up_to == null) return;
    receipts.apply(r);
    refreshVisitorStatuses();
  });

  socket.on('error', (e) => {
    // The server also mirrors a failed acked event as an `error` event (payload carries
    // `event`); ours all take acks and are handled there, so only show the others.
    if (e && ACKED_EVENTS.has(e.event)) return;
    flash(errorText(e));
  });
}
