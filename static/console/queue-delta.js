// Console: the queue kept from one snapshot and the server's deltas (docs/protocol.md, "The queue").
// Pure: no DOM, unit-tested in tests/js/queue-delta.test.js.

function lineKey(chat) {
  const t = Date.parse(chat.queued_at || chat.created_at || '');
  return Number.isNaN(t) ? Number.MAX_SAFE_INTEGER : t;
}

function byLine(a, b) {
  return lineKey(a) - lineKey(b) || Number(a.id) - Number(b.id);
}

/**
 * The queue after one QueueDelta: removed, then added, then updated, each by id; kept in line order
 * (queued_at, then id) and numbered from 1, since places move when a chat ahead leaves.
 */
export function applyQueueDelta(queue, delta) {
  const byId = new Map((Array.isArray(queue) ? queue : []).map((c) => [c.id, c]));
  const d = delta && typeof delta === 'object' ? delta : {};
  for (const r of Array.isArray(d.removed) ? d.removed : []) if (r) byId.delete(r.conversation_id);
  for (const c of Array.isArray(d.added) ? d.added : []) if (c && c.id != null) byId.set(c.id, c);
  for (const c of Array.isArray(d.updated) ? d.updated : []) if (c && c.id != null) byId.set(c.id, c);
  return numbered([...byId.values()]);
}

/** A snapshot (init.queue, or the transitional whole `queue`) in line order, numbered. */
export function numbered(list) {
  return (Array.isArray(list) ? list : [])
    .filter((c) => c && c.id != null)
    .sort(byLine)
    .map((c, i) => (c.queue_position === i + 1 ? c : { ...c, queue_position: i + 1 }));
}
