/*
 * The offline outbox: the visitor's messages not yet acknowledged, kept in storage so they survive
 * a reload. Read-modify-write on every change, so several tabs don't overwrite each other.
 * `store` is anything with get/set/remove of strings (localStorage-like).
 */

export function createOutbox(store, key) {
  function load() {
    try {
      const v = JSON.parse(store.get(key) || '[]');
      return Array.isArray(v)
        ? v.filter((i) => i && typeof i.client_id === 'string' && typeof i.text === 'string')
        : [];
    } catch (_) {
      return [];
    }
  }
  function save(list) {
    if (list.length) store.set(key, JSON.stringify(list));
    else store.remove(key);
  }
  return {
    load,
    add(item) {
      const list = load();
      if (!list.some((i) => i.client_id === item.client_id)) list.push(item);
      save(list);
    },
    remove(clientId) {
      const list = load();
      const rest = list.filter((i) => i.client_id !== clientId);
      if (rest.length !== list.length) save(rest);
    },
    has(clientId) {
      return load().some((i) => i.client_id === clientId);
    },
    // The oldest item not in `skip` (a Set of client_ids): sends go one at a time, in order.
    next(skip) {
      return load().find((i) => !skip.has(i.client_id)) || null;
    },
  };
}
