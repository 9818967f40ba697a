// localStorage when the page allows it, else memory for this page load; ids for outgoing messages.

export const K_TOKEN = 'prilavok.token';
export const K_OUTBOX = 'prilavok.outbox';
export const K_READ = 'prilavok.read';
export const K_RATED = 'prilavok.rated';

const memStore = Object.create(null);

export const store = {
  get(k) {
    try {
      return window.localStorage.getItem(k);
    } catch (_) {
      return k in memStore ? memStore[k] : null;
    }
  },
  set(k, v) {
    try {
      window.localStorage.setItem(k, v);
    } catch (_) {
      memStore[k] = v;
    }
  },
  remove(k) {
    try {
      window.localStorage.removeItem(k);
    } catch (_) {
      delete memStore[k];
    }
  },
};

export function uuid() {
  try {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  } catch (_) {
    /* not a secure context */
  }
  const b = new Uint8Array(16);
  if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(b);
  else for (let i = 0; i < 16; i++) b[i] = (Math.random() * 256) | 0;
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// Conversation ids the visitor rated (from this browser), the newest 50.
export function ratedLoad(st = store) {
  try {
    const v = JSON.parse(st.get(K_RATED) || '[]');
    return Array.isArray(v) ? v : [];
  } catch (_) {
    return [];
  }
}
export function ratedAdd(id, st = store) {
  const list = ratedLoad(st).filter((x) => x !== id);
  list.push(id);
  st.set(K_RATED, JSON.stringify(list.slice(-50)));
}
