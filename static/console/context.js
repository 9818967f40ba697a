// Console: the live context of a visitor (cart, activity, purchases) and the side panel.

import { chatById } from './chats.js';
import { state, ui } from './state.js';
import { fmtDateTime, fmtDuration, fmtShortWhen, fmtTime, parseTime, visitorLabel } from './texts.js';
import { byTestId, h, safeHref } from '../shared/dom.js';

/** Panes showing this conversation or this visitor (a visitor may have one chat open at a time). */
function panesOf(ev) {
  const out = [];
  for (const pane of state.panes.values()) {
    const vid = pane.context?.visitor?.id;
    if (pane.id === ev.conversation_id || (vid !== undefined && ev.visitor_id !== undefined && vid === ev.visitor_id)) out.push(pane);
  }
  return out;
}

export function onCart(ev = {}) {
  for (const pane of panesOf(ev)) {
    if (!pane.context) continue;
    pane.context.cart = ev.cart || null;
    if (state.focused === pane.id) renderSidePanel();
  }
}

export function onActivity(ev = {}) {
  for (const pane of panesOf(ev)) {
    const ctx = pane.context;
    if (!ctx) continue;
    if ('idle_seconds' in ev) ctx.idle_seconds = ev.idle_seconds;
    if ('hidden' in ev) ctx.hidden = Boolean(ev.hidden);
    if ('exit_intent_at' in ev) ctx.exit_intent_at = ev.exit_intent_at;
    pane.activityAt = Date.now();
    if (state.focused === pane.id) renderSidePanel();
  }
}

export function onPurchase(ev = {}) {
  for (const pane of panesOf(ev)) {
    const ctx = pane.context;
    if (!ctx) continue;
    ctx.purchases = Array.isArray(ctx.purchases) ? ctx.purchases : [];
    if (!ctx.purchases.some((p) => p.order_id === ev.order_id)) {
      ctx.purchases.push({ order_id: ev.order_id, total: ev.total, created_at: ev.created_at || new Date().toISOString() });
    }
    if (state.focused === pane.id) renderSidePanel();
  }
}

function fmtMoney(value) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
  const n = Number(value);
  const [int, frac] = Math.abs(n).toFixed(Number.isInteger(n) ? 0 : 2).split('.');
  return `${n < 0 ? '−' : ''}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ' ')}${frac ? `,${frac}` : ''} ₽`;
}

/** Seconds the visitor has been idle now: the last report plus the time since it came. */
function idleNow(pane) {
  const ctx = pane.context;
  if (!ctx || ctx.idle_seconds === null || ctx.idle_seconds === undefined) return null;
  const base = Number(ctx.idle_seconds) || 0;
  if (base <= 0) return 0;
  return base + (Date.now() - (pane.activityAt || pane.contextAt || Date.now())) / 1000;
}

function fillActivity(el, pane) {
  const ctx = pane.context || {};
  const idle = idleNow(pane);
  const parts = [];
  if (idle === null) parts.push(h('span', { class: 'muted', text: 'нет данных' }));
  else if (idle > 0) parts.push(h('span', { class: 'act-idle', testid: 'ctx-idle', dataset: { seconds: String(Math.floor(idle)) }, text: `бездействует ${fmtDuration(idle)}` }));
  else parts.push(h('span', { class: 'act-active', testid: 'ctx-idle', dataset: { seconds: '0' }, text: 'активен' }));
  if (ctx.hidden) parts.push(h('span', { class: 'act-flag act-hidden', testid: 'ctx-hidden', text: 'вкладка скрыта' }));
  if (ctx.exit_intent_at) {
    parts.push(h('span', { class: 'act-flag act-exit', testid: 'ctx-exit-intent', title: fmtDateTime(ctx.exit_intent_at), text: `хотел уйти в ${fmtTime(ctx.exit_intent_at)}` }));
  }
  el.dataset.hidden = ctx.hidden ? 'true' : 'false';
  el.dataset.exitIntent = ctx.exit_intent_at ? 'true' : 'false';
  el.dataset.idle = idle === null ? '' : String(Math.floor(idle));
  el.replaceChildren(...parts.flatMap((part, i) => (i ? [' ', part] : [part])));
}

