// How the widget and the console reach the server when a WebSocket cannot open (a corporate
// proxy or an antivirus refusing the upgrade): WebSocket first, HTTP long-polling after a failed
// attempt; the fallback is remembered for the visit (sessionStorage), and such a page starts
// with polling and upgrades to WebSocket as soon as it works again (then the note is dropped).

export const K_TRANSPORT = 'prilavok.transport';

function session() {
  try {
    return window.sessionStorage;
  } catch (_) {
    return null;
  }
}

function read(st) {
  try {
    return st ? st.getItem(K_TRANSPORT) : null;
  } catch (_) {
    return null;
  }
}

/** Socket.IO client options for the transports (merge into the io() options). */
export function transportOptions(st = session()) {
  if (read(st) === 'polling') return { transports: ['polling', 'websocket'], upgrade: true };
  return { transports: ['websocket', 'polling'], tryAllTransports: true };
}

/** Notes the transport each connection ends up on (after an upgrade too). */
export function watchTransport(socket, st = session()) {
  const note = (name) => {
    try {
      if (!st) return;
      if (name === 'polling') st.setItem(K_TRANSPORT, 'polling');
      else if (name === 'websocket') st.removeItem(K_TRANSPORT);
    } catch (_) {
      /* storage off: every page tries WebSocket first */
    }
  };
  socket.io.on('open', () => {
    const engine = socket.io.engine;
    if (!engine) return;
    note(engine.transport && engine.transport.name);
    engine.on('upgrade', (t) => note(t && t.name));
  });
}
