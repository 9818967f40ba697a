// Admin: what the sections share: their state and small form helpers.

export const state = {
  me: null,
  section: null,
  rules: [],
  editingId: null, // id of the rule in the editor, null for a new one
  settings: null,
  operators: [],
  replies: [],
  related: [],
};

// ---------------------------------------------------------------- helpers

/** Disable a button while `work` runs. */
export async function busy(button, work) {
  if (button) button.disabled = true;
  try {
    return await work();
  } finally {
    if (button) button.disabled = false;
  }
}

export function intOf(input) {
  const raw = String(input.value).trim();
  if (raw === '') return NaN;
  const n = Number(raw);
  return Number.isInteger(n) ? n : NaN;
}

export function numberOf(input) {
  const raw = String(input.value).trim().replace(',', '.');
  if (raw === '') return NaN;
  return Number(raw);
}

export function flashSaved(el) {
  el.hidden = false;
  clearTimeout(el._timer);
  el._timer = setTimeout(() => (el.hidden = true), 4000);
}
