// /admin/keys: the offers API's keys. Listed with name, shop, prefix, created, last used and
// revoked; a new key is shown once with a copy button; revoking asks first.

import { api, clearErrors, fmtWhen, requireAdmin, showError } from './common.js';
import { busy } from './forms.js';
import { byTestId, h } from '../shared/dom.js';
import { STALE, newestOnly } from '../shared/newest.js';

const list = byTestId('key-list');
const form = byTestId('key-form');
const shown = byTestId('key-shown');

const fetchKeys = newestOnly(() => api('GET', '/admin/api/api-keys'));

async function load() {
  let got;
  try {
    got = await fetchKeys();
  } catch (err) {
    showError(document.getElementById('keys-error'), err);
    return;
  }
  if (got === STALE) return;
  const keys = got.api_keys || [];
  // Newest first: the one just made is at the top.
  list.replaceChildren(...keys.slice().reverse().map(keyRow));
  byTestId('keys-empty').hidden = keys.length > 0;
}

function keyRow(key) {
  const revoked = Boolean(key.revoked_at);
  const revoke = h('button', { type: 'button', class: 'btn btn-small btn-danger', testid: 'key-revoke', text: 'Отозвать' });
  revoke.addEventListener('click', async () => {
    const what = key.name || key.prefix;
    if (!window.confirm(`Отозвать ключ «${what}»? Магазин с этим ключом больше не сможет вызывать API.`)) return;
    await busy(revoke, async () => {
      try {
        await api('DELETE', `/admin/api/api-keys/${encodeURIComponent(key.id)}`);
        clearErrors();
        await load();
      } catch (err) {
        showError(document.getElementById('keys-error'), err);
      }
    });
  });
  return h(
    'tr',
    { testid: 'key-row', dataset: { id: key.id, prefix: key.prefix, revoked: revoked ? 'true' : 'false' } },
    h('td', { testid: 'key-row-name', text: key.name || '—' }),
    h('td', { class: 'mono', text: key.shop_id }),
    h('td', { class: 'mono', testid: 'key-row-prefix', text: `${key.prefix}…` }),
    h('td', { class: 'nowrap', text: fmtWhen(key.created_at) }),
    h('td', { class: 'nowrap', testid: 'key-row-used', text: key.last_used_at ? fmtWhen(key.last_used_at) : 'не использовался' }),
    h('td', { testid: 'key-row-state', class: revoked ? 'state-revoked' : 'state-live', text: revoked ? `отозван ${fmtWhen(key.revoked_at)}` : 'действует' }),
    h('td', { class: 'col-actions' }, revoked ? null : revoke),
  );
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const slot = document.getElementById('key-form-error');
  const shop = form.elements.shop_id.value.trim();
  if (!shop) return void showError(slot, 'Укажите магазин (shop_id)');
  await busy(byTestId('key-create'), async () => {
    try {
      const made = await api('POST', '/admin/api/api-keys', { shop_id: shop, name: form.elements.name.value.trim() });
      clearErrors();
      form.reset();
      byTestId('key-value').textContent = made.key;
      byTestId('key-copied').hidden = true;
      shown.hidden = false;
      await load();
    } catch (err) {
      showError(slot, err);
    }
  });
});

byTestId('key-copy').addEventListener('click', async () => {
  const value = byTestId('key-value').textContent;
  try {
    await navigator.clipboard.writeText(value);
  } catch {
    // No clipboard permission (plain http): select the key so that Ctrl+C copies it.
    getSelection().selectAllChildren(byTestId('key-value'));
    return;
  }
  byTestId('key-copied').hidden = false;
});

(async () => {
  if (await requireAdmin()) await load();
})();
