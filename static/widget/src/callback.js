// The call-back / leave-a-message form.

import { emitAck } from '../../shared/ack.js';
import { errorText, t } from './i18n.js';
import { canEmit, net, state, ui } from './state.js';
import { openPanel, renderHeader } from './view.js';

let cbMode = 'callback';
let cbBusy = false;
export function setCallbackMode(mode) {
  if (!ui.host) return;
  cbMode = mode === 'message' ? 'message' : 'callback';
  ui.cbForm.dataset.mode = cbMode;
  for (const tab of ui.cbTabs) tab.setAttribute('aria-selected', String(tab.dataset.mode === cbMode));
  const call = cbMode === 'callback';
  if (!ui.cbIntro.dataset.custom) ui.cbIntro.textContent = call ? t.cbIntroCallback : t.cbIntroMessage;
  ui.cbPhoneLabel.textContent = call ? t.cbPhone : t.cbPhoneOptional;
  ui.cbPhone.required = call;
  ui.cbTimeRow.hidden = !call;
  ui.cbTextRow.hidden = call;
  ui.cbText.required = !call;
  ui.cbSubmit.textContent = call ? t.cbSubmitCallback : t.cbSubmitMessage;
  ui.cbError.hidden = true;
  ui.cbError.textContent = '';
}

// Opens the panel with the form; `intro` is a text from the server (a rule's decision).
export function showCallbackForm(mode, intro) {
  if (!ui.host) {
    state.pendingOpen = true;
    return;
  }
  state.view = 'callback';
  ui.panel.dataset.view = 'callback';
  ui.list.hidden = true;
  ui.typing.hidden = true;
  ui.form.hidden = true;
  ui.cbView.hidden = false;
  ui.cbForm.hidden = false;
  ui.cbDone.hidden = true;
  ui.cbSubmit.disabled = false;
  if (intro) {
    ui.cbIntro.dataset.custom = '1';
    ui.cbIntro.textContent = intro;
  } else {
    delete ui.cbIntro.dataset.custom;
  }
  setCallbackMode(mode);
  if (!ui.cbName.value && state.visitor && state.visitor.name) ui.cbName.value = state.visitor.name;
  renderHeader();
  openPanel(true);
  const touch = window.matchMedia && matchMedia('(pointer: coarse)').matches;
  if (!touch) {
    const first = ui.cbName.value ? (cbMode === 'callback' ? ui.cbPhone : ui.cbText) : ui.cbName;
    try {
      first.focus({ preventScroll: true });
    } catch (_) {
      /* ignore */
    }
  }
}

export function submitCallback() {
  if (!ui.host || cbBusy) return;
  const name = ui.cbName.value.trim();
  const phone = ui.cbPhone.value.trim();
  const payload = { kind: cbMode };
  if (name) payload.name = name;
  if (phone) payload.phone = phone;
  if (cbMode === 'callback') payload.preferred_time = ui.cbTime.value;
  else payload.text = ui.cbText.value.trim();
  const fail = (text) => {
    ui.cbError.textContent = text;
    ui.cbError.hidden = false;
  };
  if (!canEmit()) {
    fail(t.errors.offline);
    return;
  }
  cbBusy = true;
  ui.cbSubmit.disabled = true;
  ui.cbError.hidden = true;
  emitAck(net.socket, 'callback', payload).then((res) => {
    cbBusy = false;
    ui.cbSubmit.disabled = false;
    if (res.lost) {
      fail(t.errors.offline);
      return;
    }
    if (!res || !res.ok) {
      const error = (res && res.error) || {};
      const text =
        error.code === 'invalid_phone' ? t.errors.invalid_phone
          : error.code === 'empty' ? t.errors.empty_form
            : errorText(error);
      fail(text); // the input stays as typed
      return;
    }
    ui.cbForm.hidden = true;
    ui.cbDone.textContent = cbMode === 'callback' ? t.cbDoneCallback : t.cbDoneMessage;
    ui.cbDone.hidden = false;
    ui.cbText.value = '';
    ui.cbDone.dataset.taskId = res.task_id != null ? String(res.task_id) : '';
  });
}
