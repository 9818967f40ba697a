// The host page's API: prilavok('identify' | 'cart' | 'purchase' | 'open' | 'close', arg).

import { emitAck } from '../../shared/ack.js';
import { showPurchase } from './cards.js';
import { cartTotal, normCart, normItems } from './cart.js';
import { canEmit, net, state } from './state.js';
import { closePanel, openPanel } from './view.js';

// Host calls waiting for a ready socket, in order: {event, payload, onAck, tries}.
export const hostQueue = [];

export function currentCart() {
  return state.hostCart || state.serverCart;
}

// Host calls go out in the order they were made; before the socket is ready they wait.
export function hostSend(event, payload, onAck) {
  hostQueue.push({ event, payload, onAck, tries: 0 });
  drainHostQueue(false);
}
export function drainHostQueue(extraCart) {
  while (hostQueue.length && canEmit()) emitHost(hostQueue.shift());
  if (extraCart && state.hostCart && canEmit()) emitHost(cartItem(state.hostCart));
}
function emitHost(item) {
  const sock = net.socket;
  item.tries++;
  emitAck(sock, item.event, item.payload).then((res) => {
    if (res.lost) {
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
export function hostCall(cmd, arg) {
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
