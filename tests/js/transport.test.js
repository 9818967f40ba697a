// WebSocket first, polling after a failure, remembered for the visit (static/shared/transport.js).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';

import { K_TRANSPORT, transportOptions, watchTransport } from '../../static/shared/transport.js';

function memory() {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
  };
}

function fakeSocket() {
  const manager = new EventEmitter();
  return { io: manager };
}

test('a fresh visit tries WebSocket first and falls back to polling', () => {
  assert.deepEqual(transportOptions(memory()), { transports: ['websocket', 'polling'], tryAllTransports: true });
  assert.deepEqual(transportOptions(null).transports, ['websocket', 'polling']);
});

test('a connection that ended on polling is remembered; an upgrade to WebSocket forgets it', () => {
  const st = memory();
  const socket = fakeSocket();
  watchTransport(socket, st);
  const engine = new EventEmitter();
  engine.transport = { name: 'polling' };
  socket.io.engine = engine;
  socket.io.emit('open');
  assert.equal(st.getItem(K_TRANSPORT), 'polling');
  assert.deepEqual(transportOptions(st), { transports: ['polling', 'websocket'], upgrade: true });
  engine.emit('upgrade', { name: 'websocket' });
  assert.equal(st.getItem(K_TRANSPORT), null);
  assert.deepEqual(transportOptions(st).transports, ['websocket', 'polling']);
});
