// The panel's state kept across pages (static/widget/src/persist.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { K_PANEL, loadPanel, savePanel } from '../../static/widget/src/persist.js';

function memory() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), m };
}

test('changes merge into what was kept', () => {
  const st = memory();
  assert.deepEqual(loadPanel(st), { open: false, draft: '', scroll: null, dismissed: 0 });
  savePanel({ open: true }, st);
  savePanel({ draft: 'Здравствуйте, а' }, st);
  savePanel({ scroll: 120 }, st);
  assert.deepEqual(loadPanel(st), { open: true, draft: 'Здравствуйте, а', scroll: 120, dismissed: 0 });
  savePanel({ scroll: null }, st);
  assert.equal(loadPanel(st).scroll, null);
});

test('garbage and missing storage read as a closed panel', () => {
  const st = memory();
  st.setItem(K_PANEL, '{"open": "yes", "draft": 5, "scroll": -3}');
  assert.deepEqual(loadPanel(st), { open: false, draft: '', scroll: null, dismissed: 0 });
  st.setItem(K_PANEL, 'not json');
  assert.deepEqual(loadPanel(st), { open: false, draft: '', scroll: null, dismissed: 0 });
  assert.deepEqual(loadPanel(null), { open: false, draft: '', scroll: null, dismissed: 0 });
  savePanel({ open: true }, null); // no throw
});
