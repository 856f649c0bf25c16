"""The bounded choose-run loop: offer, let the model choose, run what it chose (arguments
checked, tool rails, permissions, confirmation, timeout), feed the results back, and answer
within `max_steps` model calls.

Every step is recorded (thought, calls, results, decisions) in the turn's ActionAudit, so
`explain()` shows it; the model's thought never reaches the user's text."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from rails.actions.choice.arguments import BadArguments, check_arguments, parse_arguments
from rails.actions.choice.model_turn import ModelTurn, model_step, supports_native_tools
from rails.policy.audit import record_step

log = logging.getLogger("rails.choice")

DEFAULT_MAX_STEPS = 4
DEFAULT_ACTION_TIMEOUT = 30.0
RESULT_LIMIT = 4000  # characters of one result fed back to the model
OUT_OF_STEPS = "I'm sorry, I could not finish that within the allowed number of steps."


@dataclass
class ChoiceResult:
    text: str
    steps: list = field(default_factory=list)
    ran: list = field(default_factory=list)       # [{"action", "arguments", "status", ...}]


@dataclass
class ChoiceLoop:
    """`dispatcher`: the action registry; `llm`: the model choosing; `injected`: the special
    parameters actions receive; `tool_rails`: actions run on each call before it runs
    (`call`) and on each result (`result`); a falsy return value blocks."""

    dispatcher: Any
    llm: Any
    injected: Mapping[str, Any] = field(default_factory=dict)
    remote: Any = None
    max_steps: int = DEFAULT_MAX_STEPS
    action_timeout: float = DEFAULT_ACTION_TIMEOUT
    native: Optional[bool] = None          # None: native tool calls when the model has them
    instructions: str = ""
    call_rails: tuple = ()
    result_rails: tuple = ()
    # async (offer, arguments, context) -> True/False, or None: cannot ask. Default: the
    # interactive actions' confirmation question, when the turn can ask one.
    confirmer: Any = None
    _call_number: int = 0

    async def run(self, conversation: list[dict], offers: list, *,
                  context: Mapping[str, Any], events: Optional[list] = None,
                  identity: Any = None) -> ChoiceResult:
        if self.llm is None:
            from rails.errors import LLMCallError

            raise LLMCallError("choosing an action needs a model; add a `type: main` model to "
                               "config.yml or pass `llm=` to LLMRails")
        native = supports_native_tools(self.llm) if self.native is None else self.native
        by_tool = {offer.tool_name: offer for offer in offers}
        conversation = list(conversation)
        result = ChoiceResult(text="")
        for step in range(1, max(1, self.max_steps) + 1):
            final = step == self.max_steps
            turn = await _journaled(f"choose_action:model:{step}", _model_turn, self.llm,
                                    conversation, offers, native, self.instructions, final,
                                    step)
            record = {"step": step, "thought": turn.thought, "native": native,
                      "calls": [], "text": turn.text if not turn.calls else None}
            result.steps.append(record)
            record_step(record)
            if not turn.calls:
                result.text = turn.text or (OUT_OF_STEPS if final and step > 1 else "")
                return result
            conversation.append({"role": "assistant", "content": turn.thought or "",
                                 "tool_calls": turn.calls})
            for call in turn.calls:
                function = call.get("function") or {}
                name = function.get("name") or ""
                outcome = await self._run_call(by_tool, name, function.get("arguments"),
                                               context, events, identity)
                record["calls"].append({"name": name, **outcome})
                if outcome.get("action"):
                    result.ran.append(outcome)
                conversation.append({"role": "tool", "tool_call_id": call.get("id", ""),
                                     "name": name, "content": outcome["content"]})
        result.text = OUT_OF_STEPS  # (the last step offers no tools, so this is rare)
        return result

    async def _run_call(self, by_tool: dict, tool_name: str, raw_arguments: Any,
                        context: Mapping[str, Any], events: Optional[list],
                        identity: Any) -> dict:
        offer = by_tool.get(tool_name)
        if offer is None:
            resolved = self.dispatcher.resolve(tool_name) if tool_name else None
            offer = next((o for o in by_tool.values() if o.name == resolved), None)
        if offer is None:
            names = ", ".join(by_tool) or "none"
            return _error(f"unknown action `{tool_name}`: it is not one of the actions "
                          f"offered ({names})")
        try:
            arguments = check_arguments(parse_arguments(raw_arguments), offer.parameters)
        except BadArguments as error:
            return _error(f"bad arguments for `{offer.tool_name}`: {error}", offer)
        blocked = await self._rails(self.call_rails, context, events, {
            "tool_name": offer.name, "tool_arguments": arguments,
            "user_message": f"{offer.name}({json.dumps(arguments, default=str)})"})
        if blocked:
            return _error(f"the call of `{offer.tool_name}` was blocked by the rail "
                          f"`{blocked}`", offer, arguments, status="blocked")
        confirmed = False
        if offer.needs_confirmation:
            confirmer = self.confirmer or ask_the_user
            answer = await confirmer(offer, arguments, context)
            if answer is None:
                self.dispatcher.check_permission(offer.name, "model", identity)  # recorded
                return _error(f"`{offer.tool_name}` changes or deletes data, so it needs the "
                              "user's confirmation, and confirmation cannot be asked here; "
                              "tell the user what you would do and let them confirm",
                              offer, arguments, status="needs_confirmation")
            if not answer:
                return _error(f"the user declined to run `{offer.tool_name}`", offer,
                              arguments, status="declined")
            confirmed = True
        self._call_number += 1
        return await _journaled(f"choose_action:run:{self._call_number}", self._execute,
                                offer, arguments, context, events, identity, confirmed)

    async def _execute(self, offer: Any, arguments: dict, context: Mapping[str, Any],
                       events: Optional[list], identity: Any, confirmed: bool) -> dict:
        import asyncio  # (not at import: start-up stays free of asyncio)

        started = time.perf_counter()
        try:
            outcome = await asyncio.wait_for(self.dispatcher.execute(
                offer.name, arguments, context=dict(context), events=events,
                injected=self.injected, remote=self.remote, caller="model",
                identity=identity, confirmed=confirmed), self.action_timeout)
        except asyncio.TimeoutError:
            return _error(f"`{offer.tool_name}` did not finish within "
                          f"{self.action_timeout:g}s", offer, arguments, status="timeout")
        duration = time.perf_counter() - started
        if not outcome.is_success:
            error = outcome.error
            log.warning("action '%s' chosen by the model failed: %r", offer.name, error)
            return _error(f"`{offer.tool_name}` failed: {type(error).__name__}: {error}"
                          if error is not None else f"`{offer.tool_name}` failed", offer,
                          arguments, status="failed")
        content = _as_text(outcome.return_value)
        blocked = await self._rails(self.result_rails, context, events, {
            "tool_name": offer.name, "tool_arguments": arguments,
            "tool_result": outcome.return_value, "bot_message": content})
        if blocked:
            return _error(f"the result of `{offer.tool_name}` was withheld by the rail "
                          f"`{blocked}`", offer, arguments, status="blocked")
        return {"action": offer.name, "arguments": arguments, "status": "success",
                "content": content, "duration": duration}

    async def _rails(self, names: tuple, context: Mapping[str, Any], events: Optional[list],
                     values: dict) -> Optional[str]:
        """The first rail (an action) that blocks, or None. A rail blocks by returning a falsy
        value (or one its `output_mapping` calls blocked), or by failing."""
        for name in names:
            # The values reach the rail as the parameters it names and in its `context`.
            spec = self.dispatcher.spec(name)
            wanted = spec.params if spec is not None and not spec.var_keyword else values
            outcome = await self.dispatcher.execute(
                name, {key: value for key, value in values.items() if key in wanted},
                context={**context, **values}, events=events, injected=self.injected,
                remote=self.remote)
            if not outcome.is_success:
                log.warning("tool rail '%s' failed, blocking: %r", name, outcome.error)
                return name
            blocked = outcome.blocked if outcome.blocked is not None else \
                not outcome.return_value
            if blocked:
                return name
        return None


def _error(message: str, offer: Any = None, arguments: Any = None,
           status: str = "error") -> dict:
    return {"action": offer.name if offer is not None and status != "error" else None,
            "arguments": arguments, "status": status, "content": f"Error: {message}"}


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, default=str)
        except (TypeError, ValueError):
            text = str(value)
    return text if len(text) <= RESULT_LIMIT else text[:RESULT_LIMIT] + " ...(truncated)"


async def _model_turn(llm, conversation, offers, native, instructions, final, step) -> dict:
    turn = await model_step(llm, conversation, offers, native=native,
                            instructions=instructions, final=final, step=step)
    return {"text": turn.text, "calls": turn.calls, "thought": turn.thought,
            "native": turn.native}


async def _journaled(name: str, fn: Any, *args: Any) -> Any:
    """`fn(*args)`, recorded in the interactive actions' journal when the turn has one: after
    a confirmation question ends the turn and its answer replays the choice, model steps and
    actions that already ran return their recorded results instead of running again."""
    try:
        from rails.interaction.context import current_run, step
    except ImportError:  # pragma: no cover - the interaction layer is part of the package
        current_run = step = None
    if current_run is None or current_run.get() is None:
        result = await fn(*args)
    else:
        result = await step(name, fn, *args)
    if isinstance(result, dict) and "calls" in result and "native" in result:
        return ModelTurn(**result)
    return result


async def ask_the_user(offer: Any, arguments: dict, context: Mapping[str, Any]) -> Any:
    """The interactive actions' confirmation question (the turn ends with it; the answer
    resumes the choice), or None when this turn cannot ask one."""
    try:
        from rails.interaction.context import ask, current_run
    except ImportError:  # pragma: no cover
        return None
    if current_run.get() is None:
        return None
    shown = json.dumps(arguments, default=str, ensure_ascii=False)
    answer = await ask.confirm(title=f"Run {offer.name}?",
                               message=f"The assistant wants to run {offer.name} "
                                       f"({offer.description}) with {shown}.")
    return bool(answer)
