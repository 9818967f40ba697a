/*
 * Proactive rule conditions, evaluated against facts about this visit. The server validates the
 * same set (consult's rule validation) and the admin editor offers it; a test keeps the three equal.
 */

import { cartCount, cartTotal, num } from './cart.js';

export const CONDITION_TYPES = [
  'seconds_on_site',
  'pages_viewed',
  'idle_on_page',
  'cart_not_empty',
  'cart_total_at_least',
  'exit_intent',
  'returning_visitor',
  'customer_known',
];

const globCache = new Map();

// `*` matches any run of characters, everything else itself; an empty pattern matches all.
export function globMatch(pattern, value) {
  const p = typeof pattern === 'string' && pattern !== '' ? pattern : '*';
  let re = globCache.get(p);
  if (!re) {
    re = new RegExp('^' + p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
    globCache.set(p, re);
  }
  return re.test(value);
}

// A pattern written as a full address is matched against the full address, else path + query.
export function pagePath(pattern, loc) {
  return /^https?:\/\//i.test(pattern || '') ? loc.href : loc.pathname + loc.search;
}

/*
 * facts: {secondsOnSite, pagesViewed, idleSeconds, cart, exitIntent, visitor, location}
 * (each read only by the conditions that need it).
 */
export function conditionHolds(c, facts) {
  if (!c || typeof c !== 'object') return false;
  switch (c.type) {
    case 'seconds_on_site':
      return facts.secondsOnSite >= num(c.value);
    case 'pages_viewed':
      return facts.pagesViewed >= num(c.value);
    case 'idle_on_page':
      return facts.idleSeconds >= num(c.seconds) && globMatch(c.url_pattern, pagePath(c.url_pattern, facts.location));
    case 'cart_not_empty': {
      const cart = facts.cart;
      return !!cart && (cartCount(cart) > 0 || num(cart.count) > 0);
    }
    case 'cart_total_at_least':
      return cartTotal(facts.cart) >= num(c.value);
    case 'exit_intent':
      return !!facts.exitIntent;
    case 'returning_visitor':
      return !!(facts.visitor && facts.visitor.returning);
    case 'customer_known':
      return !!(facts.visitor && facts.visitor.name);
    default:
      return false; // a condition this widget does not know never holds
  }
}

// {match: 'all' | 'any', items: [...]}; anything but 'any' means all.
export function ruleHolds(rule, facts) {
  const cond = rule.conditions && typeof rule.conditions === 'object' ? rule.conditions : {};
  const items = Array.isArray(cond.items) ? cond.items : [];
  const holds = (c) => conditionHolds(c, facts);
  return cond.match === 'any' ? items.some(holds) : items.every(holds);
}