function cartSection(ctx) {
  const cart = ctx.cart;
  const items = Array.isArray(cart?.items) ? cart.items : [];
  const count = cart?.count ?? items.reduce((n, it) => n + (Number(it.quantity) || 0), 0);
  const box = h('section', {
    class: 'ctx-section ctx-cart',
    testid: 'ctx-cart',
    dataset: { count: String(items.length ? count : 0), total: cart?.total ?? '' },
  });
  box.append(h('h3', { text: items.length ? `Корзина (${count})` : 'Корзина' }));
  if (!items.length) {
    box.append(h('p', { class: 'muted', text: 'Корзина пуста' }));
    return box;
  }
  box.append(
    h(
      'ul',
      { class: 'ctx-cart-items' },
      ...items.map((it) => {
        const href = safeHref(it.url);
        const name = h(href ? 'a' : 'span', { class: 'ctx-cart-name', text: it.name || it.id || '—', title: it.name || '' });
        if (href) {
          name.href = href;
          name.target = '_blank';
          name.rel = 'noopener';
        }
        return h(
          'li',
          { class: 'ctx-cart-item', testid: 'ctx-cart-item', dataset: { id: String(it.id ?? '') } },
          name,
          h('span', { class: 'ctx-cart-qty', text: `${it.quantity ?? 1} × ${fmtMoney(it.price)}` }),
        );
      }),
    ),
    h('div', { class: 'ctx-cart-total' }, h('span', { text: 'Итого' }), h('strong', { testid: 'ctx-cart-total', dataset: { value: cart.total ?? '' }, text: fmtMoney(cart.total) })),
  );
  return box;
}

function purchasesSection(ctx) {
  const list = Array.isArray(ctx.purchases) ? ctx.purchases : [];
  const box = h('section', { class: 'ctx-section ctx-purchases', testid: 'ctx-purchases', dataset: { count: String(list.length) } });
  box.append(h('h3', { text: `Покупки (${list.length})` }));
  if (!list.length) {
    box.append(h('p', { class: 'muted', text: 'Покупок не было' }));
    return box;
  }
  box.append(
    h(
      'ul',
      { class: 'ctx-purchase-list' },
      ...list
        .slice()
        .reverse()
        .map((p) =>
          h(
            'li',
            { class: 'ctx-purchase', testid: 'ctx-purchase', dataset: { orderId: String(p.order_id ?? '') } },
            h('span', { class: 'ctx-purchase-order', text: `№ ${p.order_id ?? '—'}` }),
            h('strong', { text: fmtMoney(p.total) }),
            h('time', { class: 'muted', datetime: p.created_at || '', text: fmtShortWhen(p.created_at) }),
          ),
        ),
    ),
  );
  return box;
}

function identityBox(ctx) {
  const v = ctx.visitor || {};
  const el = h('dd', { testid: 'ctx-identity', dataset: { identified: v.external_id ? 'true' : 'false', verified: v.verified ? 'true' : 'false' } });
  if (v.external_id) {
    el.append(h('span', { class: 'ctx-external-id', text: String(v.external_id) }));
    if (v.verified) el.append(h('span', { class: 'ctx-verified', title: 'Подтверждено подписью магазина', text: ' ✓' }));
    else el.append(h('span', { class: 'muted', title: 'Магазин не подтвердил подпись', text: ' (не подтверждён)' }));
  } else {
    el.append(h('span', { class: 'muted', text: 'не идентифицирован' }));
  }
  return h('div', { class: 'ctx-wide' }, h('dt', { text: 'Покупатель' }), el);
}

function originBox(ctx) {
  const origin = ctx.origin;
  const text = origin === 'invitation' ? 'по приглашению' : origin === 'visitor' ? 'сам' : '—';
  return h(
    'div',
    {},
    h('dt', { text: 'Начал чат' }),
    h('dd', { testid: 'ctx-origin', class: `origin-${origin || 'unknown'}`, dataset: { origin: origin || '' }, text }),
  );
}

// ---------------------------------------------------------------- side panel (context)

function timeOnSite(pane) {
  const ctx = pane.context;
  if (!ctx) return 0;
  const start = parseTime(ctx.visit_started_at);
  if (start) return Math.max(0, (Date.now() - start.getTime()) / 1000);
  return (ctx.time_on_site_seconds || 0) + (Date.now() - pane.contextAt) / 1000;
}

