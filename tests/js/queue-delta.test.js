// The console's queue from a snapshot and deltas (static/console/queue-delta.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { applyQueueDelta, numbered } from '../../static/console/queue-delta.js';

const chat = (id, minute, extra = {}) => ({
  id, status: 'queued', queued_at: `2026-12-02T10:${String(minute).padStart(2, '0')}:00+00:00`,
  queue_position: null, last_message: null, ...extra,
});

test('removed, then added, then updated; kept in line order and numbered from 1', () => {
  const q = numbered([chat(3, 5), chat(1, 1), chat(2, 3)]);
  assert.deepEqual(q.map((c) => [c.id, c.queue_position]), [[1, 1], [2, 2], [3, 3]]);
  const next = applyQueueDelta(q, {
    removed: [{ conversation_id: 1, reason: 'assigned' }],
    added: [chat(4, 7), chat(5, 2)],
    updated: [chat(3, 5, { unread: 2, last_message: { id: 9, text: 'ещё' } })],
  });
  assert.deepEqual(next.map((c) => [c.id, c.queue_position]), [[5, 1], [2, 2], [3, 3], [4, 4]]);
  assert.equal(next.find((c) => c.id === 3).unread, 2);
  assert.equal(q[0].id, 1, 'the old list is left as it was');
});

test('deltas crossing a snapshot do no harm: unknown removals ignored, known adds replace', () => {
  const q = numbered([chat(1, 1), chat(2, 2)]);
  const next = applyQueueDelta(q, {
    removed: [{ conversation_id: 77, reason: 'closed' }],
    added: [chat(2, 2, { unread: 1 })],
    updated: [],
  });
  assert.deepEqual(next.map((c) => c.id), [1, 2]);
  assert.equal(next[1].unread, 1);
});

test('a chat updated after it left stays out only if removed later; garbage is ignored', () => {
  const q = applyQueueDelta([], { added: [chat(1, 1)], removed: [null], updated: [{}] });
  assert.deepEqual(q.map((c) => c.id), [1]);
  assert.deepEqual(applyQueueDelta(q, null).map((c) => c.id), [1]);
  assert.deepEqual(applyQueueDelta(q, { removed: [{ conversation_id: 1 }] }), []);
});
