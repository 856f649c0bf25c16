// Questions an action asks mid-turn (input or confirmation), in a modal <dialog> that shows
// how long is left to answer; and the token prompt of a protected server.

function secondsLeft(interaction) {
  if (interaction.expires_at) {
    const when = typeof interaction.expires_at === "number"
      ? interaction.expires_at * 1000 : Date.parse(interaction.expires_at);
    return Math.max(0, Math.round((when - Date.now()) / 1000));
  }
  return interaction.timeout_s ?? null;
}

// Resolves with {value} (the answer: text, or true/false for a confirmation), {expired} or
// {cancelled}.
export function ask(interaction) {
  const dialog = document.getElementById("question");
  const input = document.getElementById("question-input");
  const countdown = document.getElementById("question-countdown");
  const confirmation = interaction.type === "confirmation";
  document.getElementById("question-title").textContent =
    interaction.title || (confirmation ? "Please confirm" : "A question");
  document.getElementById("question-message").textContent = interaction.message || "";
  document.getElementById("question-ok").textContent = confirmation ? "Confirm" : "Send";
  input.hidden = confirmation;
  document.getElementById("question-input-label").hidden = confirmation;
  input.value = "";
  input.placeholder = interaction.placeholder || "";
  input.required = false;

  return new Promise((resolve) => {
    let left = secondsLeft(interaction);
    const tick = () => {
      if (left === null) { countdown.textContent = ""; return; }
      countdown.textContent = `Time left to answer: ${left} s`;
      if (left <= 0) { finish({ expired: true }); return; }
      left -= 1;
    };
    const timer = setInterval(tick, 1000);
    function finish(result) {
      clearInterval(timer);
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close("done");
      resolve(result);
    }
    function onClose() {
      if (dialog.returnValue === "ok") finish({ value: confirmation ? true : input.value });
      else if (dialog.returnValue === "cancel") finish(confirmation ? { value: false } : { cancelled: true });
      else finish({ cancelled: true });
    }
    dialog.addEventListener("close", onClose);
    tick();
    dialog.showModal();
    (confirmation ? document.getElementById("question-ok") : input).focus();
  });
}

export function askToken() {
  const dialog = document.getElementById("token-dialog");
  const input = document.getElementById("token-input");
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(input.value), { once: true });
    dialog.showModal();
    input.focus();
  });
}
