// Delivered / read marks of the visitor's messages: per conversation, the highest id reached.

export function createReceipts() {
  const byConversation = new Map(); // conversation_id -> {delivered, read}
  return {
    get(conversationId) {
      return byConversation.get(conversationId) || { delivered: 0, read: 0 };
    },
    // A `receipt` event {conversation_id, field, up_to}; read implies delivered. False if ignored.
    apply(r) {
      if (!r || r.up_to == null) return false;
      const cur = { ...this.get(r.conversation_id) };
      if (r.field === 'read') {
        cur.read = Math.max(cur.read, r.up_to);
        cur.delivered = Math.max(cur.delivered, r.up_to);
      } else if (r.field === 'delivered') {
        cur.delivered = Math.max(cur.delivered, r.up_to);
      } else {
        return false;
      }
      byConversation.set(r.conversation_id, cur);
      return true;
    },
  };
}

// The mark of one visitor message entry: failed, pending, sent, delivered or read.
export function statusOf(e, receipts) {
  if (e.failed) return 'failed';
  if (e.id == null) return e.acked ? 'sent' : 'pending';
  const r = receipts.get(e.conversation_id);
  if (e.read_at || r.read >= e.id) return 'read';
  if (e.delivered_at || r.delivered >= e.id) return 'delivered';
  return 'sent';
}
