// Proactive rule conditions and URL globs of the widget (static/widget/src/conditions.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CONDITION_TYPES, conditionHolds, globMatch, pagePath, ruleHolds } from '../../static/widget/src/conditions.js';

const loc = (href) => {
  const u = new URL(href);
  return { href: u.href, pathname: u.pathname, search: u.search };
};

const facts = (over = {}) => ({
  secondsOnSite: 0,
  pagesViewed: 1,
  idleSeconds: 0,
  cart: null,
  exitIntent: false,
  visitor: null,
  location: loc('https://shop.example/catalog/phones?page=2'),
  ...over,
});

test('a glob star matches any run of characters and nothing else is special', () => {
  assert.ok(globMatch('/catalog/*', '/catalog/phones?page=2'));
  assert.ok(globMatch('*phones*', '/catalog/phones'));
  assert.ok(!globMatch('/catalog/*', '/cart'));
  assert.ok(globMatch('/a.b', '/a.b'));
  assert.ok(!globMatch('/a.b', '/axb')); // a dot is a dot
  assert.ok(!globMatch('/item(1)', '/item1'));
  assert.ok(globMatch('/item(1)?x=[y]', '/item(1)?x=[y]'));
  assert.ok(globMatch('', '/anything'), 'an empty pattern matches all');
  assert.ok(globMatch(undefined, '/anything'));
});

test('a full-address pattern is matched against the full address, else path and query', () => {
  const l = loc('https://shop.example/cart?x=1');
  assert.equal(pagePath('https://shop.example/*', l), 'https://shop.example/cart?x=1');
  assert.equal(pagePath('/cart*', l), '/cart?x=1');
  assert.ok(conditionHolds({ type: 'idle_on_page', seconds: 5, url_pattern: 'https://shop.example/cart*' },
    facts({ idleSeconds: 5, location: l })));
  assert.ok(!conditionHolds({ type: 'idle_on_page', seconds: 5, url_pattern: 'https://other.example/*' },
    facts({ idleSeconds: 5, location: l })));
});

test('each condition type holds exactly when its fact reaches the value', () => {
  const cases = [
    [{ type: 'seconds_on_site', value: 30 }, { secondsOnSite: 29.9 }, { secondsOnSite: 30 }],
    [{ type: 'pages_viewed', value: 3 }, { pagesViewed: 2 }, { pagesViewed: 3 }],
    [{ type: 'idle_on_page', seconds: 10, url_pattern: '/catalog/*' }, { idleSeconds: 9 }, { idleSeconds: 10 }],
    [{ type: 'cart_not_empty' }, { cart: { items: [] } }, { cart: { items: [{ id: 'a', quantity: 1, price: 5 }] } }],
    [{ type: 'cart_total_at_least', value: 1000 }, { cart: { items: [{ id: 'a', quantity: 2, price: 499 }] } },
      { cart: { items: [{ id: 'a', quantity: 2, price: 500 }] } }],
    [{ type: 'exit_intent' }, { exitIntent: false }, { exitIntent: true }],
    [{ type: 'returning_visitor' }, { visitor: { returning: false } }, { visitor: { returning: true } }],
    [{ type: 'customer_known' }, { visitor: { name: null } }, { visitor: { name: 'Анна' } }],
  ];
  assert.deepEqual(cases.map(([c]) => c.type).sort(), [...CONDITION_TYPES].sort(), 'every type is covered');
  for (const [c, no, yes] of cases) {
    assert.equal(conditionHolds(c, facts(no)), false, `${c.type} with ${JSON.stringify(no)}`);
    assert.equal(conditionHolds(c, facts(yes)), true, `${c.type} with ${JSON.stringify(yes)}`);
  }
});

test('a cart total given by the shop wins over the sum of its lines', () => {
  const cart = { total: 2000, items: [{ id: 'a', quantity: 1, price: 10 }] };
  assert.ok(conditionHolds({ type: 'cart_total_at_least', value: 1500 }, facts({ cart })));
});

test('unknown or malformed conditions never hold', () => {
  assert.equal(conditionHolds({ type: 'moon_phase' }, facts()), false);
  assert.equal(conditionHolds(null, facts()), false);
  assert.equal(conditionHolds('seconds_on_site', facts({ secondsOnSite: 1e9 })), false);
});

test('a rule needs all its conditions, or any with match "any"', () => {
  const items = [{ type: 'pages_viewed', value: 2 }, { type: 'exit_intent' }];
  const f = facts({ pagesViewed: 5 });
  assert.equal(ruleHolds({ conditions: { match: 'all', items } }, f), false);
  assert.equal(ruleHolds({ conditions: { match: 'any', items } }, f), true);
  assert.equal(ruleHolds({ conditions: { items } }, facts({ pagesViewed: 5, exitIntent: true })), true);
  assert.equal(ruleHolds({ conditions: { match: 'any', items: [] } }, f), false);
});
