// Talking to the dialog-rails server: JSON calls, the streamed chat completion, the token.

const TOKEN_KEY = "dialog-rails-token";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

function headers() {
  const result = { "Content-Type": "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) result.Authorization = `Bearer ${token}`;
  return result;
}

async function failure(response) {
  const body = await response.json().catch(() => null);
  const message = body?.error?.message || `${response.status} ${response.statusText}`;
  return new ApiError(response.status, message);
}

async function call(method, path, body) {
  const response = await fetch(path, {
    method, headers: headers(), body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}

const threadPath = (thread) => `v1/threads/${encodeURIComponent(thread)}`;

export const listConfigs = () => call("GET", "v1/rails/configs");
export const getThread = (thread) => call("GET", threadPath(thread));
export const click = (thread, buttonId) =>
  call("POST", `${threadPath(thread)}/clicks`, { button_id: buttonId });
export const answer = (thread, interactionId, value) =>
  call("POST", `${threadPath(thread)}/answers`, { interaction_id: interactionId, value });
export const cancel = (thread, interactionId) =>
  call("POST", `${threadPath(thread)}/answers`, { interaction_id: interactionId, cancel: true });

// One turn, streamed. `on` receives text pieces (text), UI events (ui), the last chunk with
// the rails log (done) and errors the server sent after the headers (error).
export async function streamTurn({ config, thread, text }, on) {
  const response = await fetch("v1/chat/completions", {
    method: "POST",
    headers: headers(),
    body: JSON.stringify({
      model: config, thread_id: thread, stream: true,
      messages: [{ role: "user", content: text }],
      options: { log: { activated_rails: true, llm_calls: true } },
    }),
  });
  if (!response.ok) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      dispatch(buffer.slice(0, end), on);
      buffer = buffer.slice(end + 2);
    }
  }
  if (buffer.trim()) dispatch(buffer, on);
}

function dispatch(block, on) {
  let name = null;
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  const text = data.join("\n");
  if (!text || text === "[DONE]") return;
  const payload = JSON.parse(text);
  if (name === "rails.ui") return on.ui(payload);
  if (payload.error) return on.error(payload.error.message || "the turn failed");
  for (const event of payload.ui_events || []) on.ui(event);
  const choice = payload.choices?.[0];
  if (choice?.delta?.content) on.text(choice.delta.content);
  if (choice?.finish_reason) on.done(payload);
}
