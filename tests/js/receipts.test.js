// Delivered / read marks of the visitor's messages (static/widget/src/receipts.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createReceipts, statusOf } from '../../static/widget/src/receipts.js';

const msg = (id, over = {}) => ({ id, conversation_id: 7, acked: true, failed: false, ...over });

test('a message goes pending, sent, delivered, read as receipts arrive', () => {
  const r = createReceipts();
  assert.equal(statusOf({ id: null, acked: false }, r), 'pending');
  assert.equal(statusOf({ id: null, acked: true }, r), 'sent');
  assert.equal(statusOf(msg(5), r), 'sent');
  assert.ok(r.apply({ conversation_id: 7, field: 'delivered', up_to: 5 }));
  assert.equal(statusOf(msg(5), r), 'delivered');
  assert.equal(statusOf(msg(6), r), 'sent', 'up_to covers only ids up to it');
  r.apply({ conversation_id: 7, field: 'read', up_to: 6 });
  assert.equal(statusOf(msg(5), r), 'read');
  assert.equal(statusOf(msg(6), r), 'read');
});

test('read implies delivered and marks never go back', () => {
  const r = createReceipts();
  r.apply({ conversation_id: 7, field: 'read', up_to: 10 });
  assert.deepEqual(r.get(7), { delivered: 10, read: 10 });
  r.apply({ conversation_id: 7, field: 'delivered', up_to: 3 });
  r.apply({ conversation_id: 7, field: 'read', up_to: 4 });
  assert.deepEqual(r.get(7), { delivered: 10, read: 10 });
});

test('receipts of another conversation do not mark this one', () => {
  const r = createReceipts();
  r.apply({ conversation_id: 8, field: 'read', up_to: 100 });
  assert.equal(statusOf(msg(5), r), 'sent');
});

test('the stored fields count as much as receipts, and a failure wins', () => {
  const r = createReceipts();
  assert.equal(statusOf(msg(5, { delivered_at: '2026-01-01T00:00:00Z' }), r), 'delivered');
  assert.equal(statusOf(msg(5, { read_at: '2026-01-01T00:00:00Z' }), r), 'read');
  assert.equal(statusOf({ id: null, failed: true }, r), 'failed');
});

test('malformed receipts change nothing', () => {
  const r = createReceipts();
  assert.equal(r.apply(null), false);
  assert.equal(r.apply({ conversation_id: 7, field: 'read' }), false);
  assert.equal(r.apply({ conversation_id: 7, field: 'seen', up_to: 9 }), false);
  assert.deepEqual(r.get(7), { delivered: 0, read: 0 });
});
