/*
 * Prilavok visitor chat widget.
 *
 * Plain JavaScript, no build step. Embedded on a shop page with
 *   <script src="https://HOST/widget.js" async data-locale="ru" data-color="#2f6fed"></script>
 * The wire contract is docs/protocol.md (Socket.IO namespace /visitor).
 *
 * Everything lives inside an open shadow root on <div id="prilavok-widget">; the only global
 * is window.Prilavok = {open(), close(), version}. Message text is only ever put into the DOM
 * through textContent.
 */
(() => {
  'use strict';

  if (window.Prilavok || document.getElementById('prilavok-widget')) return; // included twice

  const VERSION = '0.1.0';
  const ACK_TIMEOUT = 10000;
  const RETRY_AFTER_TIMEOUT = 5000;
  const TYPING_EVERY = 2000;
  const TYPING_IDLE = 3000;
  const TYPING_SHOW_MAX = 6000;
  const NOTE_DEDUP_MS = 4000;
  const K_TOKEN = 'prilavok.token';
  const K_OUTBOX = 'prilavok.outbox';
  const K_READ = 'prilavok.read';
  const DROP_CODES = new Set(['too_long', 'empty', 'invalid_payload']);
  const ACKED_EVENTS = new Set(['message', 'typing', 'read', 'page']);

  // ---------------------------------------------------------------- where we come from

  const script =
    document.currentScript ||
    Array.from(document.getElementsByTagName('script'))
      .reverse()
      .find((s) => /\/widget\.js(?:[?#].*)?$/.test(s.src || ''));

  let base = location.origin;
  try {
    if (script && script.src) {
      const u = new URL(script.src, location.href);
      base = u.origin + u.pathname.replace(/\/widget\.js$/, '').replace(/\/+$/, '');
    }
  } catch (_) {
    /* keep the page origin */
  }
  const attr = (name) => (script && script.getAttribute(name)) || '';

  // ---------------------------------------------------------------- texts

  const I18N = {
    ru: {
      title: 'Чат с магазином',
      placeholder: 'Напишите сообщение…',
      send: 'Отправить',
      openChat: 'Открыть чат с магазином',
      closeChat: 'Закрыть чат',
      greeting: 'Здравствуйте! Чем помочь?',
      queue: (n) => `Все операторы заняты. Ваше место в очереди: ${n}`,
      queueNoPlace: 'Все операторы заняты. Скоро вам ответят',
      operator: (name) => `Оператор: ${name}`,
      joined: (name) => `К чату подключился оператор ${name}`,
      typing: (name) => `${name} печатает…`,
      typingAnon: 'Оператор печатает…',
      connecting: 'Подключение…',
      reconnecting: 'Переподключение…',
      loadFailed: 'Не удалось загрузить чат. Пробуем ещё раз…',
      closed: 'Чат завершён',
      closedHint: 'Чат завершён. Напишите, и мы начнём новый',
      unread: (n) => `Непрочитанных сообщений: ${n}`,
      status: {
        pending: 'Отправляется',
        sent: 'Отправлено',
        delivered: 'Доставлено',
        read: 'Прочитано',
        failed: 'Не отправлено',
      },
      errors: {
        too_long: 'Сообщение слишком длинное — не больше 4000 символов',
        empty: 'Пустое сообщение не отправлено',
        invalid_payload: 'Сообщение не удалось отправить',
        retry: 'Пока не отправлено — попробуем ещё раз',
        generic: 'Что-то пошло не так',
      },
    },
    en: {
      title: 'Chat with the shop',
      placeholder: 'Type a message…',
      send: 'Send',
      openChat: 'Open the chat with the shop',
      closeChat: 'Close the chat',
      greeting: 'Hello! How can we help?',
      queue: (n) => `All operators are busy. Your place in the queue: ${n}`,
      queueNoPlace: 'All operators are busy. Someone will answer soon',
      operator: (name) => `Operator: ${name}`,
      joined: (name) => `Operator ${name} joined the chat`,
      typing: (name) => `${name} is typing…`,
      typingAnon: 'The operator is typing…',
      connecting: 'Connecting…',
      reconnecting: 'Reconnecting…',
      loadFailed: 'Could not load the chat. Retrying…',
      closed: 'Chat closed',
      closedHint: 'Chat closed. Write to us to start a new one',
      unread: (n) => `Unread messages: ${n}`,
      status: {
        pending: 'Sending',
        sent: 'Sent',
        delivered: 'Delivered',
        read: 'Read',
        failed: 'Not sent',
      },
      errors: {
        too_long: 'The message is too long — 4000 characters at most',
        empty: 'An empty message was not sent',
        invalid_payload: 'The message could not be sent',
        retry: 'Not sent yet — we will retry',
        generic: 'Something went wrong',
      },
    },
  };

  const locale = (() => {
    const own = attr('data-locale').toLowerCase();
    if (own === 'ru' || own === 'en') return own;
    const lang = (document.documentElement.getAttribute('lang') || '').toLowerCase();
    return lang.startsWith('ru') ? 'ru' : 'en';
  })();
  const t = I18N[locale];

  // ---------------------------------------------------------------- storage (may be unavailable)

  const memStore = Object.create(null);
  const store = {
    get(k) {
      try {
        return window.localStorage.getItem(k);
      } catch (_) {
        return k in memStore ? memStore[k] : null;
      }
    },
    set(k, v) {
      try {
        window.localStorage.setItem(k, v);
      } catch (_) {
        memStore[k] = v;
      }
    },
    remove(k) {
      try {
        window.localStorage.removeItem(k);
      } catch (_) {
        delete memStore[k];
      }
    },
  };

  function uuid() {
    try {
      if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    } catch (_) {
      /* not a secure context */
    }
    const b = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(b);
    else for (let i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // Outbox: read-modify-write on every change, so several tabs don't overwrite each other.
  function outboxLoad() {
    try {
      const v = JSON.parse(store.get(K_OUTBOX) || '[]');
      return Array.isArray(v)
        ? v.filter((i) => i && typeof i.client_id === 'string' && typeof i.text === 'string')
        : [];
    } catch (_) {
      return [];
    }
  }
  function outboxSave(list) {
    if (list.length) store.set(K_OUTBOX, JSON.stringify(list));
    else store.remove(K_OUTBOX);
  }
  function outboxAdd(item) {
    const list = outboxLoad();
    if (!list.some((i) => i.client_id === item.client_id)) list.push(item);
    outboxSave(list);
  }
  function outboxRemove(clientId) {
    const list = outboxLoad();
    const rest = list.filter((i) => i.client_id !== clientId);
    if (rest.length !== list.length) outboxSave(rest);
  }
  function outboxHas(clientId) {
    return outboxLoad().some((i) => i.client_id === clientId);
  }

  // ---------------------------------------------------------------- state

  const state = {
    token: store.get(K_TOKEN) || null,
    conversation: null, // VConversation | null
    open: false,
    connected: false, // socket connected
    ready: false, // `session` received on this connection
    hadSession: false, // at least once: later disconnects are "reconnecting"
    loadFailed: false,
    lastRead: Number(store.get(K_READ)) || 0, // newest non-visitor id seen in the open panel
    readSent: 0, // newest up_to the server acknowledged (or that we sent)
    authUrl: null,
  };
  const entries = []; // messages and local notes, see newEntry()
  const byId = new Map();
  const receipts = new Map(); // conversation_id -> {delivered, read}
  let seq = 0;
  let socket = null;
  let lastServerSystemAt = 0;

  function newEntry(fields) {
    return Object.assign(
      {
        kind: 'message', // or 'note' (local, not from the server)
        seq: ++seq,
        id: null,
        client_id: null,
        conversation_id: null,
        author: 'visitor',
        author_name: null,
        text: '',
        created_at: null,
        delivered_at: null,
        read_at: null,
        acked: false,
        failed: false,
        error: null,
        noteKey: 0,
        createdAtMs: Date.now(),
        el: null,
      },
      fields,
    );
  }

  // ---------------------------------------------------------------- styles and markup

  function brandColor() {
    const c = attr('data-color').trim();
    try {
      if (c && window.CSS && CSS.supports('color', c) && !/[;{}<>]/.test(c)) return c;
    } catch (_) {
      /* fall through */
    }
    return '#2f6fed';
  }

  const CSS_TEXT = `
:host{all:initial !important;display:block !important;position:fixed !important;right:0 !important;
  bottom:0 !important;width:0 !important;height:0 !important;margin:0 !important;padding:0 !important;
  border:0 !important;z-index:2147483000 !important;visibility:visible !important;opacity:1 !important;
  transform:none !important;pointer-events:none !important;
  font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif !important;
  color:#1d2330 !important;text-align:left !important;
  --plv-brand:${brandColor()};--plv-text:#1d2330;--plv-muted:#6b7280;--plv-grey:#eef0f4;--plv-line:#e5e7eb}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none !important}
.root{pointer-events:none}
button,textarea{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
.launcher{pointer-events:auto;position:fixed;right:20px;bottom:20px;width:60px;height:60px;border-radius:50%;
  border:0;padding:0;background:var(--plv-brand);color:#fff;display:flex;align-items:center;justify-content:center;
  box-shadow:0 6px 20px rgba(16,24,40,.25);transition:transform .15s ease,box-shadow .15s ease}
.launcher:hover{transform:translateY(-2px);box-shadow:0 10px 26px rgba(16,24,40,.3)}
.launcher:focus-visible,.send:focus-visible{outline:3px solid color-mix(in srgb,var(--plv-brand) 45%,transparent);outline-offset:2px}
.close:focus-visible{outline:2px solid #fff;outline-offset:1px}
.launcher svg{width:28px;height:28px}
.launcher .ic-x{display:none}
.root.open .launcher .ic-chat{display:none}
.root.open .launcher .ic-x{display:block}
.badge{position:absolute;top:-3px;right:-3px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;
  background:#e5484d;color:#fff;font-size:12px;font-weight:700;line-height:18px;text-align:center;border:2px solid #fff}
.panel{pointer-events:auto;position:fixed;right:20px;bottom:92px;width:360px;height:520px;
  max-height:calc(100vh - 112px);display:flex;flex-direction:column;background:#fff;color:var(--plv-text);
  border-radius:16px;overflow:hidden;box-shadow:0 16px 48px rgba(16,24,40,.24),0 2px 6px rgba(16,24,40,.08);
  animation:plv-in .18s ease-out}
@keyframes plv-in{from{opacity:0;transform:translateY(12px) scale(.98)}to{opacity:1;transform:none}}
.head{display:flex;align-items:center;gap:12px;padding:14px 10px 14px 16px;background:var(--plv-brand);color:#fff;flex:none}
.avatar{width:38px;height:38px;border-radius:50%;background:rgba(255,255,255,.2);display:flex;align-items:center;justify-content:center;flex:none}
.avatar svg{width:22px;height:22px}
.titles{flex:1;min-width:0}
.title{font-weight:650;font-size:16px;line-height:1.25;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.sub{font-size:12.5px;line-height:1.35;opacity:.9;margin-top:2px}
.sub:empty{display:none}
.close{width:36px;height:36px;border:0;border-radius:50%;background:transparent;color:#fff;display:flex;
  align-items:center;justify-content:center;flex:none;padding:0}
.close:hover{background:rgba(255,255,255,.16)}
.close svg{width:20px;height:20px}
.conn{flex:none;font-size:12.5px;padding:6px 16px;background:#fff7e0;color:#7a5a00;border-bottom:1px solid #f3e3b0}
.conn[data-state="error"]{background:#fdecec;color:#9b1c1c;border-bottom-color:#f5c2c2}
.messages{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:16px 12px 8px;display:flex;flex-direction:column;gap:2px;
  background:#fff;scroll-behavior:auto}
.greeting{align-self:flex-start;max-width:85%;background:var(--plv-grey);border-radius:18px;border-bottom-left-radius:6px;
  padding:9px 13px;margin-bottom:4px}
.spacer{margin-top:auto;flex:none}
.msg{display:flex;flex-direction:column;max-width:82%;margin-top:6px}
.msg.same{margin-top:0}
.msg.visitor{align-self:flex-end;align-items:flex-end}
.msg.operator{align-self:flex-start;align-items:flex-start}
.msg.system,.note{align-self:center;max-width:90%;align-items:center;text-align:center;color:var(--plv-muted);font-size:12px;margin:10px 0 6px}
.name{font-size:12px;color:var(--plv-muted);margin:0 0 2px 12px}
.bubble{padding:8px 12px;border-radius:18px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;max-width:100%}
.visitor .bubble{background:var(--plv-brand);color:#fff;border-bottom-right-radius:6px}
.operator .bubble{background:var(--plv-grey);color:var(--plv-text);border-bottom-left-radius:6px}
.system .bubble{padding:0;background:none;border-radius:0}
.visitor[data-status="pending"] .bubble{opacity:.72}
.visitor[data-status="failed"] .bubble{background:#fff;color:var(--plv-text);border:1px solid #e5484d}
.meta{display:flex;align-items:center;gap:3px;font-size:11px;color:var(--plv-muted);margin:2px 4px 0;min-height:14px}
.system .meta{display:none}
.mark{display:inline-flex;align-items:center}
.mark svg{height:14px;width:auto}
.visitor[data-status="read"] .mark{color:var(--plv-brand)}
.visitor[data-status="failed"] .mark{color:#e5484d}
.err{font-size:12px;color:#c4262e;margin:2px 4px 0;text-align:right;max-width:100%}
.typing{flex:none;font-size:12.5px;color:var(--plv-muted);padding:2px 16px 6px;display:flex;align-items:center;gap:6px;min-height:22px}
.dots{display:inline-flex;gap:3px}
.dots i{width:5px;height:5px;border-radius:50%;background:var(--plv-muted);animation:plv-dot 1.2s infinite ease-in-out}
.dots i:nth-child(2){animation-delay:.15s}.dots i:nth-child(3){animation-delay:.3s}
@keyframes plv-dot{0%,60%,100%{opacity:.25;transform:none}30%{opacity:1;transform:translateY(-2px)}}
.composer{flex:none;display:flex;align-items:flex-end;gap:8px;padding:10px 12px 12px;border-top:1px solid var(--plv-line);background:#fff}
.input{flex:1;resize:none;border:1px solid transparent;border-radius:20px;background:#f3f4f6;padding:9px 14px;
  line-height:1.4;max-height:120px;min-height:40px;height:40px;outline:none;font-size:14px;color:var(--plv-text);display:block;width:100%}
.input:focus{background:#fff;border-color:var(--plv-brand);box-shadow:0 0 0 3px color-mix(in srgb,var(--plv-brand) 14%,transparent)}
.input::placeholder{color:#9aa1ad}
.send{width:40px;height:40px;border-radius:50%;border:0;padding:0;background:var(--plv-brand);color:#fff;display:flex;
  align-items:center;justify-content:center;flex:none;transition:opacity .15s ease}
.send.idle{opacity:.45}
.send svg{width:19px;height:19px}
@media (max-width:480px){
  .panel{right:0;bottom:0;left:0;top:0;width:auto;height:auto;max-height:none;border-radius:0}
  .root.open .launcher{display:none}
  .input{font-size:16px}
}
@media (prefers-reduced-motion:reduce){.panel,.dots i,.launcher{animation:none;transition:none}}
`;

  // Constant markup only: no message or server text ever goes through innerHTML.
  const ICONS = {
    chat:
      '<svg class="ic-chat" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.5-4.8A8 8 0 1 1 21 12z"/><path d="M8.5 12h.01M12 12h.01M15.5 12h.01" stroke-width="2.6"/></svg>',
    x: '<svg class="ic-x" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>',
    shop: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.9" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M4 9h16l-1.2 10.2a1 1 0 0 1-1 .8H6.2a1 1 0 0 1-1-.8z"/><path d="M9 9V7a3 3 0 0 1 6 0v2"/></svg>',
    send: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M5 12h13M12 5l7 7-7 7"/></svg>',
    pending:
      '<svg viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" aria-hidden="true"><circle cx="8" cy="8" r="6"/><path d="M8 4.8V8l2.2 1.4"/></svg>',
    sent: '<svg viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M3 8.6l3 3 7-7.2"/></svg>',
    double:
      '<svg viewBox="0 0 22 16" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M1.5 8.6l3 3 7-7.2"/><path d="M9.5 11.2l.4.4 7-7.2"/></svg>',
    failed:
      '<svg viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" aria-hidden="true"><circle cx="8" cy="8" r="6"/><path d="M8 4.8v3.6M8 11h.01"/></svg>',
  };
  ICONS.delivered = ICONS.double;
  ICONS.read = ICONS.double;

  const MARKUP = `
<div class="root">
  <section class="panel" data-testid="prilavok-panel" role="dialog" aria-modal="false" hidden>
    <div class="head">
      <div class="avatar">${ICONS.shop}</div>
      <div class="titles">
        <div class="title"></div>
        <div class="sub"><span class="operator" data-testid="prilavok-operator" hidden></span><span class="queue" data-testid="prilavok-queue" hidden></span><span class="closed" data-testid="prilavok-closed" hidden></span></div>
      </div>
      <button type="button" class="close" data-testid="prilavok-close">${ICONS.x.replace('class="ic-x" ', '')}</button>
    </div>
    <div class="conn" data-testid="prilavok-connection" data-state="connecting" role="status" hidden></div>
    <div class="messages" data-testid="prilavok-messages" role="log" aria-live="polite">
      <div class="spacer"></div>
      <div class="greeting" data-testid="prilavok-greeting"></div>
    </div>
    <div class="typing" data-testid="prilavok-typing" hidden><span class="dots" aria-hidden="true"><i></i><i></i><i></i></span><span class="typing-text"></span></div>
    <form class="composer" novalidate>
      <textarea class="input" data-testid="prilavok-input" rows="1" autocomplete="off"></textarea>
      <button type="submit" class="send idle" data-testid="prilavok-send">${ICONS.send}</button>
    </form>
  </section>
  <button type="button" class="launcher" data-testid="prilavok-launcher" aria-expanded="false">${ICONS.chat}${ICONS.x}<span class="badge" data-testid="prilavok-badge" hidden>0</span></button>
</div>`;

  // ---------------------------------------------------------------- DOM

  let ui = null;

  function mount() {
    if (ui || document.getElementById('prilavok-widget')) return;
    const host = document.createElement('div');
    host.id = 'prilavok-widget';
    const shadow = host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = CSS_TEXT;
    const wrap = document.createElement('div');
    wrap.innerHTML = MARKUP; // constant
    shadow.append(style, ...wrap.childNodes);
    const $ = (sel) => shadow.querySelector(sel);
    ui = {
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
      closeBtn: $('.close'),
      conn: $('.conn'),
      list: $('.messages'),
      greeting: $('.greeting'),
      typing: $('.typing'),
      typingText: $('.typing-text'),
      form: $('.composer'),
      input: $('.input'),
      send: $('.send'),
    };

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

    ui.launcher.addEventListener('click', () => (state.open ? closePanel() : openPanel()));
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
    });

    document.body.appendChild(host);

    // Pending messages from a previous page load.
    for (const item of outboxLoad()) ensurePendingEntry(item);
    renderHeader();
    renderConnection();
    reorder();
    updateBadge();
    if (pendingOpen) openPanel();
  }

  function autosize() {
    const el = ui.input;
    el.style.height = 'auto';
    el.style.height = Math.min(el.scrollHeight + 2, 120) + 'px';
    ui.send.classList.toggle('idle', !el.value.trim());
  }

  function nearBottom() {
    const l = ui.list;
    return l.scrollHeight - l.scrollTop - l.clientHeight < 80;
  }
  function scrollToBottom() {
    ui.list.scrollTop = ui.list.scrollHeight;
  }

  // Runs a change to the message list and keeps the view pinned to the bottom when it was there.
  function mutate(fn, force) {
    const stick = !ui || force || nearBottom();
    fn();
    if (!ui) return;
    reorder();
    if (stick) scrollToBottom();
    updateBadge();
  }

  // ---------------------------------------------------------------- entries

  function entryKey(e) {
    if (e.kind === 'note') return e.noteKey;
    return e.id != null ? e.id : Number.MAX_SAFE_INTEGER;
  }

  function statusOf(e) {
    if (e.failed) return 'failed';
    if (e.id == null) return e.acked ? 'sent' : 'pending';
    const r = receipts.get(e.conversation_id) || { delivered: 0, read: 0 };
    if (e.read_at || r.read >= e.id) return 'read';
    if (e.delivered_at || r.delivered >= e.id) return 'delivered';
    return 'sent';
  }

  const timeFmt = (() => {
    try {
      return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' });
    } catch (_) {
      return null;
    }
  })();
  function fmtTime(iso) {
    if (!iso || !timeFmt) return '';
    const d = new Date(iso);
    return isNaN(d.getTime()) ? '' : timeFmt.format(d);
  }

  function el(tag, cls, attrs) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (attrs) for (const k in attrs) n.setAttribute(k, attrs[k]);
    return n;
  }

  function build(e) {
    if (e.kind === 'note') {
      const n = el('div', 'note', { 'data-testid': 'prilavok-note', role: 'status' });
      n.textContent = e.text;
      e.el = n;
      return;
    }
    const root = el('div', 'msg', { 'data-testid': 'prilavok-message' });
    const name = el('div', 'name');
    const bubble = el('div', 'bubble');
    const text = el('div', 'text', { 'data-testid': 'prilavok-text' });
    bubble.appendChild(text);
    const meta = el('div', 'meta');
    const time = el('time', 'time');
    const mark = el('span', 'mark', { 'data-testid': 'prilavok-mark' });
    meta.append(time, mark);
    const err = el('div', 'err', { 'data-testid': 'prilavok-error', role: 'alert' });
    root.append(name, bubble, meta, err);
    e.el = root;
    e.parts = { name, text, time, mark, err };
    e.renderedStatus = null;
  }

  function render(e) {
    if (!ui) return;
    if (!e.el) build(e);
    if (e.kind === 'note') return;
    const n = e.el;
    const p = e.parts;
    const author = e.author === 'operator' || e.author === 'system' ? e.author : 'visitor';
    n.classList.remove('visitor', 'operator', 'system');
    n.classList.add(author);
    n.dataset.author = author;
    if (e.id != null) n.dataset.id = String(e.id);
    else delete n.dataset.id;
    if (e.client_id) n.dataset.clientId = e.client_id;
    else delete n.dataset.clientId;
    if (p.text.textContent !== e.text) p.text.textContent = e.text;
    p.name.textContent = e.author_name || '';
    const time = fmtTime(e.created_at);
    p.time.textContent = time;
    if (e.created_at) p.time.setAttribute('datetime', e.created_at);
    if (author === 'visitor') {
      const st = statusOf(e);
      n.dataset.status = st;
      if (e.renderedStatus !== st) {
        p.mark.innerHTML = ICONS[st]; // constant icon markup
        p.mark.title = t.status[st];
        p.mark.setAttribute('aria-label', t.status[st]);
        e.renderedStatus = st;
      }
      p.mark.hidden = false;
    } else {
      delete n.dataset.status;
      p.mark.hidden = true;
    }
    p.err.textContent = e.error || '';
    p.err.hidden = !e.error;
  }

  function reorder() {
    if (!ui) return;
    const sorted = entries.slice().sort((a, b) => entryKey(a) - entryKey(b) || a.seq - b.seq);
    let prev = null;
    for (const e of sorted) {
      if (!e.el) render(e);
      if (e.kind === 'message') {
        const same = prev && prev.kind === 'message' && prev.author === e.author &&
          (e.author !== 'operator' || prev.author_name === e.author_name);
        e.el.classList.toggle('same', !!same && e.author !== 'system');
        e.parts.name.hidden = !(e.author === 'operator' && e.author_name && !same);
      }
      prev = e;
    }
    const list = ui.list;
    let anchor = ui.greeting;
    for (const e of sorted) {
      if (anchor.nextSibling !== e.el) list.insertBefore(e.el, anchor.nextSibling);
      anchor = e.el;
    }
    while (anchor.nextSibling) list.removeChild(anchor.nextSibling);
    ui.greeting.hidden = sorted.length > 0;
  }

  function findPending(clientId) {
    return entries.find((e) => e.kind === 'message' && e.author === 'visitor' && e.client_id === clientId);
  }

  function ensurePendingEntry(item) {
    if (findPending(item.client_id)) return;
    const e = newEntry({ client_id: item.client_id, text: item.text, created_at: item.created_at });
    entries.push(e);
    render(e);
  }

  function maxMessageId() {
    let m = 0;
    for (const e of entries) if (e.kind === 'message' && e.id != null && e.id > m) m = e.id;
    return m;
  }

  function maxOtherId() {
    let m = 0;
    for (const e of entries) {
      if (e.kind === 'message' && e.author !== 'visitor' && e.id != null && e.id > m) m = e.id;
    }
    return m;
  }

  // Merge one server Message (dedup by id, then by the visitor's client_id).
  function upsertMessage(m, live) {
    if (!m || m.id == null) return null;
    let e = byId.get(m.id);
    if (!e && m.client_id && m.author === 'visitor') e = findPending(m.client_id);
    const isNew = !e;
    if (!e) {
      e = newEntry({});
      entries.push(e);
    }
    e.id = m.id;
    e.conversation_id = m.conversation_id;
    e.author = m.author;
    e.author_name = m.author_name || null;
    e.text = typeof m.text === 'string' ? m.text : String(m.text ?? '');
    e.client_id = m.client_id || e.client_id || null;
    e.created_at = m.created_at || e.created_at;
    e.delivered_at = m.delivered_at || e.delivered_at || null;
    e.read_at = m.read_at || e.read_at || null;
    e.acked = true;
    e.failed = false;
    e.error = null;
    byId.set(m.id, e);
    if (m.author === 'visitor' && m.client_id) outboxRemove(m.client_id);
    if (m.author === 'system' && isNew && live) {
      // The server announced the event itself: drop our own note about it.
      lastServerSystemAt = Date.now();
      for (let i = entries.length - 1; i >= 0; i--) {
        const n = entries[i];
        if (n.kind === 'note' && Date.now() - n.createdAtMs < NOTE_DEDUP_MS) entries.splice(i, 1);
      }
    }
    render(e);
    return e;
  }

  function addNote(text) {
    if (Date.now() - lastServerSystemAt < NOTE_DEDUP_MS) return; // the server said it already
    const e = newEntry({ kind: 'note', text, noteKey: maxMessageId() + 0.5 });
    entries.push(e);
    render(e);
  }

  function refreshVisitorStatuses() {
    for (const e of entries) if (e.kind === 'message' && e.author === 'visitor') render(e);
  }

  // ---------------------------------------------------------------- header, status, badge

  function applyConversation(conv, announce) {
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
    renderHeader();
  }

  function renderHeader() {
    if (!ui) return;
    const c = state.conversation;
    const status = c ? c.status : null;
    ui.queue.hidden = status !== 'queued';
    ui.operator.hidden = !(status === 'active' && c.operator_name);
    ui.closed.hidden = status !== 'closed';
    if (status === 'queued') {
      ui.queue.dataset.position = c.queue_position != null ? String(c.queue_position) : '';
      ui.queue.textContent = c.queue_position != null ? t.queue(c.queue_position) : t.queueNoPlace;
    }
    if (status === 'active' && c.operator_name) ui.operator.textContent = t.operator(c.operator_name);
    if (status === 'closed') ui.closed.textContent = t.closedHint;
    ui.panel.dataset.conversation = status || 'none';
  }

  let flashTimer = null;
  let flashText = null;
  function renderConnection() {
    if (!ui) return;
    const c = ui.conn;
    let text = null;
    let st = 'ok';
    if (state.loadFailed) {
      text = t.loadFailed;
      st = 'error';
    } else if (!state.ready) {
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
  function flash(text) {
    flashText = text;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => {
      flashText = null;
      renderConnection();
    }, 5000);
    renderConnection();
  }

  function unreadCount() {
    let n = 0;
    for (const e of entries) {
      if (e.kind === 'message' && e.author !== 'visitor' && e.id != null && e.id > state.lastRead && !e.read_at) n++;
    }
    return n;
  }
  function updateBadge() {
    if (!ui) return;
    const n = state.open ? 0 : unreadCount();
    ui.badge.hidden = n === 0;
    ui.badge.textContent = n > 99 ? '99+' : String(n);
    ui.launcher.setAttribute('aria-label', n ? `${t.openChat}. ${t.unread(n)}` : t.openChat);
  }

  let typingHideTimer = null;
  function showTyping(name) {
    if (!ui) return;
    ui.typingText.textContent = name ? t.typing(name) : t.typingAnon;
    ui.typing.hidden = false;
    clearTimeout(typingHideTimer);
    typingHideTimer = setTimeout(hideTyping, TYPING_SHOW_MAX);
  }
  function hideTyping() {
    clearTimeout(typingHideTimer);
    if (ui) ui.typing.hidden = true;
  }

  // ---------------------------------------------------------------- panel

  let pendingOpen = false;
  function openPanel() {
    if (!ui) {
      pendingOpen = true;
      return;
    }
    if (state.open) return;
    state.open = true;
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
  function closePanel() {
    pendingOpen = false;
    if (!ui || !state.open) return;
    state.open = false;
    ui.root.classList.remove('open');
    ui.panel.hidden = true;
    ui.launcher.setAttribute('aria-expanded', 'false');
    updateBadge();
  }

  // ---------------------------------------------------------------- sending

  function canEmit() {
    return !!(socket && socket.connected && state.ready);
  }

  function submit() {
    if (!ui) return;
    const text = ui.input.value.trim();
    if (!text) return;
    ui.input.value = '';
    autosize();
    stopTyping();
    const item = { client_id: uuid(), text, created_at: new Date().toISOString() };
    outboxAdd(item);
    mutate(() => ensurePendingEntry(item), true);
    flush();
  }

  const attempted = new Set(); // client_ids already emitted on this connection
  let flushing = false;
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      // One at a time, in order: the server stores them in the order the visitor typed them.
      for (;;) {
        if (!canEmit()) break;
        const item = outboxLoad().find((i) => !attempted.has(i.client_id));
        if (!item) break;
        attempted.add(item.client_id);
        mutate(() => ensurePendingEntry(item));
        await sendItem(item);
      }
    } finally {
      flushing = false;
    }
  }

  function sendItem(item) {
    const sock = socket;
    const cid = item.client_id;
    return new Promise((resolve) => {
      sock.timeout(ACK_TIMEOUT).emit('message', { client_id: cid, text: item.text }, (err, res) => {
        if (err) {
          // Timeout or disconnect: keep it in the outbox, resend on the next connect (and a bit
          // later on this one: the server dedups by client_id).
          if (sock === socket && sock.connected) {
            setTimeout(() => {
              attempted.delete(cid);
              flush();
            }, RETRY_AFTER_TIMEOUT);
          }
          resolve();
          return;
        }
        mutate(() => {
          if (res && res.ok) {
            outboxRemove(cid);
            if (res.message) upsertMessage(res.message, false);
            const e = findPending(cid);
            if (e && e.id == null) {
              e.acked = true;
              render(e);
            }
          } else {
            const error = (res && res.error) || {};
            const e = findPending(cid);
            if (DROP_CODES.has(error.code)) {
              outboxRemove(cid);
              if (e) {
                e.failed = true;
                e.error = t.errors[error.code] || error.message || t.errors.generic;
              }
            } else if (e) {
              e.error = t.errors.retry; // kept in the outbox: next connect resends it
            }
            if (e) render(e);
          }
        });
        if (res && res.ok && res.conversation) applyConversation(res.conversation, false);
        resolve();
      });
    });
  }

  // ---------------------------------------------------------------- typing, read, page

  let typingOn = false;
  let typingSentAt = 0;
  let typingIdleTimer = null;
  function emitQuiet(event, payload) {
    if (!canEmit()) return;
    socket.timeout(ACK_TIMEOUT).emit(event, payload, () => {});
  }
  function onTypingInput() {
    if (!ui.input.value.trim()) {
      stopTyping();
      return;
    }
    const now = Date.now();
    if (canEmit() && (!typingOn || now - typingSentAt >= TYPING_EVERY)) {
      typingOn = true;
      typingSentAt = now;
      emitQuiet('typing', { typing: true });
    }
    clearTimeout(typingIdleTimer);
    typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE);
  }
  function stopTyping() {
    clearTimeout(typingIdleTimer);
    if (!typingOn) return;
    typingOn = false;
    emitQuiet('typing', { typing: false });
  }

  function syncRead() {
    if (state.open && document.visibilityState === 'visible') {
      const max = maxOtherId();
      if (max > state.lastRead) {
        state.lastRead = max;
        store.set(K_READ, String(max));
      }
    }
    updateBadge();
    if (!canEmit()) return;
    const upTo = Math.min(state.lastRead, maxOtherId());
    if (upTo <= state.readSent) return;
    const unseen = entries.some(
      (e) => e.kind === 'message' && e.author !== 'visitor' && e.id != null &&
        e.id > state.readSent && e.id <= upTo && !e.read_at,
    );
    if (!unseen) return;
    const prev = state.readSent;
    state.readSent = upTo;
    socket.timeout(ACK_TIMEOUT).emit('read', { up_to: upTo }, (err, res) => {
      if ((err || !res || !res.ok) && state.readSent === upTo) state.readSent = prev;
    });
  }

  let lastUrl = location.href;
  let pageTimer = null;
  function checkUrl() {
    if (location.href === lastUrl) return;
    lastUrl = location.href;
    clearTimeout(pageTimer);
    // Frameworks usually set document.title right after pushState.
    pageTimer = setTimeout(() => emitQuiet('page', { url: location.href, title: document.title }), 150);
  }
  for (const name of ['pushState', 'replaceState']) {
    const orig = history[name];
    if (typeof orig !== 'function') continue;
    history[name] = function (...args) {
      const r = orig.apply(this, args);
      try {
        checkUrl();
      } catch (_) {
        /* never break the page */
      }
      return r;
    };
  }
  window.addEventListener('popstate', checkUrl);
  window.addEventListener('hashchange', checkUrl);

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') syncRead();
  });

  // ---------------------------------------------------------------- socket

  async function connect() {
    let mod;
    try {
      mod = await import(base + '/vendor/socket.io.esm.min.js');
    } catch (_) {
      state.loadFailed = true;
      renderConnection();
      setTimeout(connect, 8000);
      return;
    }
    state.loadFailed = false;
    const io = mod.io || mod.default;
    const u = new URL(base);
    const prefix = u.pathname.replace(/\/+$/, '');
    const opts = {
      auth: (cb) => {
        state.authUrl = location.href;
        lastUrl = location.href;
        const auth = { locale, url: location.href, title: document.title };
        if (state.token) auth.token = state.token;
        cb(auth);
      },
      transports: ['websocket', 'polling'],
    };
    if (prefix) opts.path = prefix + '/socket.io/';
    socket = io(u.origin + '/visitor', opts);

    // NB: python-socketio emits `session` from its connect handler, so it can arrive (buffered
    // by the client) just before `connect` fires: `connect` must not reset `ready`.
    socket.on('connect', () => {
      state.connected = true;
      renderConnection();
    });

    socket.on('disconnect', (reason) => {
      state.connected = false;
      state.ready = false;
      typingOn = false;
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
      mutate(() => {
        for (const m of s.messages || []) upsertMessage(m, false);
      });
      applyConversation(s.conversation || null, false);
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
        lastUrl = location.href;
        emitQuiet('page', { url: location.href, title: document.title });
      }
    });

    socket.on('message', (m) => {
      if (!m) return;
      mutate(() => upsertMessage(m, true));
      if (m.author !== 'visitor') {
        if (m.author === 'operator') hideTyping();
        // The operator's ✓✓: it reached this browser, read or not.
        if (m.id != null && !m.delivered_at) emitQuiet('delivered', { up_to: m.id });
        syncRead();
      }
    });

    socket.on('conversation', (c) => {
      if (c) applyConversation(c, true);
    });

    socket.on('typing', (p) => {
      if (p && p.typing) showTyping(p.author_name || (state.conversation && state.conversation.operator_name));
      else hideTyping();
    });

    socket.on('receipt', (r) => {
      if (!r || r.up_to == null) return;
      const cur = receipts.get(r.conversation_id) || { delivered: 0, read: 0 };
      if (r.field === 'read') {
        cur.read = Math.max(cur.read, r.up_to);
        cur.delivered = Math.max(cur.delivered, r.up_to);
      } else if (r.field === 'delivered') {
        cur.delivered = Math.max(cur.delivered, r.up_to);
      }
      receipts.set(r.conversation_id, cur);
      refreshVisitorStatuses();
    });

    socket.on('error', (e) => {
      // The server also mirrors a failed acked event as an `error` event (payload carries
      // `event`); ours all take acks and are handled there, so only show the others.
      if (e && ACKED_EVENTS.has(e.event)) return;
      const code = e && e.code;
      flash((e && e.message) || (code && t.errors[code]) || t.errors.generic);
    });
  }

  // ---------------------------------------------------------------- start

  window.Prilavok = Object.freeze({
    open: () => openPanel(),
    close: () => closePanel(),
    version: VERSION,
  });

  function start() {
    mount();
    connect();
  }
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
})();
