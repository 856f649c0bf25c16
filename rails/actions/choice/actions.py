"""`choose_action`: the system action that hands the turn to the model with a set of
actions, and the glue that makes it the dialog mode of `tool_use.mode: fallback`.

    define flow weather or drawing
      user ask for help
      $answer = execute choose_action(actions=["GET_WEATHER", "DRAW"], max_steps=3)
      bot $answer

`actions` may name similes; without it, `tool_use.actions` (or every non-system action) is
offered. The return value is the model's answer; the output rails see it as the bot message."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from rails.actions.decorator import action
from rails.policy.identity import identity_from_context

if TYPE_CHECKING:
    from rails.actions.choice.loop import ChoiceResult

# The flow `tool_use.mode: fallback` puts in place of the library's "generate next step":
# when no flow of the config handles the user's intent, the model chooses.
FALLBACK_FLOW = """
define flow generate next step
  priority 0.9
  user ...
  $tool_answer = execute choose_action
  bot $tool_answer
"""


class ChoiceActions:
    """Holds what `choose_action` needs from the assembled rails."""

    def __init__(self, dispatcher: Any, settings: Any, get_llm: Callable[[], Any],
                 injected: dict, remote: Any = None, instructions: str = "",
                 confirmer: Any = None):
        self.dispatcher, self.settings, self.get_llm = dispatcher, settings, get_llm
        self.injected, self.remote, self.instructions = injected, remote, instructions
        self.confirmer = confirmer

    # Several model calls and actions, each bounded by its own deadline: the loop as a whole
    # has none of its own (the turn's still applies).
    @action(is_system_action=True, name="choose_action", timeout=float("inf"))
    async def choose_action(self, actions: Optional[list] = None,
                            max_steps: Optional[int] = None, events: Optional[list] = None,
                            context: Optional[dict] = None, state: Any = None) -> str:
        """Offer the valid, permitted actions to the model; run what it chooses; answer."""
        result = await self.choose(context or {}, events=events, state=state, names=actions,
                                   max_steps=max_steps)
        return result.text

    async def choose(self, context: dict, *, events: Optional[list] = None,
                     state: Any = None, names: Optional[list] = None,
                     max_steps: Optional[int] = None,
                     conversation: Optional[list] = None) -> ChoiceResult:
        from rails.actions.choice.loop import ChoiceLoop
        from rails.actions.choice.offer import offered_tools
        from rails.policy.audit import record_step

        settings = self.settings
        if names is not None and (isinstance(names, str) or not isinstance(names, list)):
            names = [names] if isinstance(names, str) else list(names)
        names = names if names is not None else settings.actions
        identity = identity_from_context(context)
        message = context.get("user_message")
        offers, notes = await offered_tools(
            self.dispatcher, names, message=message, context=context, state=state,
            events=events, identity=identity, config=self.injected.get("config"),
            skip=("choose_action",))
        record_step({"step": 0, "offered": [offer.name for offer in offers], "notes": notes})
        loop = ChoiceLoop(
            dispatcher=self.dispatcher, llm=self.get_llm(), injected=self.injected,
            remote=self.remote, max_steps=max_steps or settings.max_steps,
            action_timeout=settings.action_timeout, native=settings.native,
            instructions=self.instructions, call_rails=tuple(settings.rails.call),
            result_rails=tuple(settings.rails.result), confirmer=self.confirmer)
        return await loop.run(conversation if conversation is not None
                              else conversation_of(message), offers, context=context,
                              events=events, identity=identity)


def conversation_of(user_text: Optional[str]) -> list[dict]:
    """The caller's messages (system, user, assistant), the last user message replaced by
    the current text (which input rails may have rewritten)."""
    from rails.llm.passthrough import passthrough_prompt

    raw = passthrough_prompt(user_text or "")
    if isinstance(raw, str):
        return [{"role": "user", "content": raw}]
    conversation = []
    for message in raw:
        role = message.get("role") or message.get("type")
        role = {"human": "user", "bot": "assistant", "ai": "assistant"}.get(role, role)
        if role in ("system", "user", "assistant") and isinstance(message.get("content"), str):
            conversation.append({"role": role, "content": message["content"]})
    return conversation or [{"role": "user", "content": user_text or ""}]


def general_instructions(config: Any) -> str:
    for instruction in config.instructions or ():
        if instruction.type == "general":
            return instruction.content
    return ""
