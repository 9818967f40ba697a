// The widget's three honest states (static/widget/src/availability.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describe, fmtDuration, fmtOpening, normAvailability } from '../../static/widget/src/availability.js';

const NOW = new Date('2026-12-02T12:00:00Z'); // a Wednesday
const MSK = 'Europe/Moscow';
const av = (over) => ({
  state: 'online', reason: null, reply_seconds: null, seconds_per_place: null, wait_seconds: null,
  next_open_at: null, ...over,
});

test('online: a reply time only when the server has one', () => {
  assert.deepEqual(describe(av({}), null, 'ru', NOW, MSK), { kind: 'online', text: 'Операторы на связи' });
  assert.equal(describe(av({ reply_seconds: 120 }), null, 'ru', NOW, MSK).text, 'Операторы на связи, ответим примерно за 2 мин');
  assert.equal(describe(av({ reply_seconds: 40 }), null, 'en', NOW, MSK).text, 'Operators are here, we usually answer within 40 s');
});

test('busy: the wait before writing, the place and its wait while waiting', () => {
  const busy = av({ state: 'busy', seconds_per_place: 600, wait_seconds: 1200 });
  assert.deepEqual(describe(busy, null, 'ru', NOW, MSK), { kind: 'busy', text: 'Все операторы заняты, ожидание около 20 мин' });
  const mine = { id: 1, status: 'queued', queue_position: 3 };
  assert.equal(describe(busy, mine, 'ru', NOW, MSK).text, 'Все операторы заняты. Ваше место в очереди: 3, ожидание около 30 мин');
  assert.equal(describe(av({ state: 'busy' }), mine, 'ru', NOW, MSK).text, 'Все операторы заняты. Ваше место в очереди: 3');
});

test('offline: never a queue; when the shop answers, from its hours', () => {
  const closed = av({ state: 'offline', reason: 'closed', next_open_at: '2026-12-03T06:00:00Z' });
  assert.deepEqual(describe(closed, null, 'ru', NOW, MSK), {
    kind: 'offline', text: 'Сейчас никого нет. Оставьте сообщение или закажите звонок — ответим завтра с 09:00',
  });
  const mine = { id: 1, status: 'queued', queue_position: 1 };
  assert.deepEqual(describe(closed, mine, 'ru', NOW, MSK), { kind: 'left', text: 'Сообщение оставлено — ответим завтра с 09:00' });
  const nobody = av({ state: 'offline', reason: 'nobody' });
  assert.match(describe(nobody, null, 'ru', NOW, MSK).text, /как только оператор будет на месте$/);
  assert.doesNotMatch(describe(nobody, mine, 'ru', NOW, MSK).text, /очеред/);
});

test('openings today, tomorrow and later; durations; bad input', () => {
  assert.equal(fmtOpening('2026-12-02T15:30:00Z', 'ru', NOW, MSK), 'сегодня с 18:30');
  assert.equal(fmtOpening('2026-12-05T06:00:00Z', 'en', NOW, MSK), 'on Saturday 5 December from 09:00');
  assert.equal(fmtDuration(5400, 'ru'), '1 ч 30 мин');
  assert.equal(fmtDuration(7200, 'en'), '2 h');
  assert.equal(normAvailability({ state: 'asleep' }), null);
  assert.equal(describe(undefined, null, 'ru', NOW, MSK), null);
  assert.equal(normAvailability({ state: 'busy', wait_seconds: 'soon' }).wait_seconds, null);
});
