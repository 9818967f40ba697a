// Console: sending the operator's messages (kept until acknowledged) and the typing signal.

import { isMine, onMessage } from './chats.js';
import { closeHotPopup, updateHotPopup } from './hot-replies.js';
import { toast } from './notify.js';
import { renderMessages } from './panes.js';
import { emitQuiet } from './socket.js';
import { net, state } from './state.js';
import { TYPING_IDLE_MS, TYPING_REPEAT_MS, errorText, newClientId } from './texts.js';
import { sendWithRetry } from '../shared/ack.js';

export function sendFromPane(pane) {
  const ta = pane.refs.input;
  const text = ta.value.trim();
  if (!text || pane.renderPending) return;
  if (!isMine(pane.id)) {
    toast('Сначала возьмите чат из очереди', 'error');
    return;
  }
  const item = {
    client_id: newClientId(),
    conversation_id: pane.id,
    text,
    created_at: new Date().toISOString(),
    status: 'pending',
    error: null,
    attempt: 0,
  };
  state.outbox.set(item.client_id, item);
  ta.value = '';
  autosize(ta);
  stopTyping(pane);
  closeHotPopup();
  renderMessages(pane, { stick: true });
  sendItem(item);
  ta.focus();
}

export async function sendItem(item) {
  item.attempt += 1;
  const attempt = item.attempt;
  item.status = 'pending';
  if (!net.socket || !net.socket.connected) {
    item.error = null; // stays queued; flushOutbox() resends after reconnect
    refreshOutboxView(item);
    return;
  }
  const payload = { conversation_id: item.conversation_id, client_id: item.client_id, text: item.text };
  const current = () => state.outbox.get(item.client_id) === item && item.attempt === attempt;
  const notAnswered = () => {
    // No answer: keep it and try again (the server dedups by client_id).
    item.error = 'Сервер не ответил — повторим отправку';
    refreshOutboxView(item);
  };
  const res = await sendWithRetry(() => net.socket, 'message', payload, {
    retryAfter: 3000,
    wanted: current,
    onLost: notAnswered,
  });
  if (!current()) return;
  if (res.lost) {
    notAnswered(); // lost with the connection: flushOutbox() resends after the reconnect
    return;
  }
  if (res.ok && res.message) {
    state.outbox.delete(item.client_id);
    onMessage(res.message);
    return;
  }
  item.status = 'error';
  item.error = errorText(res.error);
  refreshOutboxView(item);
}

export function flushOutbox() {
  for (const item of state.outbox.values()) {
    if (item.status === 'pending') sendItem(item);
  }
}

function refreshOutboxView(item) {
  const pane = state.panes.get(item.conversation_id);
  if (pane) renderMessages(pane);
}

// ---------------------------------------------------------------- typing (operator -> visitor)

export function onComposerInput(pane) {
  autosize(pane.refs.input);
  updateHotPopup(pane);
  if (!isMine(pane.id)) return;
  if (!pane.refs.input.value.trim()) {
    stopTyping(pane);
    return;
  }
  const now = Date.now();
  if (!pane.typingSent || now - pane.typingLastSent > TYPING_REPEAT_MS) {
    pane.typingSent = true;
    pane.typingLastSent = now;
    emitQuiet('typing', { conversation_id: pane.id, typing: true });
  }
  clearTimeout(pane.typingStopTimer);
  pane.typingStopTimer = setTimeout(() => stopTyping(pane), TYPING_IDLE_MS);
}

export function stopTyping(pane) {
  clearTimeout(pane.typingStopTimer);
  if (!pane.typingSent) return;
  pane.typingSent = false;
  if (isMine(pane.id)) emitQuiet('typing', { conversation_id: pane.id, typing: false });
}

export function autosize(ta) {
  if (!ta.value) {
    ta.style.height = '';
    return;
  }
  ta.style.height = 'auto';
  ta.style.height = `${Math.min(ta.scrollHeight + 2, 140)}px`;
}
