"""The topic-safety rail: the config's prompt describes the allowed topics; the model of the
rail's `$model=` answers "on-topic" or "off-topic" for the user message, seeing the
conversation so far."""
from __future__ import annotations

from typing import Any, Optional

from rails.actions import action
from rails.errors import ActionError
from rails.llm.call import llm_call
from rails.llm.filters import to_chat_messages

# Appended to the config's rules unless they already end with it: the verdict must be one of
# two words the action can read.
ANSWER_FORMAT = ('Answer "off-topic" if the last user message breaks any of these rules, and '
                 '"on-topic" otherwise. Answer with exactly one of the two.')
TEMPERATURE = 0.01


def _messages(rules: Any, events: Optional[list], user_message: str) -> list[dict]:
    if isinstance(rules, list):  # a chat prompt: its messages come first as they are
        messages = list(rules)
    else:
        text = str(rules).strip()
        if not text.endswith(ANSWER_FORMAT):
            text = f"{text}\n\n{ANSWER_FORMAT}"
        messages = [{"type": "system", "content": text}]
    history = to_chat_messages(events or [])
    messages.extend(history)
    if not history or history[-1] != {"type": "user", "content": user_message}:
        messages.append({"type": "user", "content": user_message})
    return messages


@action(is_system_action=True)
async def topic_safety_check_input(llm_task_manager: Any, llms: Optional[dict] = None,
                                   model_name: Optional[str] = None,
                                   context: Optional[dict] = None,
                                   events: Optional[list] = None) -> dict:
    """{"on_topic"} for the current user message; anything but "off-topic" counts as on topic,
    as the reference reads it."""
    context = context or {}
    name = model_name or context.get("model")
    if not name:
        raise ActionError("topic_safety_check_input needs a model name: write the rail as "
                          "'topic safety check input $model=<model type>'",
                          action_name="topic_safety_check_input")
    model = (llms or {}).get(name)
    if model is None:
        raise ActionError(f"topic_safety_check_input: no model of type '{name}' in config.yml "
                          f"models (have: {', '.join(sorted(llms or {})) or 'none'})",
                          action_name="topic_safety_check_input")
    task = f"topic_safety_check_input $model={name}"
    rules = llm_task_manager.render_task_prompt(task, context=context)
    answer = await llm_call(model, _messages(rules, events, context.get("user_message") or ""),
                            task="topic_safety_check_input",
                            stop=llm_task_manager.get_stop_tokens(task), temperature=TEMPERATURE,
                            max_tokens=llm_task_manager.get_max_tokens(task))
    on_topic = answer.strip().lower() != "off-topic"
    return {"on_topic": on_topic, "is_blocked": not on_topic}
