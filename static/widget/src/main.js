/*
 * Prilavok visitor chat widget, bundled into the one /widget.js a shop embeds:
 *   <script src="https://HOST/widget.js" async data-locale="ru" data-color="#2f6fed"></script>
 * The wire contract is docs/protocol.md (Socket.IO namespace /visitor).
 *
 * Everything lives inside an open shadow root on <div id="prilavok-widget">. Globals: the host
 * page API window.prilavok(command, payload) (the queue snippet
 *   window.prilavok=window.prilavok||function(){(prilavok.q=prilavok.q||[]).push(arguments)}
 * is replayed on load) and window.Prilavok = {identify, cart, purchase, open, close, version}.
 * Message and server text is only ever put into the DOM through textContent.
 */

import { TICK_MS, VERSION } from './config.js';
import { hostCall } from './host-api.js';
import { tick, watchActivity } from './proactive.js';
import { watchPage } from './sending.js';
import { connect } from './socket.js';
import { closePanel, mount, openPanel } from './view.js';

function main() {
  watchPage();
  watchActivity();

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
  window.prilavok = function prilavok(cmd, arg) {
    hostCall(cmd, arg);
  };
  for (const args of early) hostCall(args[0], args[1]);

  function start() {
    mount();
    connect();
    setInterval(tick, TICK_MS);
  }
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
}

if (!(window.Prilavok || document.getElementById('prilavok-widget'))) main(); // included twice
