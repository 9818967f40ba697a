// Console: the state of this tab, the socket slot and the page's fixed elements.

import { byTestId } from '../shared/dom.js';

export const state = {
  me: null,
  chats: new Map(), // id -> Chat (mine)
  queue: [], // Chat[]
  hotReplies: [],
  team: [],
  panes: new Map(), // id -> Pane
  focused: null, // pane id
  outbox: new Map(), // client_id -> {client_id, conversation_id, text, created_at, status, error, attempt}
  takenByMe: new Set(), // ids I took, so their `chat` event does not beep
  deliveredSent: new Map(), // conversation id -> up_to already reported
  readSent: new Map(),
  inits: 0,
  tasks: new Map(), // id -> Task (open or taken; done ones are dropped)
  freshTasks: new Set(), // task ids that arrived live and nobody has looked at yet
};

// The live /operator socket; replaced on every connect.
export const net = { socket: null };

export const ui = {
  loginView: document.getElementById('login-view'),
  appView: document.getElementById('app-view'),
  loginForm: byTestId('login-form'),
  loginError: byTestId('login-error'),
  loginSubmit: byTestId('login-submit'),
  banner: byTestId('connection-banner'),
  meName: byTestId('me-name'),
  statusSelect: byTestId('status-select'),
  logout: byTestId('logout'),
  chatList: byTestId('chat-list'),
  chatEmpty: document.getElementById('chat-empty'),
  chatCount: document.getElementById('chat-count'),
  queueList: byTestId('queue-list'),
  queueEmpty: document.getElementById('queue-empty'),
  queueCount: document.getElementById('queue-count'),
  workspace: document.getElementById('workspace'),
  workspaceEmpty: document.getElementById('workspace-empty'),
  sideBody: document.getElementById('side-body'),
  hotOpen: byTestId('hot-manage-open'),
  hotDialog: byTestId('hot-manage-dialog'),
  hotList: document.getElementById('hot-manage-list'),
  hotForm: document.getElementById('hot-form'),
  hotFormError: document.getElementById('hot-form-error'),
  hotFormReset: document.getElementById('hot-form-reset'),
  toasts: document.getElementById('toasts'),
  taskList: byTestId('task-list'),
  taskEmpty: document.getElementById('task-empty'),
  taskCount: document.getElementById('task-count'),
  taskFresh: document.getElementById('task-fresh'),
  taskSection: byTestId('task-section'),
  adminLink: byTestId('admin-link'),
};
