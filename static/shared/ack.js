/*
 * The one acknowledged send of the front ends: every event goes out with an ack and a timeout, so
 * a failure comes back to the caller (not as a stray `error` event) in one shape.
 */

export const ACK_TIMEOUT = 10000;

/**
 * Emits `event` and resolves with the server's reply object. Never rejects: without a connection it
 * resolves {ok: false, lost: true, error: {code: 'offline'}}, without an answer in time
 * {ok: false, lost: true, error: {code: 'timeout'}}. `lost` marks a send the server may not have
 * seen, which the caller may repeat (the server dedups by client_id where it matters).
 */
export function emitAck(socket, event, payload, timeout = ACK_TIMEOUT) {
  return new Promise((resolve) => {
    if (!socket || !socket.connected) {
      resolve({ ok: false, lost: true, error: { code: 'offline' } });
      return;
    }
    socket.timeout(timeout).emit(event, payload, (err, res) => {
      if (err) resolve({ ok: false, lost: true, error: { code: 'timeout' } });
      else resolve(res && typeof res === 'object' ? res : { ok: false, error: { code: 'internal' } });
    });
  });
}

/**
 * Sends until the server answers: a timed-out send is repeated after `retryAfter` ms while the same
 * socket is still connected and `wanted()` holds; a send lost with the connection resolves `lost`
 * and is the caller's to repeat after the reconnect. Resolves with the first answer or loss;
 * opts: {timeout, retryAfter, wanted(), onLost(res)}.
 */
export async function sendWithRetry(getSocket, event, payload, opts = {}) {
  const { timeout = ACK_TIMEOUT, retryAfter = 5000, wanted = () => true, onLost = () => {} } = opts;
  for (;;) {
    const sock = getSocket();
    const res = await emitAck(sock, event, payload, timeout);
    if (!res.lost || res.error.code === 'offline') return res;
    if (!(getSocket() === sock && sock.connected && wanted())) return res;
    onLost(res); // e.g. say "not answered, retrying" while it waits
    await new Promise((r) => setTimeout(r, retryAfter));
    if (!(getSocket() === sock && sock.connected && wanted())) return res;
  }
}
