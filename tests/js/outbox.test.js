// The widget's offline outbox (static/widget/src/outbox.js) over a localStorage-like store.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createOutbox } from '../../static/widget/src/outbox.js';

function memoryStore() {
  const m = new Map();
  return {
    m,
    get: (k) => (m.has(k) ? m.get(k) : null),
    set: (k, v) => m.set(k, String(v)),
    remove: (k) => m.delete(k),
  };
}

const item = (id, text = `text ${id}`) => ({ client_id: id, text, created_at: '2026-01-01T00:00:00Z' });

test('items are kept in order, once each, and survive a new outbox over the same store', () => {
  const store = memoryStore();
  const box = createOutbox(store, 'k');
  box.add(item('a'));
  box.add(item('b'));
  box.add(item('a', 'again')); // the same client_id is not queued twice
  const reloaded = createOutbox(store, 'k');
  assert.deepEqual(reloaded.load().map((i) => [i.client_id, i.text]), [['a', 'text a'], ['b', 'text b']]);
  assert.ok(reloaded.has('b'));
  assert.ok(!reloaded.has('c'));
});

test('next() gives the oldest item not yet attempted', () => {
  const box = createOutbox(memoryStore(), 'k');
  box.add(item('a'));
  box.add(item('b'));
  assert.equal(box.next(new Set()).client_id, 'a');
  assert.equal(box.next(new Set(['a'])).client_id, 'b');
  assert.equal(box.next(new Set(['a', 'b'])), null);
});

test('removing the last item clears the key; removing an unknown one writes nothing', () => {
  const store = memoryStore();
  const box = createOutbox(store, 'k');
  box.add(item('a'));
  let writes = 0;
  const set = store.set;
  store.set = (k, v) => {
    writes++;
    set(k, v);
  };
  box.remove('zzz');
  assert.equal(writes, 0);
  box.remove('a');
  assert.equal(store.m.has('k'), false);
});

test('two tabs writing the same store do not overwrite each other', () => {
  const store = memoryStore();
  const tab1 = createOutbox(store, 'k');
  const tab2 = createOutbox(store, 'k');
  tab1.add(item('a'));
  tab2.add(item('b'));
  tab1.remove('a');
  assert.deepEqual(tab2.load().map((i) => i.client_id), ['b']);
});

test('garbage in storage reads as an empty outbox or is filtered out', () => {
  const store = memoryStore();
  const box = createOutbox(store, 'k');
  store.set('k', '{not json');
  assert.deepEqual(box.load(), []);
  store.set('k', JSON.stringify({ client_id: 'a' }));
  assert.deepEqual(box.load(), []);
  store.set('k', JSON.stringify([null, { client_id: 1, text: 'x' }, { client_id: 'ok', text: 'y' }, { client_id: 'n' }]));
  assert.deepEqual(box.load().map((i) => i.client_id), ['ok']);
});
