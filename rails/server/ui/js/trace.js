// The "why" panel: a turn's rails log drawn as a timeline, so a person sees at a glance which
// rails ran, what they decided, where the time went (actions, model calls) and what blocked.

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

const ms = (seconds) => `${((seconds || 0) * 1000).toFixed(seconds < 0.01 ? 2 : 0)} ms`;

function row(kind, label, tags, span, turn) {
  const node = element("div", `row ${kind}`);
  const title = element("div", "label", label);
  title.title = label;
  for (const [text, className] of tags) title.append(element("span", `tag ${className}`, text));
  const lane = element("div", "lane");
  const bar = element("div", "bar");
  const total = Math.max(turn.end - turn.start, 1e-6);
  const start = span.start ?? turn.start;
  const end = span.end ?? start + (span.duration || 0);
  bar.style.left = `${(100 * (start - turn.start)) / total}%`;
  bar.style.width = `${Math.max((100 * (end - start)) / total, 0.5)}%`;
  bar.title = ms(end - start);
  lane.append(bar);
  node.append(title, lane);
  if (tags.some(([, className]) => className === "blocked")) node.classList.add("blocked");
  if (tags.some(([, className]) => className === "failed")) node.classList.add("failed");
  return node;
}

function turnSpan(rails) {
  const starts = rails.map((rail) => rail.started_at).filter((value) => value != null);
  const ends = rails.map((rail) => rail.finished_at).filter((value) => value != null);
  return { start: Math.min(...starts), end: Math.max(...ends) };
}

export function renderTrace(container, log, turnLabel) {
  container.replaceChildren();
  const heading = element("h3", "", turnLabel);
  container.append(heading);
  const rails = log?.activated_rails || [];
  const stats = log?.stats || {};
  container.append(element("div", "summary",
    `${rails.length} rail(s) · ${stats.llm_calls_count || 0} model call(s)` +
    ` · ${stats.llm_calls_total_tokens || 0} tokens · total ${ms(stats.total_duration)}`));
  if (rails.length && rails.some((rail) => rail.started_at != null)) {
    const turn = turnSpan(rails);
    const timeline = element("div", "timeline");
    timeline.setAttribute("role", "list");
    for (const rail of rails) {
      const tags = [[rail.type, ""]];
      if (rail.stop) tags.push(["blocked", "blocked"]);
      const railRow = row("rail", `${rail.name}`, tags,
        { start: rail.started_at, end: rail.finished_at }, turn);
      railRow.setAttribute("role", "listitem");
      if (rail.decisions?.length) {
        railRow.querySelector(".label").append(
          element("span", "decisions", rail.decisions.join(" → ")));
      }
      timeline.append(railRow);
      for (const action of rail.executed_actions || []) {
        const actionTags = [[ms(action.duration), ""]];
        if (action.error) actionTags.push(["failed", "failed"]);
        const actionRow = row("action", action.action_name, actionTags,
          { start: action.started_at, end: action.finished_at }, turn);
        actionRow.title = action.error ||
          (action.return_value === undefined ? "" : JSON.stringify(action.return_value));
        actionRow.setAttribute("role", "listitem");
        timeline.append(actionRow);
        for (const call of action.llm_calls || []) {
          const callRow = row("llm", `model: ${call.task || "call"}`,
            [[ms(call.duration), ""], [`${call.total_tokens || 0} tok`, ""]],
            { start: call.started_at, end: call.finished_at, duration: call.duration }, turn);
          callRow.setAttribute("role", "listitem");
          timeline.append(callRow);
        }
      }
    }
    container.append(timeline);
  } else {
    container.append(element("p", "hint", "No rails ran in this turn."));
  }
  if (log?.errors?.length) {
    const errors = element("ul", "errors");
    for (const error of log.errors) errors.append(element("li", "", `${error.type}: ${error.message}`));
    container.append(errors);
  }
}
