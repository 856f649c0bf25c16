// Drawing messages and what hangs off them: buttons, toolbar actions, status lines, sources,
// files, results. Every text goes in through textContent: nothing a bot or user writes is
// ever parsed as markup.

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function addMessage(list, role, text) {
  const item = element("li", `message ${role === "user" ? "user" : "assistant"}`);
  item.append(element("span", "visually-hidden", role === "user" ? "You:" : "Bot:"));
  item.append(element("div", "body", text || ""));
  list.append(item);
  item.scrollIntoView({ block: "end" });
  return item;
}

export function appendText(message, text) {
  message.querySelector(".body").textContent += text;
}

export function setText(message, text) {
  message.querySelector(".body").textContent = text;
}

function part(message, className, tag = "div") {
  let node = message.querySelector(`:scope > .${className}`);
  if (!node) {
    node = element(tag, className);
    message.append(node);
  }
  return node;
}

// Buttons of a bot message: real <button>s, choices in a group and message actions (kind
// "toolbar") in a toolbar. A click is sent once (the button is disabled at once), and buttons
// the server no longer lists disappear (see `keepLiveButtons`).
export function renderButtons(message, buttons, onClick) {
  const rows = {
    button: [part(message, "buttons"), "group", "Choices"],
    toolbar: [part(message, "toolbar"), "toolbar", "Message actions"],
  };
  for (const [row, role, label] of Object.values(rows)) {
    row.replaceChildren();
    row.setAttribute("role", role);
    row.setAttribute("aria-label", label);
  }
  for (const button of buttons || []) {
    const node = element("button", "choice", button.label || button.name);
    node.type = "button";
    node.dataset.buttonId = button.id;
    if (button.tooltip) node.title = button.tooltip;
    node.addEventListener("click", () => {
      node.disabled = true;
      onClick(button, node);
    });
    (rows[button.kind] || rows.button)[0].append(node);
  }
  for (const [row] of Object.values(rows)) if (!row.children.length) row.remove();
}

export function keepLiveButtons(root, liveIds) {
  for (const node of root.querySelectorAll("button.choice")) {
    if (!liveIds.has(node.dataset.buttonId)) {
      const row = node.parentElement;
      node.remove();
      if (!row.children.length) row.remove();
    }
  }
}

export function showResult(message, value) {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  part(message, "result").textContent = text;
}

export function addWhyLink(message, onShow) {
  const link = element("button", "why-link", "why?");
  link.type = "button";
  link.setAttribute("aria-label", "Show why: what the rails did in this turn");
  link.addEventListener("click", onShow);
  message.append(link);
}

// A UI event an action emitted (seed 000's types); `notify` shows notifications.
export function applyUiEvent(message, event, notify) {
  const data = event.data || {};
  switch (event.type) {
    case "status": {
      const status = part(message, "status");
      status.textContent = data.description || "";
      status.className = `status ${data.done ? "done" : "running"}`;
      if (data.hidden) status.remove();
      break;
    }
    case "message":
    case "chat:message:delta":
      appendText(message, data.content || "");
      break;
    case "replace":
    case "chat:message":
      setText(message, data.content || "");
      break;
    case "notification":
      notify(data.content || "", data.type || "info");
      break;
    case "citation":
    case "source": {
      const list = part(message, "sources", "ol");
      list.setAttribute("aria-label", "Sources");
      const source = data.source || {};
      const name = source.name || source.url || (data.metadata?.[0]?.source) || "source";
      const item = element("li", "", name);
      const excerpt = [].concat(data.document || []).join(" ");
      if (excerpt) item.title = excerpt;
      list.append(item);
      break;
    }
    case "result":  // what a message action returned
      showResult(message, data);
      break;
    case "files": {
      const files = part(message, "files");
      for (const file of data.files || []) {
        files.append(element("div", "file", `📎 ${file.name || file.url || "file"}`));
      }
      break;
    }
    default:
      break;
  }
}

export function toast(container, text, kind = "info") {
  const node = element("div", `toast ${kind}`, text);
  container.append(node);
  setTimeout(() => node.remove(), 6000);
}
