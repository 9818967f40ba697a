// Where the widget comes from and how the shop configured it (attributes of its <script> tag).

export const VERSION = '0.2.0';
export const RETRY_AFTER_TIMEOUT = 5000;
export const TYPING_EVERY = 2000;
export const TYPING_IDLE = 3000;
export const TYPING_SHOW_MAX = 6000;
export const NOTE_DEDUP_MS = 4000;
export const DROP_CODES = new Set(['too_long', 'empty', 'invalid_payload']);
// Every event the widget emits takes an ack: their mirrored `error` events are handled there.
export const ACKED_EVENTS = new Set([
  'message', 'typing', 'read', 'delivered', 'page', 'rule.fire', 'invitation.accept',
  'invitation.dismiss', 'identify', 'cart', 'purchase', 'activity', 'callback', 'rate',
]);
// Rules are timed to the second; a quarter-second tick keeps them within it.
export const TICK_MS = 250;
export const IDLE_AFTER = 30; // seconds without input: reported to the server as idle
export const ACTIVITY_EVERY = 2000; // at most one `activity` per this many ms
export const INPUT_EVENTS = ['mousemove', 'mousedown', 'keydown', 'scroll', 'touchstart', 'wheel'];

// The bundle runs synchronously when loaded, so currentScript is still our tag here.
const script =
  document.currentScript ||
  Array.from(document.getElementsByTagName('script'))
    .reverse()
    .find((s) => /\/widget\.js(?:[?#].*)?$/.test(s.src || ''));

export const attr = (name) => (script && script.getAttribute(name)) || '';

export const base = (() => {
  try {
    if (script && script.src) {
      const u = new URL(script.src, location.href);
      return u.origin + u.pathname.replace(/\/widget\.js$/, '').replace(/\/+$/, '');
    }
  } catch (_) {
    /* keep the page origin */
  }
  return location.origin;
})();

export function brandColor() {
  const c = attr('data-color').trim();
  try {
    if (c && window.CSS && CSS.supports('color', c) && !/[;{}<>]/.test(c)) return c;
  } catch (_) {
    /* fall through */
  }
  return '#2f6fed';
}
