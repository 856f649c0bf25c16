// The chat page: pick a config, chat (streamed), click buttons, answer questions, and see in
// the "why" panel what the rails did in each turn. The thread id is in the URL, so a reload
// shows the same conversation.
import * as api from "./api.js";
import { ask, askToken } from "./dialogs.js";
import {
  addMessage, addWhyLink, appendText, applyUiEvent, keepLiveButtons, renderButtons, setText,
  toast,
} from "./render.js";
import { renderTrace } from "./trace.js";

const $ = (id) => document.getElementById(id);
const list = $("messages");
const state = { config: null, thread: null, busy: false, turns: 0 };

function newThreadId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)),
    (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function notify(text, kind) {
  toast($("toasts"), text, kind);
}

function showProblem(text) {
  $("problem").textContent = text;
  $("problem").hidden = !text;
}

function remember() {
  const url = new URL(location.href);
  url.searchParams.set("config", state.config);
  url.searchParams.set("thread", state.thread);
  history.replaceState(null, "", url);
}

// Any call: a 401 asks for the server's token once, then tries again.
async function withToken(call) {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof api.ApiError) || error.status !== 401) throw error;
    api.setToken(await askToken());
    return call();
  }
}

function setBusy(busy) {
  state.busy = busy;
  $("send").disabled = busy;
  $("input").setAttribute("aria-busy", String(busy));
}

// -- bot answers ------------------------------------------------------------------------

// `events`: replay the message's UI events (not when they were just streamed); `toasts`:
// show its notifications again (not on a reload).
function attachAnswerParts(item, message, { events = true, toasts = true } = {}) {
  renderButtons(item, message.buttons, onButton);
  if (!events) return;
  for (const event of message.ui_events || []) {
    applyUiEvent(item, event, toasts ? notify : () => {});
  }
}

function showTrace(log, number) {
  renderTrace($("trace"), log, `Turn ${number}`);
}

function addTrace(item, log) {
  if (!log) return;
  const number = ++state.turns;
  addWhyLink(item, () => showTrace(log, number));
  showTrace(log, number);
}

// A click or an answer comes back like a chat completion: its bot message (if it says or
// offers anything) joins the conversation; UI events without a message of their own (the
// result of a message action, a status) go to the message they came from.
async function afterAnswer(body, origin) {
  const message = body?.choices?.[0]?.message;
  let target = origin;
  if (message && (message.content || message.buttons?.length)) {
    target = addMessage(list, "assistant", message.content);
    renderButtons(target, message.buttons, onButton);
  }
  for (const event of message?.ui_events || []) {
    applyUiEvent(event.type === "result" ? origin || target : target || origin, event, notify);
  }
  await refresh();
  if (message?.interaction) await onQuestion(message.interaction);
}

async function onButton(button, node) {
  const origin = node.closest(".message");
  try {
    await afterAnswer(await withToken(() => api.click(state.thread, button.id)), origin);
  } catch (error) {
    notify(error.message, "error");
    await refresh();
  }
}

async function onQuestion(interaction) {
  const outcome = await ask(interaction);
  if (outcome.expired) {
    notify("The question expired before it was answered.", "info");
    await refresh();
    return;
  }
  try {
    const body = await withToken(() => outcome.cancelled
      ? api.cancel(state.thread, interaction.id)
      : api.answer(state.thread, interaction.id, outcome.value));
    await afterAnswer(body, [...list.querySelectorAll(".message.assistant")].at(-1));
  } catch (error) {
    notify(error.message, "error");
  }
}

// -- the thread as the server keeps it ----------------------------------------------------

async function fetchThread() {
  try {
    return await withToken(() => api.getThread(state.thread));
  } catch (error) {
    if (error instanceof api.ApiError && (error.status === 404 || error.status === 405)) {
      return null; // a new thread, or a server that keeps no threads
    }
    throw error;
  }
}

async function refresh() {
  const thread = await fetchThread();
  if (!thread) return null;
  keepLiveButtons(list, new Set((thread.buttons || []).map((button) => button.id)));
  return thread;
}

async function loadThread() {
  list.replaceChildren();
  $("trace").replaceChildren();
  state.turns = 0;
  const thread = await fetchThread();
  if (!thread) return;
  if (thread.config_id && thread.config_id !== state.config) {
    state.config = thread.config_id;
    $("config").value = state.config;
    remember();
  }
  for (const message of thread.messages || []) {
    if (message.role !== "user" && message.role !== "assistant") continue;
    const item = addMessage(list, message.role, message.content);
    if (message.role === "assistant") attachAnswerParts(item, message, { toasts: false });
  }
  keepLiveButtons(list, new Set((thread.buttons || []).map((button) => button.id)));
  if (thread.interaction) onQuestion(thread.interaction);
}

// -- sending ------------------------------------------------------------------------------

async function send(text) {
  setBusy(true);
  showProblem("");
  addMessage(list, "user", text);
  const item = addMessage(list, "assistant", "");
  item.setAttribute("aria-busy", "true");
  let last = null;
  let failed = null;
  let question = null;
  let pieces = 0;
  const ui = (event) => {
    if (event.type === "buttons") renderButtons(item, event.data, onButton);
    else if (event.type === "interaction") question = event.data;
    else applyUiEvent(item, event, notify);
  };
  try {
    await withToken(() => api.streamTurn({ config: state.config, thread: state.thread, text }, {
      text: (piece) => { appendText(item, piece); item.dataset.chunks = String(++pieces); },
      ui,
      done: (chunk) => { last = chunk; },
      error: (message) => { failed = message; },
    }));
  } catch (error) {
    failed = error.message;
  } finally {
    item.removeAttribute("aria-busy");
    setBusy(false);
  }
  if (failed) {
    if (!item.querySelector(".body").textContent) item.remove();
    showProblem(failed);
    return;
  }
  addTrace(item, last?.log);
  const thread = await refresh();
  const stored = thread?.messages?.filter((message) => message.role === "assistant").at(-1);
  if (stored?.content && stored.content !== item.querySelector(".body").textContent) {
    setText(item, stored.content); // what the thread kept (e.g. after an output rail)
  }
  const pending = question || thread?.interaction;
  if (pending) await onQuestion(pending);
}

function bindComposer() {
  const input = $("input");
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || state.busy) return;
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("config").addEventListener("change", () => {
    state.config = $("config").value;
    state.thread = newThreadId();
    remember();
    loadThread();
  });
  $("new-thread").addEventListener("click", () => {
    state.thread = newThreadId();
    remember();
    loadThread();
    input.focus();
  });
}

async function start() {
  bindComposer();
  const params = new URLSearchParams(location.search);
  try {
    const configs = await withToken(api.listConfigs);
    const select = $("config");
    for (const config of configs) {
      const option = document.createElement("option");
      option.value = option.textContent = config.id;
      select.append(option);
    }
    const wanted = params.get("config");
    state.config = configs.some((config) => config.id === wanted) ? wanted : configs[0]?.id;
    select.value = state.config || "";
    state.thread = params.get("thread") || newThreadId();
    remember();
    await loadThread();
  } catch (error) {
    showProblem(`Could not reach the server: ${error.message}`);
  }
  $("input").focus();
}

// After the first frame: the page's first paint does not wait for this script's work, and the
// API calls it starts still answer before a person could read the page.
requestAnimationFrame(() => setTimeout(start, 0));
