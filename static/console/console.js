// Prilavok operator console. Plain ES module, no framework.
// Wire contract: docs/protocol.md (HTTP login routes + Socket.IO namespace /operator).
// Every piece of text that comes from the server (messages, visitor names, page titles, URLs)
// is put into the DOM with textContent / createTextNode only, never as HTML.
// This entry only wires the modules beside it, one concern each.

import { closeHotPopup, hotPopup } from './hot-replies.js';
import { boot } from './session.js';

// ---------------------------------------------------------------- keyboard niceties

document.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && hotPopup.el) closeHotPopup();
});

boot();
