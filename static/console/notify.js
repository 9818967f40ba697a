// Console: toasts, the arrival chime and the unread count in the title.

import { state, ui } from './state.js';
import { BEEP_COALESCE_MS, TITLE } from './texts.js';
import { h } from '../shared/dom.js';

export function toast(text, kind = 'info') {
  const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status', text });
  ui.toasts.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 6000 : 4000);
}

// ---------------------------------------------------------------- sound + title

let audioCtx = null;
let lastBeepAt = -Infinity;

function ensureAudio() {
  if (!audioCtx) {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    try {
      audioCtx = new AC();
    } catch {
      return null;
    }
  }
  return audioCtx;
}

function unlockAudio() {
  const ctx = ensureAudio();
  if (ctx && ctx.state === 'suspended') ctx.resume().catch(() => {});
}
document.addEventListener('pointerdown', unlockAudio, { capture: true });
document.addEventListener('keydown', unlockAudio, { capture: true });

export function beep() {
  const now = performance.now();
  if (now - lastBeepAt < BEEP_COALESCE_MS) return; // one chime for a burst of events
  lastBeepAt = now;
  document.body.dataset.soundCount = String(Number(document.body.dataset.soundCount || 0) + 1);
  const ctx = ensureAudio();
  if (!ctx) return;
  try {
    if (ctx.state === 'suspended') ctx.resume().catch(() => {});
    const t = ctx.currentTime;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.setValueAtTime(880, t);
    osc.frequency.setValueAtTime(1318.5, t + 0.11);
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.18, t + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + 0.32);
  } catch {
    /* audio is best effort */
  }
}

function totalUnread() {
  let n = 0;
  for (const c of state.chats.values()) n += c.unread || 0;
  return n;
}

export function updateTitle() {
  const n = totalUnread() + state.freshTasks.size;
  document.title = n > 0 ? `(${n}) ${TITLE}` : TITLE;
}