export function renderSidePanel() {
  const body = ui.sideBody;
  const pane = state.focused !== null ? state.panes.get(state.focused) : null;
  if (!pane) {
    body.replaceChildren(h('p', { class: 'side-empty', text: 'Откройте чат, чтобы увидеть, где сейчас посетитель.' }));
    return;
  }
  const chat = chatById(pane.id) || pane.chat;
  const ctx = pane.context;
  if (!ctx) {
    body.replaceChildren(
      h('div', { class: 'ctx-visitor' }, h('strong', { text: visitorLabel(chat) })),
      h('p', { class: 'side-empty', text: pane.loading ? 'Загрузка…' : 'Нет данных о визите' }),
    );
    return;
  }

  const url = ctx.current_url || '';
  const href = safeHref(url);
  const link = h('a', { class: 'ctx-url', testid: 'ctx-current-url', target: '_blank', rel: 'noopener', text: url || '—' });
  if (href) link.href = href;

  const pages = Array.isArray(ctx.pages) ? ctx.pages : [];
  const pagesList = h(
    'ol',
    { class: 'ctx-pages', testid: 'ctx-pages' },
    ...pages
      .slice()
      .reverse()
      .map((p) => {
        const pHref = safeHref(p.url);
        const a = h('a', { target: '_blank', rel: 'noopener', class: 'ctx-page-title', text: p.title || p.url || '—', title: p.url || '' });
        if (pHref) a.href = pHref;
        return h(
          'li',
          { class: 'ctx-page', testid: 'ctx-page' },
          h('time', { datetime: p.viewed_at || '', text: fmtTime(p.viewed_at) }),
          h('div', { class: 'ctx-page-body' }, a, h('span', { class: 'ctx-page-url', text: p.url || '' })),
        );
      }),
  );

  const earlier = Array.isArray(ctx.earlier) ? ctx.earlier : [];
  const earlierBox = h(
    'div',
    { class: 'ctx-earlier', testid: 'ctx-earlier' },
    ...(earlier.length
      ? earlier.map((c) => {
          const msgs = Array.isArray(c.messages) ? c.messages : [];
          return h(
            'details',
            { class: 'ctx-conv', dataset: { id: String(c.id) } },
            h(
              'summary',
              {},
              h('span', { text: fmtDateTime(c.created_at) }),
              h('span', { class: 'muted', text: ` · ${c.operator_name || 'без оператора'} · ${msgs.length} сообщ.` }),
            ),
            h(
              'ol',
              { class: 'ctx-conv-messages' },
              ...msgs.map((m) =>
                h(
                  'li',
                  { class: `ctx-msg ctx-msg-${m.author}` },
                  h('span', { class: 'ctx-msg-who', text: `${fmtTime(m.created_at)} ${m.author === 'visitor' ? 'Посетитель' : m.author === 'system' ? 'Система' : m.author_name || 'Оператор'}:` }),
                  h('span', { class: 'ctx-msg-text', text: m.text ?? '' }),
                ),
              ),
            ),
          );
        })
      : [h('p', { class: 'muted', text: 'Раньше не обращался' })]),
  );

  const openIds = new Set(
    [...body.querySelectorAll('details.ctx-conv[open]')].map((d) => d.dataset.id),
  );
  for (const d of earlierBox.querySelectorAll('details.ctx-conv')) if (openIds.has(d.dataset.id)) d.open = true;

  const locale = ctx.visitor?.locale ? ` · ${String(ctx.visitor.locale).toUpperCase()}` : '';
  const activity = h('div', { class: 'ctx-activity', testid: 'ctx-activity' });
  fillActivity(activity, pane);
  body.replaceChildren(
    h('div', { class: 'ctx-visitor' }, h('strong', { text: visitorLabel({ visitor: ctx.visitor || chat?.visitor, id: pane.id }) }), h('span', { class: 'muted', text: locale })),
    h(
      'section',
      { class: 'ctx-section' },
      h('h3', { text: 'Сейчас на странице' }),
      h('div', { class: 'ctx-title', testid: 'ctx-current-title', text: ctx.current_title || '—' }),
      link,
      activity,
    ),
    h(
      'dl',
      { class: 'ctx-stats' },
      h('div', {}, h('dt', { text: 'Время на сайте' }), h('dd', { testid: 'ctx-time-on-site', text: fmtDuration(timeOnSite(pane)) })),
      h('div', {}, h('dt', { text: 'Визитов' }), h('dd', { testid: 'ctx-visits', text: String(ctx.visits_count ?? 1) })),
      originBox(ctx),
      identityBox(ctx),
    ),
    cartSection(ctx),
    purchasesSection(ctx),
    h('section', { class: 'ctx-section' }, h('h3', { text: `Страницы за визит (${pages.length})` }), pagesList),
    h('section', { class: 'ctx-section' }, h('h3', { text: `Прошлые обращения (${earlier.length})` }), earlierBox),
  );
}

setInterval(() => {
  const pane = state.focused !== null ? state.panes.get(state.focused) : null;
  const el = byTestId('ctx-time-on-site', ui.sideBody);
  if (pane && el) el.textContent = fmtDuration(timeOnSite(pane));
  const act = byTestId('ctx-activity', ui.sideBody);
  if (pane && act && pane.context) fillActivity(act, pane);
}, 1000);
