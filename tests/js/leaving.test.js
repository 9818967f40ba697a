// Which clicks leave the page for another of the same shop (static/widget/src/leaving.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { leavesForSameOrigin } from '../../static/widget/src/leaving.js';

const here = new URL('https://shop.example/catalog/phones?page=2');

function link(href, attrs = {}) {
  const base = new URL(href, here.href);
  return {
    tagName: 'A',
    href: base.href,
    hasAttribute: (k) => k in attrs,
    getAttribute: (k) => (k in attrs ? attrs[k] : null),
  };
}
const click = (a, over = {}) => ({
  defaultPrevented: false, button: 0, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false,
  composedPath: () => [{ tagName: 'SPAN' }, a, { tagName: 'BODY' }],
  ...over,
});

test('a plain click on a link to another page of the shop leaves', () => {
  assert.equal(leavesForSameOrigin(click(link('/shop/product.html?id=p1')), here), true);
  assert.equal(leavesForSameOrigin(click(link('/catalog/phones?page=2')), here), true); // reload
});

test('other origins, new tabs, downloads, modifiers and prevented clicks do not', () => {
  assert.equal(leavesForSameOrigin(click(link('https://other.example/')), here), false);
  assert.equal(leavesForSameOrigin(click(link('/x', { target: '_blank' })), here), false);
  assert.equal(leavesForSameOrigin(click(link('/x', { download: '' })), here), false);
  assert.equal(leavesForSameOrigin(click(link('/x'), { ctrlKey: true }), here), false);
  assert.equal(leavesForSameOrigin(click(link('/x'), { button: 1 }), here), false);
  assert.equal(leavesForSameOrigin(click(link('/x'), { defaultPrevented: true }), here), false);
});

test('a jump to an anchor of the same page stays', () => {
  assert.equal(leavesForSameOrigin(click(link('#reviews')), here), false);
  assert.equal(leavesForSameOrigin(click(link('/catalog/phones?page=2#top')), here), false);
});

test('a click outside any link does not leave', () => {
  const e = click(null, { composedPath: () => [{ tagName: 'BUTTON' }] });
  assert.equal(leavesForSameOrigin(e, here), false);
});
