/*
 * Prilavok visitor chat widget.
 *
 * Plain JavaScript, no build step. Embedded on a shop page with
 *   <script src="https://HOST/widget.js" async data-locale="ru" data-color="#2f6fed"></script>
 * The wire contract is docs/protocol.md (Socket.IO namespace /visitor).
 *
 * Everything lives inside an open shadow root on <div id="prilavok-widget">. Globals: the host
 * page API window.prilavok(command, payload) (the queue snippet
 *   window.prilavok=window.prilavok||function(){(prilavok.q=prilavok.q||[]).push(arguments)}
 * is replayed on load) and window.Prilavok = {identify, cart, purchase, open, close, version}.
 * Message and server text is only ever put into the DOM through textContent.
 */
(() => {
  'use strict';

  if (window.Prilavok || document.getElementById('prilavok-widget')) return; // included twice

  const VERSION = '0.2.0';
  const ACK_TIMEOUT = 10000;
  const RETRY_AFTER_TIMEOUT = 5000;
  const TYPING_EVERY = 2000;
  const TYPING_IDLE = 3000;
  const TYPING_SHOW_MAX = 6000;
  const NOTE_DEDUP_MS = 4000;
  const K_TOKEN = 'prilavok.token';
  const K_OUTBOX = 'prilavok.outbox';
  const K_READ = 'prilavok.read';
  const K_RATED = 'prilavok.rated';
  const DROP_CODES = new Set(['too_long', 'empty', 'invalid_payload']);
  // Every event the widget emits takes an ack: their mirrored `error` events are handled there.
  const ACKED_EVENTS = new Set([
    'message', 'typing', 'read', 'delivered', 'page', 'rule.fire', 'invitation.accept',
    'invitation.dismiss', 'identify', 'cart', 'purchase', 'activity', 'callback', 'rate',
  ]);
  // Rules are timed to the second; a quarter-second tick keeps them within it.
  const TICK_MS = 250;
  const IDLE_AFTER = 30; // seconds without input: reported to the server as idle
  const ACTIVITY_EVERY = 2000; // at most one `activity` per this many ms
  const INPUT_EVENTS = ['mousemove', 'mousedown', 'keydown', 'scroll', 'touchstart', 'wheel'];

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
      reply: 'Ответить',
      closeInvitation: 'Закрыть приглашение',
      invitationFrom: 'Консультант',
      callbackLink: 'Оставить заявку на звонок',
      callbackOpen: 'Заказать звонок или оставить сообщение',
      cbModeCallback: 'Перезвоните мне',
      cbModeMessage: 'Оставить сообщение',
      cbIntroCallback: 'Оставьте номер — мы перезвоним в удобное время.',
      cbIntroMessage: 'Напишите нам — ответим, как только сможем.',
      cbName: 'Ваше имя',
      cbPhone: 'Телефон',
      cbPhoneOptional: 'Телефон (необязательно)',
      cbTime: 'Когда удобно',
      cbTimes: ['сейчас', 'сегодня днём', 'вечером', 'завтра'],
      cbText: 'Сообщение',
      cbSubmitCallback: 'Перезвоните мне',
      cbSubmitMessage: 'Отправить сообщение',
      cbDoneCallback: 'Спасибо! Мы перезвоним вам.',
      cbDoneMessage: 'Спасибо! Мы получили ваше сообщение и скоро ответим.',
      cbBack: 'Вернуться в чат',
      ratingTitle: 'Оцените, пожалуйста, наш разговор',
      ratingStar: (n) => `Оценка ${n} из 5`,
      ratingComment: 'Комментарий (необязательно)',
      ratingSubmit: 'Отправить оценку',
      ratingPick: 'Выберите оценку — от 1 до 5 звёзд',
      ratingThanks: 'Спасибо за оценку!',
      purchaseThanks: 'Спасибо за покупку!',
      purchaseRelated: 'Вам может пригодиться:',
      price: (n) => `${n} ₽`,
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
        invalid_phone: 'Проверьте номер телефона — похоже, в нём ошибка',
        empty_form: 'Заполните, пожалуйста, поля формы',
        offline: 'Нет связи с сервером. Попробуйте ещё раз через минуту',
        already_rated: 'Этот разговор уже оценён',
        rate_limited: 'Слишком часто — отправим чуть позже',
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
      reply: 'Reply',
      closeInvitation: 'Close the invitation',
      invitationFrom: 'Consultant',
      callbackLink: 'Request a call-back',
      callbackOpen: 'Request a call-back or leave a message',
      cbModeCallback: 'Call me back',
      cbModeMessage: 'Leave a message',
      cbIntroCallback: 'Leave your number and we will call you back when it suits you.',
      cbIntroMessage: 'Write to us and we will answer as soon as we can.',
      cbName: 'Your name',
      cbPhone: 'Phone',
      cbPhoneOptional: 'Phone (optional)',
      cbTime: 'Convenient time',
      cbTimes: ['now', 'this afternoon', 'in the evening', 'tomorrow'],
      cbText: 'Message',
      cbSubmitCallback: 'Call me back',
      cbSubmitMessage: 'Send the message',
      cbDoneCallback: 'Thank you! We will call you back.',
      cbDoneMessage: 'Thank you! We got your message and will answer soon.',
      cbBack: 'Back to the chat',
      ratingTitle: 'Please rate the conversation',
      ratingStar: (n) => `Rating ${n} of 5`,
      ratingComment: 'Comment (optional)',
      ratingSubmit: 'Send the rating',
      ratingPick: 'Choose a rating from 1 to 5 stars',
      ratingThanks: 'Thank you for the rating!',
      purchaseThanks: 'Thank you for your order!',
      purchaseRelated: 'You may also need:',
      price: (n) => `${n} ₽`,
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
        invalid_phone: 'Please check the phone number — it looks wrong',
        empty_form: 'Please fill in the form',
        offline: 'No connection to the server. Please try again in a minute',
        already_rated: 'This conversation has already been rated',
        rate_limited: 'Too fast — we will send it a little later',
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
    // issue 3: proactive help, identity, cart
    visitor: null, // session.visitor {id, name, returning, visits_count}
    visitBaseSeconds: 0, // session.visit.elapsed_seconds ...
    visitBaseAt: Date.now(), // ... at this Date.now()
    pageBase: 1, // session.visit.page_count
    spaPages: 0, // SPA navigations reported since that session
    rules: [], // Rule[]
    serverCart: null, // Cart from the server (session / cart ack)
    hostCart: null, // the last cart the host page gave us (normalised), null when none yet
    cartSent: false, // hostCart was acknowledged on this connection
    lastInputAt: Date.now(),
    idleReported: false, // an `activity` with idle ≥ IDLE_AFTER went out and input did not resume
    exitIntentNow: false, // true only while rules are evaluated at an exit intent
    firing: false, // a rule.fire waits for its decision
    invitation: null, // the invitation on screen {invitation_id, text, operator_name}
    view: 'chat', // 'chat' | 'callback' (the call-back / leave-a-message form)
  };
  const firedRules = new Map(); // rule id -> signature of the rule when it fired (once per page load)
  const hostQueue = []; // host API calls waiting for a ready socket, in order: {event, payload}
  const entries = []; // messages and local notes, see newEntry()
  const byId = new Map();
  const receipts = new Map(); // conversation_id -> {delivered, read}
  let seq = 0;
  let socket = null;
  let lastServerSystemAt = 0;

  function newEntry(fields) {
    return Object.assign(
      {
        kind: 'message', // or 'note' / 'block' (local, not from the server)
        local: null, // a local message line (e.g. 'invitation'): shown, never stored
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
button,textarea,input,select{font:inherit;color:inherit;margin:0}
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

.close.cbopen svg{width:19px;height:19px}
.cblink{display:block;margin-top:3px;padding:0;border:0;background:none;color:#fff;font-size:12.5px;
  text-decoration:underline;text-underline-offset:2px;opacity:.95;text-align:left}
.cblink:hover{opacity:1}
.cblink:focus-visible,.invite-reply:focus-visible,.invite-x:focus-visible,.cb-tab:focus-visible,.btn:focus-visible,.star:focus-visible{outline:2px solid var(--plv-brand);outline-offset:2px}
.msg.local .bubble{background:var(--plv-grey)}
.invite{pointer-events:auto;position:fixed;right:20px;bottom:94px;width:300px;max-width:calc(100vw - 40px);
  background:#fff;color:var(--plv-text);border-radius:16px;padding:14px 38px 14px 16px;cursor:pointer;
  box-shadow:0 12px 36px rgba(16,24,40,.22),0 2px 6px rgba(16,24,40,.08);animation:plv-in .2s ease-out}
.invite::after{content:"";position:absolute;right:26px;bottom:-7px;width:14px;height:14px;background:#fff;
  transform:rotate(45deg);box-shadow:3px 3px 6px rgba(16,24,40,.06)}
.invite-op{font-size:12px;color:var(--plv-muted);margin-bottom:3px;font-weight:600}
.invite-text{white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word;max-height:160px;overflow:hidden}
.invite-reply{margin-top:10px;border:0;border-radius:16px;padding:6px 14px;background:var(--plv-brand);color:#fff;font-weight:600;font-size:13px}
.invite-x{position:absolute;top:8px;right:8px;width:26px;height:26px;border:0;border-radius:50%;padding:0;
  background:transparent;color:var(--plv-muted);display:flex;align-items:center;justify-content:center}
.invite-x:hover{background:var(--plv-grey);color:var(--plv-text)}
.invite-x svg{width:16px;height:16px}
.root.open .invite{display:none}
.panel[data-view="callback"] .typing{display:none !important}
.cbview{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:16px;background:#fff;display:flex;flex-direction:column;gap:12px}
.cb-tabs{display:flex;background:var(--plv-grey);border-radius:12px;padding:3px;gap:3px}
.cb-tab{flex:1;border:0;border-radius:9px;padding:7px 6px;background:transparent;color:var(--plv-muted);font-size:13px;font-weight:600}
.cb-tab[aria-selected="true"]{background:#fff;color:var(--plv-text);box-shadow:0 1px 3px rgba(16,24,40,.12)}
.cb-intro{color:var(--plv-muted);font-size:13px;white-space:pre-wrap;overflow-wrap:anywhere}
.cb-form{display:flex;flex-direction:column;gap:12px}
.fld{display:flex;flex-direction:column;gap:4px;font-size:12.5px;color:var(--plv-muted)}
.fld input,.fld select,.fld textarea{width:100%;border:1px solid var(--plv-line);border-radius:10px;background:#fff;
  padding:8px 11px;font-size:14px;color:var(--plv-text);outline:none;min-height:38px}
.fld textarea{resize:vertical;min-height:84px;max-height:220px}
.fld input:focus,.fld select:focus,.fld textarea:focus{border-color:var(--plv-brand);box-shadow:0 0 0 3px color-mix(in srgb,var(--plv-brand) 14%,transparent)}
.form-err{font-size:12.5px;color:#c4262e}
.btn{border:0;border-radius:12px;padding:10px 14px;background:var(--plv-brand);color:#fff;font-weight:600;font-size:14px}
.btn[disabled]{opacity:.6;cursor:default}
.btn.ghost{background:var(--plv-grey);color:var(--plv-text)}
.cb-done{background:#ecfdf3;color:#05603a;border-radius:12px;padding:12px 14px}
.card{align-self:stretch;margin:10px 4px 6px;border:1px solid var(--plv-line);border-radius:14px;padding:12px 14px;background:#fff;
  box-shadow:0 1px 3px rgba(16,24,40,.06)}
.card-title{font-weight:650;margin-bottom:6px}
.stars{display:flex;gap:2px;margin:2px 0 8px}
.star{border:0;background:none;padding:2px;width:34px;height:34px;color:#c9ced6;display:flex;align-items:center;justify-content:center}
.star svg{width:28px;height:28px}
.star.on{color:#f5a524}
.rating textarea{width:100%;border:1px solid var(--plv-line);border-radius:10px;padding:7px 10px;resize:vertical;min-height:56px;
  max-height:160px;outline:none;font-size:13.5px;margin-bottom:8px;display:block}
.rating textarea:focus{border-color:var(--plv-brand)}
.rating .form-err{margin-bottom:8px}
.thanks{align-self:center;text-align:center;color:#05603a;background:#ecfdf3;border-radius:12px;padding:8px 14px;margin:10px 0 6px;font-size:13px}
.purchase .card-title{font-size:15px}
.purchase .sub2{color:var(--plv-muted);font-size:12.5px;margin:2px 0 6px}
.related{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}
.related li{display:flex;justify-content:space-between;gap:10px;align-items:baseline}
.related a{color:var(--plv-brand);text-decoration:none;overflow-wrap:anywhere}
.related a:hover{text-decoration:underline}
.related .rprice{color:var(--plv-muted);font-size:12.5px;white-space:nowrap}
@media (max-width:480px){
  .panel{right:0;bottom:0;left:0;top:0;width:auto;height:auto;max-height:none;border-radius:0}
  .root.open .launcher{display:none}
  .input,.fld input,.fld select,.fld textarea{font-size:16px}
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
  ICONS.phone =
    '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M5 4h3.5l1.7 4.3-2.2 1.4a11 11 0 0 0 6.3 6.3l1.4-2.2L20 15.5V19a1.5 1.5 0 0 1-1.6 1.5A16.5 16.5 0 0 1 3.5 5.6 1.5 1.5 0 0 1 5 4z"/></svg>';
  ICONS.star =
    '<svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M12 2.8l2.8 5.8 6.3.9-4.6 4.4 1.1 6.3L12 17.2l-5.6 3 1.1-6.3L2.9 9.5l6.3-.9z"/></svg>';
  ICONS.delivered = ICONS.double;
  ICONS.read = ICONS.double;

  const MARKUP = `
<div class="root">
  <div class="invite" data-testid="prilavok-invitation" role="dialog" hidden>
    <div class="invite-op" data-testid="prilavok-invitation-operator"></div>
    <div class="invite-text" data-testid="prilavok-invitation-text"></div>
    <button type="button" class="invite-reply" data-testid="prilavok-invitation-reply"></button>
    <button type="button" class="invite-x" data-testid="prilavok-invitation-close">${ICONS.x.replace('class="ic-x" ', '')}</button>
  </div>
  <section class="panel" data-testid="prilavok-panel" role="dialog" aria-modal="false" data-view="chat" hidden>
    <div class="head">
      <div class="avatar">${ICONS.shop}</div>
      <div class="titles">
        <div class="title"></div>
        <div class="sub"><span class="operator" data-testid="prilavok-operator" hidden></span><span class="queue" data-testid="prilavok-queue" hidden></span><span class="closed" data-testid="prilavok-closed" hidden></span></div>
        <button type="button" class="cblink" data-testid="prilavok-callback-link" hidden></button>
      </div>
      <button type="button" class="close cbopen" data-testid="prilavok-callback-open">${ICONS.phone}</button>
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
    <div class="cbview" data-testid="prilavok-callback" hidden>
      <form class="cb-form" data-testid="prilavok-callback-form" data-mode="callback" novalidate>
        <div class="cb-tabs" role="tablist">
          <button type="button" class="cb-tab" role="tab" data-mode="callback" data-testid="prilavok-callback-mode-callback"></button>
          <button type="button" class="cb-tab" role="tab" data-mode="message" data-testid="prilavok-callback-mode-message"></button>
        </div>
        <div class="cb-intro" data-testid="prilavok-callback-intro"></div>
        <label class="fld"><span class="lbl-name"></span><input type="text" name="name" maxlength="200" autocomplete="name" data-testid="prilavok-callback-name"></label>
        <label class="fld"><span class="lbl-phone"></span><input type="tel" name="phone" maxlength="40" autocomplete="tel" data-testid="prilavok-callback-phone"></label>
        <label class="fld fld-time"><span class="lbl-time"></span><select name="preferred_time" data-testid="prilavok-callback-time"></select></label>
        <label class="fld fld-text"><span class="lbl-text"></span><textarea name="text" rows="4" maxlength="4000" data-testid="prilavok-callback-text"></textarea></label>
        <div class="form-err" data-testid="prilavok-callback-error" role="alert" hidden></div>
        <button type="submit" class="btn" data-testid="prilavok-callback-submit"></button>
      </form>
      <div class="cb-done" data-testid="prilavok-callback-done" role="status" hidden></div>
      <button type="button" class="btn ghost cb-back" data-testid="prilavok-callback-back"></button>
    </div>
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
      closeBtn: $('[data-testid="prilavok-close"]'),
      cbLink: $('.cblink'),
      cbOpen: $('.cbopen'),
      invite: $('.invite'),
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
    if (e.kind !== 'message' || e.local) return e.noteKey; // local lines keep their place
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
    if (e.kind !== 'message') return; // notes and blocks (rating, purchase) render themselves
    const n = e.el;
    const p = e.parts;
    const author = e.author === 'operator' || e.author === 'system' ? e.author : 'visitor';
    n.classList.remove('visitor', 'operator', 'system');
    n.classList.add(author);
    n.classList.toggle('local', !!e.local);
    n.dataset.author = author;
    if (e.local) n.dataset.local = e.local;
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
    if (conv && (conv.status === 'queued' || conv.status === 'active')) hideInvitation();
    renderHeader();
    maybeAskRating(conv);
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
    ui.cbLink.hidden = status !== 'queued' || state.view !== 'chat';
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
  function openPanel(keepView) {
    if (!ui) {
      pendingOpen = true;
      return;
    }
    if (!keepView && !state.open && state.view !== 'chat') showChat();
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
    if (state.view !== 'chat') showChat(); // the next open starts with the chat
    updateBadge();
  }

  function focusInput() {
    if (!ui) return;
    try {
      ui.input.focus({ preventScroll: true });
    } catch (_) {
      /* ignore */
    }
  }

  // ---------------------------------------------------------------- call-back / leave-a-message form

  let cbMode = 'callback';
  let cbBusy = false;
  function setCallbackMode(mode) {
    if (!ui) return;
    cbMode = mode === 'message' ? 'message' : 'callback';
    ui.cbForm.dataset.mode = cbMode;
    for (const tab of ui.cbTabs) tab.setAttribute('aria-selected', String(tab.dataset.mode === cbMode));
    const call = cbMode === 'callback';
    if (!ui.cbIntro.dataset.custom) ui.cbIntro.textContent = call ? t.cbIntroCallback : t.cbIntroMessage;
    ui.cbPhoneLabel.textContent = call ? t.cbPhone : t.cbPhoneOptional;
    ui.cbPhone.required = call;
    ui.cbTimeRow.hidden = !call;
    ui.cbTextRow.hidden = call;
    ui.cbText.required = !call;
    ui.cbSubmit.textContent = call ? t.cbSubmitCallback : t.cbSubmitMessage;
    ui.cbError.hidden = true;
    ui.cbError.textContent = '';
  }

  // Opens the panel with the form; `intro` is a text from the server (a rule's decision).
  function showCallbackForm(mode, intro) {
    if (!ui) {
      pendingOpen = true;
      return;
    }
    state.view = 'callback';
    ui.panel.dataset.view = 'callback';
    ui.list.hidden = true;
    ui.typing.hidden = true;
    ui.form.hidden = true;
    ui.cbView.hidden = false;
    ui.cbForm.hidden = false;
    ui.cbDone.hidden = true;
    ui.cbSubmit.disabled = false;
    if (intro) {
      ui.cbIntro.dataset.custom = '1';
      ui.cbIntro.textContent = intro;
    } else {
      delete ui.cbIntro.dataset.custom;
    }
    setCallbackMode(mode);
    if (!ui.cbName.value && state.visitor && state.visitor.name) ui.cbName.value = state.visitor.name;
    renderHeader();
    openPanel(true);
    const touch = window.matchMedia && matchMedia('(pointer: coarse)').matches;
    if (!touch) {
      const first = ui.cbName.value ? (cbMode === 'callback' ? ui.cbPhone : ui.cbText) : ui.cbName;
      try {
        first.focus({ preventScroll: true });
      } catch (_) {
        /* ignore */
      }
    }
  }

  function showChat(focus) {
    if (!ui) return;
    state.view = 'chat';
    ui.panel.dataset.view = 'chat';
    ui.cbView.hidden = true;
    ui.list.hidden = false;
    ui.form.hidden = false;
    renderHeader();
    scrollToBottom();
    if (focus) focusInput();
  }

  function submitCallback() {
    if (!ui || cbBusy) return;
    const name = ui.cbName.value.trim();
    const phone = ui.cbPhone.value.trim();
    const payload = { kind: cbMode };
    if (name) payload.name = name;
    if (phone) payload.phone = phone;
    if (cbMode === 'callback') payload.preferred_time = ui.cbTime.value;
    else payload.text = ui.cbText.value.trim();
    const fail = (text) => {
      ui.cbError.textContent = text;
      ui.cbError.hidden = false;
    };
    if (!canEmit()) {
      fail(t.errors.offline);
      return;
    }
    cbBusy = true;
    ui.cbSubmit.disabled = true;
    ui.cbError.hidden = true;
    socket.timeout(ACK_TIMEOUT).emit('callback', payload, (err, res) => {
      cbBusy = false;
      ui.cbSubmit.disabled = false;
      if (err) {
        fail(t.errors.offline);
        return;
      }
      if (!res || !res.ok) {
        const error = (res && res.error) || {};
        const text =
          error.code === 'invalid_phone' ? t.errors.invalid_phone
            : error.code === 'empty' ? t.errors.empty_form
              : error.message || t.errors.generic;
        fail(text); // the input stays as typed
        return;
      }
      ui.cbForm.hidden = true;
      ui.cbDone.textContent = cbMode === 'callback' ? t.cbDoneCallback : t.cbDoneMessage;
      ui.cbDone.hidden = false;
      ui.cbText.value = '';
      ui.cbDone.dataset.taskId = res.task_id != null ? String(res.task_id) : '';
    });
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
            } else if (error.code === 'rate_limited') {
              // Kept in the outbox and sent again once the server's window has room.
              if (e) e.error = t.errors.rate_limited;
              setTimeout(() => {
                attempted.delete(cid);
                flush();
              }, Math.max(1, Number(error.retry_after) || 1) * 1000);
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
    pageTimer = setTimeout(reportPage, 150);
  }
  function reportPage() {
    if (!canEmit()) return;
    state.spaPages++; // pages this visit = session.visit.page_count + what we reported since
    emitQuiet('page', { url: location.href, title: document.title });
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

  // ---------------------------------------------------------------- local blocks in the chat

  function addBlock(node) {
    const e = newEntry({ kind: 'block', el: node, noteKey: maxMessageId() + 0.5 });
    mutate(() => entries.push(e), true);
    return e;
  }
  function removeBlock(e) {
    const i = entries.indexOf(e);
    if (i >= 0) mutate(() => entries.splice(i, 1));
  }

  // A line shown as the operator's but never stored: the text of an invitation the visitor took.
  function addLocalLine(text, authorName) {
    const e = newEntry({
      local: 'invitation',
      author: 'operator',
      author_name: authorName || null,
      text: String(text ?? ''),
      created_at: new Date().toISOString(),
      noteKey: maxMessageId() + 0.5,
    });
    mutate(() => {
      entries.push(e);
      render(e);
    }, true);
  }

  function num(v, dflt = 0) {
    const n = typeof v === 'string' && v.trim() === '' ? NaN : Number(v);
    return Number.isFinite(n) ? n : dflt;
  }

  // Only http(s) links (absolute or relative to the page); anything else gets no href.
  function safeHref(raw) {
    if (typeof raw !== 'string' || !raw.trim()) return null;
    try {
      const u = new URL(raw, location.href);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch (_) {
      return null;
    }
  }

  const numFmt = (() => {
    try {
      return new Intl.NumberFormat(locale === 'ru' ? 'ru-RU' : 'en-US', { maximumFractionDigits: 2 });
    } catch (_) {
      return null;
    }
  })();
  const fmtPrice = (n) => t.price(numFmt ? numFmt.format(n) : String(n));

  // ---------------------------------------------------------------- purchase

  function showPurchase(related) {
    if (!ui) return;
    const box = el('div', 'card purchase', { 'data-testid': 'prilavok-purchase', role: 'status' });
    const title = el('div', 'card-title', { 'data-testid': 'prilavok-purchase-title' });
    title.textContent = t.purchaseThanks;
    box.appendChild(title);
    const items = related.filter((r) => r && typeof r === 'object');
    if (items.length) {
      const sub = el('div', 'sub2');
      sub.textContent = t.purchaseRelated;
      const ul = el('ul', 'related');
      for (const r of items) {
        const li = el('li');
        const a = el('a', '', { 'data-testid': 'prilavok-related-item' });
        const href = safeHref(r.url);
        if (href) a.setAttribute('href', href);
        a.textContent = String(r.title ?? r.url ?? '');
        li.appendChild(a);
        if (r.price != null && Number.isFinite(Number(r.price))) {
          const price = el('span', 'rprice', { 'data-testid': 'prilavok-related-price' });
          price.textContent = fmtPrice(Number(r.price));
          li.appendChild(price);
        }
        ul.appendChild(li);
      }
      box.append(sub, ul);
    }
    if (state.view !== 'chat') showChat();
    addBlock(box);
    openPanel();
    scrollToBottom();
  }

  // ---------------------------------------------------------------- rating

  const ratingAsked = new Set(); // conversation ids asked on this page load
  function ratedLoad() {
    try {
      const v = JSON.parse(store.get(K_RATED) || '[]');
      return Array.isArray(v) ? v : [];
    } catch (_) {
      return [];
    }
  }
  function ratedAdd(id) {
    const list = ratedLoad().filter((x) => x !== id);
    list.push(id);
    store.set(K_RATED, JSON.stringify(list.slice(-50)));
  }

  function maybeAskRating(conv) {
    if (!ui || !conv || conv.status !== 'closed' || conv.rated || conv.id == null) return;
    if (ratingAsked.has(conv.id) || ratedLoad().includes(conv.id)) return;
    ratingAsked.add(conv.id);
    const convId = conv.id;
    const box = el('div', 'card rating', { 'data-testid': 'prilavok-rating', 'data-conversation-id': String(convId) });
    const title = el('div', 'card-title');
    title.textContent = t.ratingTitle;
    const stars = el('div', 'stars', { role: 'radiogroup', 'aria-label': t.ratingTitle });
    const comment = el('textarea', '', {
      'data-testid': 'prilavok-rating-comment',
      rows: '2',
      maxlength: '2000',
    });
    comment.placeholder = t.ratingComment;
    comment.setAttribute('aria-label', t.ratingComment);
    const err = el('div', 'form-err', { 'data-testid': 'prilavok-rating-error', role: 'alert' });
    err.hidden = true;
    const send = el('button', 'btn', { type: 'button', 'data-testid': 'prilavok-rating-submit' });
    send.textContent = t.ratingSubmit;
    let score = 0;
    let busy = false;
    const btns = [];
    const paint = (n) =>
      btns.forEach((b, k) => {
        b.classList.toggle('on', k < n);
        b.setAttribute('aria-checked', String(k + 1 === score));
      });
    for (let i = 1; i <= 5; i++) {
      const b = el('button', 'star', {
        type: 'button',
        role: 'radio',
        'aria-checked': 'false',
        'data-testid': 'prilavok-rating-star',
        'data-score': String(i),
      });
      b.setAttribute('aria-label', t.ratingStar(i));
      b.title = t.ratingStar(i);
      b.innerHTML = ICONS.star; // constant icon markup
      b.addEventListener('click', () => {
        score = i;
        box.dataset.score = String(i);
        err.hidden = true;
        paint(i);
      });
      b.addEventListener('mouseenter', () => paint(i));
      btns.push(b);
      stars.appendChild(b);
    }
    stars.addEventListener('mouseleave', () => paint(score));
    box.append(title, stars, comment, err, send);
    const entry = addBlock(box);
    const fail = (text) => {
      err.textContent = text;
      err.hidden = false;
    };
    const done = (thank) => {
      ratedAdd(convId);
      removeBlock(entry);
      if (thank) {
        const n = el('div', 'thanks', { 'data-testid': 'prilavok-rating-thanks', role: 'status' });
        n.textContent = t.ratingThanks;
        addBlock(n);
      }
    };
    send.addEventListener('click', () => {
      if (busy) return;
      if (!score) return fail(t.ratingPick);
      if (!canEmit()) return fail(t.errors.offline);
      const payload = { conversation_id: convId, score };
      const text = comment.value.trim();
      if (text) payload.comment = text;
      busy = true;
      send.disabled = true;
      socket.timeout(ACK_TIMEOUT).emit('rate', payload, (e, res) => {
        busy = false;
        send.disabled = false;
        if (e) return fail(t.errors.offline);
        if (res && res.ok) return done(true);
        const code = res && res.error && res.error.code;
        if (code === 'already_rated') return done(false);
        if (code === 'conversation_open') {
          removeBlock(entry);
          ratingAsked.delete(convId);
          return;
        }
        fail((res && res.error && res.error.message) || t.errors.generic);
      });
    });
  }

  // ---------------------------------------------------------------- host page API

  function normItems(list) {
    return (Array.isArray(list) ? list : [])
      .filter((i) => i && typeof i === 'object' && i.id != null && i.id !== '')
      .map((i) => {
        const o = {
          id: String(i.id),
          name: String(i.name ?? i.id),
          price: num(i.price),
          quantity: Math.round(num(i.quantity, 1)),
        };
        if (i.category != null && i.category !== '') o.category = String(i.category);
        if (i.url != null && i.url !== '') o.url = String(i.url);
        return o;
      })
      .filter((i) => i.quantity >= 1); // a line with nothing in it is no line
  }
  function normCart(c) {
    if (!c || typeof c !== 'object') return null;
    const out = { items: normItems(c.items) };
    if (c.total != null && Number.isFinite(Number(c.total))) out.total = Number(c.total);
    return out;
  }
  function cartTotal(c) {
    if (!c) return 0;
    if (c.total != null && Number.isFinite(Number(c.total))) return Number(c.total);
    return (c.items || []).reduce((a, i) => a + num(i.price) * num(i.quantity, 1), 0);
  }
  function cartCount(c) {
    if (!c) return 0;
    return (c.items || []).reduce((a, i) => a + num(i.quantity, 1), 0);
  }
  function sameCart(host, server) {
    const key = (c) => JSON.stringify((c ? c.items || [] : []).map((i) => [String(i.id), num(i.quantity, 1), num(i.price)]));
    if (key(host) !== key(server)) return false;
    return host.total == null || (!!server && num(server.total) === num(host.total));
  }
  function currentCart() {
    return state.hostCart || state.serverCart;
  }

  // Host calls go out in the order they were made; before the socket is ready they wait.
  function hostSend(event, payload, onAck) {
    hostQueue.push({ event, payload, onAck, tries: 0 });
    drainHostQueue(false);
  }
  function drainHostQueue(extraCart) {
    while (hostQueue.length && canEmit()) emitHost(hostQueue.shift());
    if (extraCart && state.hostCart && canEmit()) emitHost(cartItem(state.hostCart));
  }
  function emitHost(item) {
    const sock = socket;
    item.tries++;
    sock.timeout(ACK_TIMEOUT).emit(item.event, item.payload, (err, res) => {
      if (err) {
        // Lost with the connection: once more after the reconnect (not carts: see `session`).
        if (item.event !== 'cart' && item.tries < 3 && !sock.connected) hostQueue.unshift(item);
        return;
      }
      if (res && !res.ok) console.warn('[prilavok]', item.event, res.error || res);
      try {
        if (item.onAck) item.onAck(res || {});
      } catch (e) {
        console.warn('[prilavok]', e);
      }
    });
  }

  function cartItem(cart) {
    return {
      event: 'cart',
      payload: cart,
      tries: 0,
      onAck: (res) => {
        if (res.ok && res.cart && state.hostCart === cart) state.serverCart = res.cart;
      },
    };
  }

  function apiIdentify(p) {
    if (!p || typeof p !== 'object' || p.id == null || p.id === '') {
      console.warn('[prilavok] identify: {id, name?, hash?} expected');
      return;
    }
    const payload = { id: String(p.id) };
    if (p.name != null && p.name !== '') payload.name = String(p.name);
    if (p.hash != null && p.hash !== '') payload.hash = String(p.hash);
    hostSend('identify', payload, (res) => {
      if (res.ok && res.visitor && typeof res.visitor === 'object') {
        state.visitor = Object.assign({}, state.visitor, res.visitor);
      }
    });
  }
  function apiCart(c) {
    const cart = normCart(c);
    if (!cart) {
      console.warn('[prilavok] cart: {items, total?} expected');
      return;
    }
    state.hostCart = cart;
    hostQueue.push(cartItem(cart));
    drainHostQueue(false);
  }
  function apiPurchase(p) {
    if (!p || typeof p !== 'object' || p.order_id == null || p.order_id === '') {
      console.warn('[prilavok] purchase: {order_id, total, items?} expected');
      return;
    }
    const payload = { order_id: String(p.order_id) };
    if (Array.isArray(p.items)) payload.items = normItems(p.items);
    payload.total = p.total != null && Number.isFinite(Number(p.total)) ? Number(p.total) : cartTotal(payload);
    hostSend('purchase', payload, (res) => {
      if (res.ok) showPurchase(Array.isArray(res.related) ? res.related : []);
    });
  }

  const API = {
    identify: apiIdentify,
    cart: apiCart,
    purchase: apiPurchase,
    open: () => openPanel(),
    close: () => closePanel(),
  };
  function hostCall(cmd, arg) {
    const fn = typeof cmd === 'string' && Object.prototype.hasOwnProperty.call(API, cmd) ? API[cmd] : null;
    if (!fn) {
      console.warn('[prilavok] unknown command:', cmd);
      return;
    }
    try {
      fn(arg);
    } catch (e) {
      console.warn('[prilavok]', cmd, e);
    }
  }

  // ---------------------------------------------------------------- invitations

  function showInvitation(d) {
    if (!ui) return;
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
  function hideInvitation() {
    state.invitation = null;
    if (ui) ui.invite.hidden = true;
  }
  function acceptInvitation() {
    const inv = state.invitation;
    if (!inv) return;
    hideInvitation();
    if (state.view !== 'chat') showChat();
    addLocalLine(inv.text, inv.operator_name);
    openPanel();
    focusInput();
    if (inv.invitation_id != null) hostSend('invitation.accept', { invitation_id: inv.invitation_id });
  }
  function dismissInvitation() {
    const inv = state.invitation;
    if (!inv) return;
    hideInvitation();
    if (inv.invitation_id != null) hostSend('invitation.dismiss', { invitation_id: inv.invitation_id });
  }

  function chatting() {
    const c = state.conversation;
    return !!(c && (c.status === 'queued' || c.status === 'active'));
  }

  function applyDecision(d) {
    if (!d || typeof d !== 'object' || !ui || chatting()) return;
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
  function onInput() {
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
    const payload = { idle_seconds: idleSeconds(), hidden: document.visibilityState === 'hidden' };
    if (activityExit) payload.exit_intent = true;
    activityExit = false;
    activityAt = Date.now();
    emitQuiet('activity', payload);
  }

  function exitIntent() {
    reportActivity(true);
    state.exitIntentNow = true;
    try {
      evaluateRules();
    } finally {
      state.exitIntentNow = false;
    }
  }

  for (const name of INPUT_EVENTS) document.addEventListener(name, onInput, { capture: true, passive: true });
  document.addEventListener('mouseout', (e) => {
    if (e.relatedTarget == null && e.clientY <= 0) exitIntent();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') exitIntent();
    else reportActivity(false);
  });

  // ---------------------------------------------------------------- proactive rules

  function timeOnSite() {
    return state.visitBaseSeconds + Math.max(0, Date.now() - state.visitBaseAt) / 1000;
  }
  function pagesViewed() {
    return state.pageBase + state.spaPages;
  }

  const globCache = new Map();
  function globMatch(pattern, value) {
    const p = typeof pattern === 'string' && pattern !== '' ? pattern : '*';
    let re = globCache.get(p);
    if (!re) {
      re = new RegExp('^' + p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
      globCache.set(p, re);
    }
    return re.test(value);
  }
  function pagePath(pattern) {
    // A pattern written as a full address is matched against the full address.
    return /^https?:\/\//i.test(pattern || '') ? location.href : location.pathname + location.search;
  }

  function conditionHolds(c) {
    if (!c || typeof c !== 'object') return false;
    switch (c.type) {
      case 'seconds_on_site':
        return timeOnSite() >= num(c.value);
      case 'pages_viewed':
        return pagesViewed() >= num(c.value);
      case 'idle_on_page':
        return idleSeconds() >= num(c.seconds) && globMatch(c.url_pattern, pagePath(c.url_pattern));
      case 'cart_not_empty': {
        const cart = currentCart();
        return !!cart && (cartCount(cart) > 0 || num(cart.count) > 0);
      }
      case 'cart_total_at_least':
        return cartTotal(currentCart()) >= num(c.value);
      case 'exit_intent':
        return state.exitIntentNow;
      case 'returning_visitor':
        return !!(state.visitor && state.visitor.returning);
      case 'customer_known':
        return !!(state.visitor && state.visitor.name);
      default:
        return false; // a condition this widget does not know never holds
    }
  }
  function ruleHolds(rule) {
    const cond = rule.conditions && typeof rule.conditions === 'object' ? rule.conditions : {};
    const items = Array.isArray(cond.items) ? cond.items : [];
    return cond.match === 'any' ? items.some(conditionHolds) : items.every(conditionHolds);
  }

  function ruleSig(rule) {
    try {
      return JSON.stringify(rule);
    } catch (_) {
      return String(rule.id);
    }
  }
  function setRules(list) {
    const rules = Array.isArray(list) ? list.filter((r) => r && typeof r === 'object' && r.id != null) : [];
    // A rule that comes back changed may fire again on this page.
    for (const r of rules) if (firedRules.has(r.id) && firedRules.get(r.id) !== ruleSig(r)) firedRules.delete(r.id);
    state.rules = rules;
  }

  function evaluateRules() {
    if (!ui || !canEmit() || state.open || state.firing || state.invitation || chatting()) return;
    for (const rule of state.rules) {
      if (firedRules.has(rule.id)) continue;
      let holds = false;
      try {
        holds = ruleHolds(rule);
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
    socket.timeout(ACK_TIMEOUT).emit('rule.fire', { rule_id: rule.id, url: location.href }, (err, res) => {
      state.firing = false;
      if (err || !res || !res.ok) return; // it stays fired for this page load
      applyDecision(res.decision);
    });
  }

  function tick() {
    if (!state.idleReported && canEmit() && idleSeconds() >= IDLE_AFTER) {
      state.idleReported = true;
      reportActivity(false);
    }
    evaluateRules();
  }

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
      state.visitor = s.visitor && typeof s.visitor === 'object' ? s.visitor : null;
      if (s.visit && typeof s.visit === 'object') {
        state.visitBaseSeconds = num(s.visit.elapsed_seconds);
        state.visitBaseAt = Date.now();
        state.pageBase = num(s.visit.page_count, 1);
        state.spaPages = 0;
      }
      setRules(s.rules);
      state.serverCart = s.cart && typeof s.cart === 'object' ? s.cart : null;
      // After a reconnect: the host's last cart goes again when the server's differs.
      const resendCart = !!state.hostCart && !hostQueue.some((i) => i.event === 'cart') &&
        !sameCart(state.hostCart, state.serverCart);
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
        reportPage();
      }
      drainHostQueue(resendCart);
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

    socket.on('rules', (r) => setRules(r)); // an admin saved a change: the next tick uses it

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
    identify: (p) => hostCall('identify', p),
    cart: (c) => hostCall('cart', c),
    purchase: (p) => hostCall('purchase', p),
    open: () => openPanel(),
    close: () => closePanel(),
    version: VERSION,
  });

  // Replay what the page queued with the snippet, then take its place.
  const early = typeof window.prilavok === 'function' && Array.isArray(window.prilavok.q) ? window.prilavok.q : [];
  const real = function prilavok(cmd, arg) {
    hostCall(cmd, arg);
  };
  window.prilavok = real;
  for (const args of early) hostCall(args[0], args[1]);

  function start() {
    mount();
    connect();
    setInterval(tick, TICK_MS);
  }
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
})();
