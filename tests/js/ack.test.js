// The shared acknowledged send with retry (static/shared/ack.js) against a fake socket.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { emitAck, sendWithRetry } from '../../static/shared/ack.js';

// A socket.io-like client: `answers` says, per emit, what the server does: a reply object, or
// 'timeout' (the client's timeout fires), or 'drop' (the connection goes while waiting).
function fakeSocket(answers) {
  const sock = {
    connected: true,
    sent: [],
    timeout(ms) {
      return {
        emit(event, payload, cb) {
          sock.sent.push({ event, payload, ms });
          const a = answers.shift();
          if (a === 'timeout') setImmediate(() => cb(new Error('operation has timed out')));
          else if (a === 'drop') {
            sock.connected = false;
            setImmediate(() => cb(new Error('operation has timed out')));
          } else setImmediate(() => cb(null, a));
        },
      };
    },
  };
  return sock;
}

test('emitAck resolves the server reply, with the timeout asked for', async () => {
  const sock = fakeSocket([{ ok: true, n: 1 }]);
  assert.deepEqual(await emitAck(sock, 'message', { text: 'hi' }, 1234), { ok: true, n: 1 });
  assert.deepEqual(sock.sent, [{ event: 'message', payload: { text: 'hi' }, ms: 1234 }]);
});

test('emitAck marks a send the server may not have seen as lost', async () => {
  assert.deepEqual(await emitAck(null, 'x', {}), { ok: false, lost: true, error: { code: 'offline' } });
  const off = fakeSocket([]);
  off.connected = false;
  assert.equal((await emitAck(off, 'x', {})).error.code, 'offline');
  assert.equal(off.sent.length, 0, 'nothing is emitted without a connection');
  const slow = fakeSocket(['timeout']);
  assert.deepEqual(await emitAck(slow, 'x', {}), { ok: false, lost: true, error: { code: 'timeout' } });
  const odd = fakeSocket(['not an object']);
  assert.deepEqual(await emitAck(odd, 'x', {}), { ok: false, error: { code: 'internal' } });
});

test('a refusal from the server is an answer, not lost', async () => {
  const res = await emitAck(fakeSocket([{ ok: false, error: { code: 'too_long' } }]), 'message', {});
  assert.equal(res.lost, undefined);
  assert.equal(res.error.code, 'too_long');
});

test('sendWithRetry repeats a timed-out send on the same connection until answered', async () => {
  const sock = fakeSocket(['timeout', 'timeout', { ok: true }]);
  const res = await sendWithRetry(() => sock, 'message', { client_id: 'c1' }, { retryAfter: 1 });
  assert.deepEqual(res, { ok: true });
  assert.equal(sock.sent.length, 3);
  assert.ok(sock.sent.every((s) => s.payload.client_id === 'c1'), 'the same payload each time');
});

test('sendWithRetry leaves a send lost with the connection to the reconnect', async () => {
  const sock = fakeSocket(['drop', { ok: true }]);
  const res = await sendWithRetry(() => sock, 'message', {}, { retryAfter: 1 });
  assert.equal(res.lost, true);
  assert.equal(sock.sent.length, 1);
});

test('sendWithRetry stops when the caller no longer wants it or the socket was replaced', async () => {
  const sock = fakeSocket(['timeout', { ok: true }]);
  let wanted = true;
  const p = sendWithRetry(() => sock, 'message', {}, { retryAfter: 20, wanted: () => wanted });
  setTimeout(() => (wanted = false), 5);
  assert.equal((await p).lost, true);
  assert.equal(sock.sent.length, 1);

  let current = fakeSocket(['timeout', { ok: true }]);
  const first = current;
  const q = sendWithRetry(() => current, 'message', {}, { retryAfter: 20 });
  setTimeout(() => (current = fakeSocket([{ ok: true }])), 5);
  assert.equal((await q).lost, true);
  assert.equal(first.sent.length, 1);
});
