// static/shared/newest.js: of loads in flight, only the newest one's answer is drawn.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { STALE, newestOnly } from '../../static/shared/newest.js';

// A fetch whose answers the test releases by hand, in any order.
function heldFetch() {
  const held = [];
  const fetch = (label) => new Promise((resolve, reject) => held.push({ label, resolve, reject }));
  return { fetch, held };
}

test('an older answer that comes back last is stale', async () => {
  const { fetch, held } = heldFetch();
  const load = newestOnly(fetch);
  const older = load('old');
  const newer = load('new');
  held[1].resolve('new state');
  held[0].resolve('old state');
  assert.equal(await newer, 'new state');
  assert.equal(await older, STALE);
});

test('a lone load gets its answer, and so does the next one after it', async () => {
  const { fetch, held } = heldFetch();
  const load = newestOnly(fetch);
  const first = load();
  held[0].resolve(1);
  assert.equal(await first, 1);
  const second = load();
  held[1].resolve(2);
  assert.equal(await second, 2);
});

test('the newest load reports its error; a superseded one drops its error', async () => {
  const { fetch, held } = heldFetch();
  const load = newestOnly(fetch);
  const older = load();
  const newer = load();
  held[0].reject(new Error('old failure'));
  held[1].reject(new Error('new failure'));
  assert.equal(await older, STALE);
  await assert.rejects(newer, /new failure/);
});
