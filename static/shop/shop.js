/* The sample shop's own script: a cart in localStorage, and the Prilavok host-page API.
 *
 *   prilavok('cart', ...)      on every change and on each page load
 *   prilavok('identify', ...)  on each page load once "logged in" (the demo login on index.html)
 *   prilavok('purchase', ...)  on thanks.html, from the order the cart page left in sessionStorage
 *
 * Each page has the queue snippet and <script src="/widget.js" async> before this file, so the
 * calls wait in prilavok.q until the widget has loaded.
 */
(function () {
  'use strict';

  var CART_KEY = 'shop.cart';
  var USER_KEY = 'shop.user';
  var ORDER_KEY = 'shop.pendingOrder';

  var CATALOG = {
    'neva-12': { name: 'Смартфон «Нева 12»', price: 34990, category: 'phones' },
    'ladoga-mini': { name: 'Смартфон «Ладога Mini»', price: 21490, category: 'phones' },
    'zvuk-pro': { name: 'Наушники «Звук Про»', price: 6990, category: 'audio' },
    chehol: { name: 'Чехол силиконовый', price: 990, category: 'cases' },
    'zaryadka-65': { name: 'Зарядное устройство 65 Вт', price: 2490, category: 'chargers' },
    'puls-3': { name: 'Умные часы «Пульс 3»', price: 12990, category: 'watches' },
  };

  function api() {
    // The queue snippet defines window.prilavok; without it (no widget) nothing breaks.
    if (typeof window.prilavok === 'function') window.prilavok.apply(null, arguments);
  }

  function read(storage, key, fallback) {
    try {
      var v = JSON.parse(storage.getItem(key));
      return v == null ? fallback : v;
    } catch (e) {
      return fallback;
    }
  }
  function write(storage, key, value) {
    try {
      if (value == null) storage.removeItem(key);
      else storage.setItem(key, JSON.stringify(value));
    } catch (e) {
      /* private mode: the cart lives for this page only */
    }
  }

  function productUrl(id) {
    return '/shop/product.html?id=' + encodeURIComponent(id);
  }

  // [{id, quantity}] in storage; names and prices always come from the catalog.
  function load() {
    var raw = read(localStorage, CART_KEY, []);
    if (!Array.isArray(raw)) return [];
    return raw.filter(function (r) {
      return r && CATALOG[r.id] && r.quantity > 0;
    });
  }
  function items() {
    return load().map(function (r) {
      var p = CATALOG[r.id];
      return {
        id: r.id,
        name: p.name,
        price: p.price,
        quantity: r.quantity,
        category: p.category,
        url: productUrl(r.id),
      };
    });
  }
  function total(list) {
    return (list || items()).reduce(function (a, i) {
      return a + i.price * i.quantity;
    }, 0);
  }
  function count(list) {
    return (list || items()).reduce(function (a, i) {
      return a + i.quantity;
    }, 0);
  }

  function save(rows) {
    write(localStorage, CART_KEY, rows.length ? rows : null);
    changed();
  }
  function setQuantity(id, quantity) {
    if (!CATALOG[id]) return;
    var rows = load();
    var row = rows.filter(function (r) {
      return r.id === id;
    })[0];
    quantity = Math.max(0, Math.min(99, Math.round(quantity)));
    if (row) row.quantity = quantity;
    else if (quantity > 0) rows.push({ id: id, quantity: quantity });
    save(
      rows.filter(function (r) {
        return r.quantity > 0;
      }),
    );
  }
  function add(id) {
    var row = load().filter(function (r) {
      return r.id === id;
    })[0];
    setQuantity(id, (row ? row.quantity : 0) + 1);
  }
  function clear() {
    save([]);
  }

  function sendCart() {
    var list = items();
    api('cart', { items: list, total: total(list) });
  }

  function rub(n) {
    return n.toLocaleString('ru-RU') + '\u00a0₽';
  }

  function renderCounts() {
    var n = count();
    var nodes = document.querySelectorAll('[data-cart]');
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = n ? 'Корзина (' + n + ')' : 'Корзина';
    }
  }

  var listeners = [];
  function changed() {
    renderCounts();
    sendCart();
    listeners.forEach(function (fn) {
      fn();
    });
  }

  function user() {
    var u = read(localStorage, USER_KEY, null);
    return u && u.id ? u : null;
  }
  function login(u) {
    write(localStorage, USER_KEY, u);
    api('identify', { id: u.id, name: u.name });
    renderLogin();
  }
  function renderLogin() {
    var u = user();
    var nodes = document.querySelectorAll('[data-demo-login]');
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = u ? 'Вы вошли как ' + u.name : 'Войти как Мария';
      if (u) nodes[i].setAttribute('aria-disabled', 'true');
    }
  }

  function bind() {
    document.addEventListener('click', function (e) {
      var t = e.target;
      var addBtn = t && t.closest && t.closest('[data-add]');
      if (addBtn) {
        e.preventDefault();
        add(addBtn.getAttribute('data-add'));
        var old = addBtn.getAttribute('data-label') || addBtn.textContent;
        addBtn.setAttribute('data-label', old);
        addBtn.textContent = 'Добавлено ✓';
        setTimeout(function () {
          addBtn.textContent = old;
        }, 1200);
        return;
      }
      var loginLink = t && t.closest && t.closest('[data-demo-login]');
      if (loginLink) {
        e.preventDefault();
        if (!user()) login({ id: 'demo-maria', name: 'Мария' });
      }
    });
    // Another tab changed the cart: show it here too (the widget hears it from this tab).
    window.addEventListener('storage', function (e) {
      if (e.key === CART_KEY) changed();
    });
  }

  // On every page load: who the visitor is (once logged in), then the cart.
  var u = user();
  if (u) api('identify', { id: u.id, name: u.name });
  sendCart();

  function ready() {
    renderCounts();
    renderLogin();
    bind();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready);
  else ready();

  window.Shop = {
    catalog: CATALOG,
    items: items,
    total: total,
    count: count,
    add: add,
    setQuantity: setQuantity,
    clear: clear,
    rub: rub,
    onChange: function (fn) {
      listeners.push(fn);
    },
    // The cart page: remember the order for thanks.html, empty the cart, go there.
    checkout: function () {
      var list = items();
      if (!list.length) return null;
      var order = {
        order_id: 'A-' + Date.now().toString(36).toUpperCase() + '-' + Math.floor(Math.random() * 1e4),
        total: total(list),
        items: list,
      };
      write(sessionStorage, ORDER_KEY, order);
      clear();
      location.href = 'thanks.html';
      return order;
    },
    // thanks.html: report the order once (a reload does not report it again).
    takePendingOrder: function () {
      var order = read(sessionStorage, ORDER_KEY, null);
      write(sessionStorage, ORDER_KEY, null);
      if (order && order.order_id) {
        api('purchase', order);
        write(sessionStorage, 'shop.lastOrder', order);
        return order;
      }
      return read(sessionStorage, 'shop.lastOrder', null); // a reload: show it, do not report again
    },
  };
})();
