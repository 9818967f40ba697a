// The shop's cart as the host page gives it: normalised, counted, totalled, compared.

export function num(v, dflt = 0) {
  const n = typeof v === 'string' && v.trim() === '' ? NaN : Number(v);
  return Number.isFinite(n) ? n : dflt;
}

export function normItems(list) {
  return (Array.isArray(list) ? list : [])
    .filter((i) => i && typeof i === 'object' && i.id != null && i.id !== '')
    .map((i) => {
      const o = {
        id: String(i.id),
        name: String(i.name ?? i.id),
        price: num(i.price),
        quantity: Math.round(num(i.quantity, 1)),
      };
      if (i.category != null && i.category !== '') o.category = String(i.category);
      if (i.url != null && i.url !== '') o.url = String(i.url);
      return o;
    })
    .filter((i) => i.quantity >= 1); // a line with nothing in it is no line
}

export function normCart(c) {
  if (!c || typeof c !== 'object') return null;
  const out = { items: normItems(c.items) };
  if (c.total != null && Number.isFinite(Number(c.total))) out.total = Number(c.total);
  return out;
}

export function cartTotal(c) {
  if (!c) return 0;
  if (c.total != null && Number.isFinite(Number(c.total))) return Number(c.total);
  return (c.items || []).reduce((a, i) => a + num(i.price) * num(i.quantity, 1), 0);
}

export function cartCount(c) {
  if (!c) return 0;
  return (c.items || []).reduce((a, i) => a + num(i.quantity, 1), 0);
}

export function sameCart(host, server) {
  const key = (c) => JSON.stringify((c ? c.items || [] : []).map((i) => [String(i.id), num(i.quantity, 1), num(i.price)]));
  if (key(host) !== key(server)) return false;
  return host.total == null || (!!server && num(server.total) === num(host.total));
}
