"""The LLM generation actions the core flows call (spec §3.9, §3.13, §4.4, §6.6):
`generate_user_intent`, `generate_next_step`, `generate_bot_message`, `generate_value`,
`generate_intent_steps_message` and `retrieve_relevant_chunks`.

Without a model (none configured, none passed) a config still runs as long as its dialog
needs no generation: user intents come from the example index, bot messages from `define bot`
blocks; a step that really needs a model fails with `ModelRequiredError` saying what to add.
"""
from __future__ import annotations

import logging
import random
import re
import sys
from ast import literal_eval
from typing import Any, Callable, Optional, Sequence

from rails.actions import ActionResult, action
from rails.errors import ActionError
from rails.events import new_event_dict
from rails.llm.call import llm_call, streaming_handler
from rails.llm.completions import (EMPTY_MESSAGE, UNKNOWN_INTENT, bot_intent_from_line,
                                   multi_step_event, parse_intent_steps_message)
from rails.llm.history import last_event_of, retrieved_chunks_for_turn
from rails.llm.indexes import GenerationIndexes
from rails.llm.message_render import MessageRenderer
from rails.llm.passthrough import passthrough_prompt, split_passthrough
from rails.llm.retrieval import retrieval_result
from rails.llm.single_call import single_call_examples
from rails.llm.stream_filter import MESSAGE_PREFIXES, MessageTokenFilter
from rails.llm.text import (clean_utterance, first_nonempty_line, multiline_response,
                            strip_quotes)
from rails.llm.types import Task

log = logging.getLogger("rails.llm")

_ELLIPSIS_ASSIGNMENT = re.compile(r"=\s+\.\.\.")


class ModelRequiredError(ActionError):
    """A step needs an LLM, and none is configured."""


class LLMGenerationActions:
    """Holds the indexes and settings the generation actions share; its decorated methods are
    registered as actions (without override, so a user action of the same name wins)."""

    def __init__(self, config: Any, llm: Any = None, task_manager: Any = None,
                 search_registry: Optional[dict] = None, get_kb: Optional[Callable] = None,
                 system_flow_ids: Optional[set[str]] = None,
                 choose_variant: Optional[Callable[[Sequence[str]], str]] = None,
                 index_factory: Optional[Callable[[], Any]] = None,
                 llm_task_manager: Any = None, search_providers: Optional[dict] = None):
        self.config = config
        self.llm = llm
        self.llm_task_manager = task_manager or llm_task_manager
        if self.llm_task_manager is None:
            from rails.llm.taskmanager import LLMTaskManager

            self.llm_task_manager = LLMTaskManager(config)
        self.search_registry = search_registry if search_registry is not None else \
            (search_providers if search_providers is not None else {})
        self.get_kb = get_kb or (lambda: None)
        self.choose_variant = choose_variant or pick_variant
        # Answers general mode instead of the model's plain reply (tool_use.mode: fallback).
        self.general_responder = None
        self.indexes = GenerationIndexes(config, set(system_flow_ids or ()),
                                         index_factory or self._new_index)
        self.renderer = MessageRenderer()
        # Passthrough mode: when set, called as `await fn(context=..., events=...)` instead of
        # the LLM; returns the text, or (text, extra data for $passthrough_output).
        self.passthrough_fn: Optional[Callable] = None

    def _new_index(self) -> Any:
        from rails.index import create_search_provider

        settings = self.config.core.embedding_search_provider
        return create_search_provider(settings, self.search_registry)

    async def init(self) -> None:
        """Build the user-example, bot-message and flow indexes."""
        await self.indexes.build()

    # -- helpers ---------------------------------------------------------------------------

    @property
    def _dialog(self) -> Any:
        return self.config.rails.dialog

    def _deterministic(self) -> float:
        value = getattr(self.config, "lowest_temperature", None)
        return 0.001 if value is None else value

    @staticmethod
    def _request_llm_params(context: Optional[dict]) -> Optional[dict]:
        options = (context or {}).get("generation_options")
        if isinstance(options, dict):
            return options.get("llm_params") or None
        return getattr(options, "llm_params", None) or None

    async def _call(self, llm: Any, prompt: Any, task: Task, **settings: Any) -> str:
        return await llm_call(llm, prompt, task=task.value, **settings)

    async def _filtered_call(self, llm: Any, prompt: Any, task: Task, prefixes: tuple,
                             stop_at_line_end_quote: bool, **settings: Any) -> str:
        """A call whose streamed tokens (if a stream is listening) show only the words the
        engine will make of the completion, without labels and quotes."""
        handler = streaming_handler.get()
        if handler is None:
            return await self._call(llm, prompt, task, **settings)
        token_filter = MessageTokenFilter(handler, prefixes, stop_at_line_end_quote)
        token = streaming_handler.set(token_filter)
        try:
            output = await self._call(llm, prompt, task, **settings)
        finally:
            streaming_handler.reset(token)
        await token_filter.flush()
        return output

    def _parse(self, task: Task, output: str) -> Any:
        return self.llm_task_manager.parse_task_output(task, output=output)

    def _kb(self, kb: Any) -> Any:
        return kb if kb is not None else self.get_kb()

    @staticmethod
    async def _kb_chunks(kb: Any, text: str) -> list[str]:
        if kb is None:
            return []
        return [_chunk_body(chunk) for chunk in await kb.search_relevant_chunks(text)]

    def _require(self, llm: Any, what: str, hint: str, action_name: str) -> None:
        if llm is None:
            raise ModelRequiredError(f"this step needs an LLM: {what}; configure a main model "
                                     f"in config.yml (models: - type: main) or {hint}",
                                     action_name=action_name)

    # -- user intent -----------------------------------------------------------------------

    @action(is_system_action=True)
    async def generate_user_intent(self, events: list[dict], context: Optional[dict] = None,
                                   config: Any = None, llm: Any = None,
                                   kb: Any = None) -> ActionResult:
        """The canonical form of the last user message (or, in general mode, the bot's answer
        as a BotMessage)."""
        if self._dialog.single_call.enabled:
            return await self.generate_intent_steps_message(events=events, llm=llm, kb=kb)
        event = _require_event(events, "UserMessage", "generate_user_intent")
        llm = llm or self.llm
        if not self.config.user_messages:
            return await self._general_response(event, events, context or {}, llm, kb)

        settings = self._dialog.user_messages
        text = event["text"]
        index = self.indexes.user_messages
        if settings.embeddings_only or llm is None:
            # No threshold set: the best match decides, as in the reference.
            threshold = settings.embeddings_only_similarity_threshold
            hits = await index.search(text, max_results=5) if index is not None else []
            good = [hit for hit in hits if threshold is None or _score(hit) >= threshold]
            if good:
                return _intent_result(good[0].meta["intent"])
            if settings.embeddings_only_fallback_intent:
                return _intent_result(settings.embeddings_only_fallback_intent)
            if llm is None:
                return _intent_result(UNKNOWN_INTENT)

        examples, potential = "", []
        if index is not None:
            hits = await index.search(text, max_results=5)
            for hit in reversed(hits):  # the most relevant example goes last
                intent = hit.meta["intent"]
                examples += f'user "{hit.text}"\n  {intent}\n\n'
                if intent not in potential:
                    potential.append(intent)
        prompt = self.llm_task_manager.render_task_prompt(
            Task.GENERATE_USER_INTENT, events=events,
            context={"examples": examples, "potential_user_intents": ", ".join(potential)})
        output = await self._call(llm, prompt, Task.GENERATE_USER_INTENT,
                                  temperature=self._deterministic())
        intent = first_nonempty_line(self._parse(Task.GENERATE_USER_INTENT, output))
        if not intent:
            intent = UNKNOWN_INTENT
        elif intent.startswith("user "):
            intent = intent[5:]
        return _intent_result(intent)

    async def _general_response(self, event: dict, events: list[dict], context: dict,
                                llm: Any, kb: Any) -> ActionResult:
        """General mode (no user messages defined): answer the user directly."""
        out: list[dict] = []
        llm_params = self._request_llm_params(context)
        if self.general_responder is not None:  # tool_use.mode: fallback
            text = await self.general_responder(events=events, context=context)
        elif self.config.passthrough:
            if self.passthrough_fn is not None:
                text, extra = split_passthrough(
                    await self.passthrough_fn(context=context, events=events))
                out.append(new_event_dict("ContextUpdate", data={"passthrough_output": extra}))
            else:
                self._require(llm, "passthrough mode sends the user's message to the model",
                              "register a passthrough function", "generate_user_intent")
                from rails.llm.tool_passthrough import checked_tool_results, passthrough_answer

                prompt = checked_tool_results(passthrough_prompt(event["text"]), context)
                text, calls = await passthrough_answer(self.config, llm, prompt, llm_params,
                                                       Task.GENERAL.value)
                if calls:  # back to the caller, after the tool output rails
                    out.append(new_event_dict("BotToolCalls", tool_calls=calls, text=text))
                    return ActionResult(events=out)
        else:
            self._require(llm, "with no `define user` examples every answer comes from the "
                          "model (general mode)", "define user messages and flows",
                          "generate_user_intent")
            chunks = await self._kb_chunks(self._kb(kb), event["text"])
            prompt = self.llm_task_manager.render_task_prompt(
                Task.GENERAL, events=events, context={"relevant_chunks": "\n".join(chunks)})
            text = (await self._filtered_call(
                llm, prompt, Task.GENERAL, ('"',), False, stop=["User:"],
                llm_params=llm_params)).strip()
            if text.startswith('"'):
                text = text[1:-1]
        out.append(new_event_dict("BotMessage", text=text))
        return ActionResult(events=out)

    # -- next step -------------------------------------------------------------------------

    @action(is_system_action=True)
    async def generate_next_step(self, events: list[dict], llm: Any = None) -> ActionResult:
        """The bot intent that follows the last user intent, when no flow decides it."""
        event = last_event_of(events, "UserIntent", "BotIntent")
        if event is None or event["type"] != "UserIntent":
            return ActionResult(return_value=None)
        if self._dialog.single_call.enabled:
            predicted = (event.get("additional_info") or {}).get("bot_intent_event")
            if predicted:
                return ActionResult(events=[new_event_dict("BotIntent",
                                                           intent=predicted["intent"])])
        llm = llm or self.llm
        user_intent = event["intent"]
        self._require(llm, f"no flow handles the user intent '{user_intent}', so the model "
                      "must choose the bot's reply", f"add a flow for 'user {user_intent}'",
                      "generate_next_step")
        flows = await self.indexes.search_flows(user_intent, max_results=5)
        examples = "".join(f"{source}\n\n" for source in reversed(flows))
        prompt = self.llm_task_manager.render_task_prompt(
            Task.GENERATE_NEXT_STEPS, events=events, context={"examples": examples})
        output = await self._call(llm, prompt, Task.GENERATE_NEXT_STEPS,
                                  temperature=self._deterministic())
        output = self._parse(Task.GENERATE_NEXT_STEPS, output)
        if getattr(self.config, "enable_multi_step_generation", False):
            return ActionResult(events=[multi_step_event(output)])
        return ActionResult(events=[new_event_dict("BotIntent",
                                                   intent=bot_intent_from_line(output))])

    # -- bot message -----------------------------------------------------------------------

    @action(is_system_action=True)
    async def generate_bot_message(self, events: list[dict], context: Optional[dict] = None,
                                   llm: Any = None) -> ActionResult:
        """The text for the last bot intent: a predefined message, a variable's value, or
        the model's answer."""
        context = context or {}
        intent = _require_event(events, "BotIntent", "generate_bot_message")["intent"]
        if not isinstance(intent, str):
            raise ActionError(f"the bot intent {intent!r} is not a name; write `bot <name>` and "
                              "define the message with `define bot <name>`",
                              action_name="generate_bot_message")
        updates: dict[str, Any] = {}
        variants = (self.config.bot_messages or {}).get(intent)
        if variants:
            text = self.renderer.render(self.choose_variant(list(variants)), context)
            updates["skip_output_rails"] = True
        elif intent.startswith("$") and intent[1:] in context:
            value = context[intent[1:]]
            text = value if isinstance(value, str) or value is None else str(value)
        else:
            reused = self._single_call_message(events, intent)
            if reused is not None:
                return ActionResult(events=[reused])
            text, prompt, extra = await self._generated_message(events, context, intent,
                                                                llm or self.llm)
            if extra is not _NOTHING:
                updates["passthrough_output"] = extra
            updates["_last_bot_prompt"] = prompt
        text = clean_utterance(text) if text else EMPTY_MESSAGE
        return ActionResult(events=[new_event_dict("BotMessage", text=text)],
                            context_updates=updates)

    def _single_call_message(self, events: list[dict], intent: str) -> Optional[dict]:
        """In single-call mode, the message predicted with the user intent, if the bot intent
        it was predicted for is the one to express now."""
        if not self._dialog.single_call.enabled:
            return None
        user_intent = last_event_of(events, "UserIntent")
        info = (user_intent or {}).get("additional_info") or {}
        predicted_intent = (info.get("bot_intent_event") or {}).get("intent")
        message = info.get("bot_message_event")
        if message and predicted_intent == intent:
            return new_event_dict("BotMessage", text=message["text"])
        return None

    async def _generated_message(self, events, context, intent, llm) -> tuple:
        llm_params = self._request_llm_params(context)
        if self.config.passthrough:
            if self.passthrough_fn is not None:
                text, extra = split_passthrough(
                    await self.passthrough_fn(context=context, events=events))
                return text, None, extra
            self._require(llm, "passthrough mode sends the user's message to the model",
                          "register a passthrough function", "generate_bot_message")
            prompt = context.get("user_message")
            text = await self._call(llm, prompt, Task.GENERATE_BOT_MESSAGE,
                                    llm_params=llm_params)
            return text, prompt, _NOTHING
        self._require(llm, f"the bot message '{intent}' has no predefined text",
                      f"predefine the bot message '{intent}' (define bot {intent})",
                      "generate_bot_message")
        examples = ""
        index = self.indexes.bot_messages
        if self.config.user_messages and index is not None:
            for hit in reversed(await index.search(intent, max_results=5)):
                examples += f'bot {hit.text}\n  "{hit.meta["text"]}"\n\n'
        prompt = self.llm_task_manager.render_task_prompt(
            Task.GENERATE_BOT_MESSAGE, events=events,
            context={"examples": examples, "relevant_chunks": retrieved_chunks_for_turn(events)})
        output = await self._filtered_call(llm, prompt, Task.GENERATE_BOT_MESSAGE,
                                           MESSAGE_PREFIXES, True, llm_params=llm_params)
        output = self._parse(Task.GENERATE_BOT_MESSAGE, output)
        return strip_quotes(multiline_response(output)), prompt, _NOTHING

    # -- values ----------------------------------------------------------------------------

    @action(is_system_action=True)
    async def generate_value(self, instructions: str, events: list[dict],
                             var_name: Optional[str] = None, llm: Any = None) -> Any:
        """A value for `$var = ...`: the model answers with a Python literal."""
        last = events[-1] if events else {}
        if not var_name:
            var_name = last.get("action_result_key")
        if not var_name:
            raise ActionError("generate_value needs a variable name: use it as `$name = "
                              "...` or pass var_name", action_name="generate_value")
        llm = llm or self.llm
        self._require(llm, f"the value of ${var_name} is left to the model ({instructions!r})",
                      f"set ${var_name} in the flow", "generate_value")
        examples = ""
        for source in reversed(await self.indexes.search_flows(f"${var_name} = ", 5)):
            if not _ELLIPSIS_ASSIGNMENT.search(source):
                examples += f"{source}\n\n"
        prompt = self.llm_task_manager.render_task_prompt(
            Task.GENERATE_VALUE, events=events,
            context={"examples": examples, "instructions": instructions, "var_name": var_name})
        output = await self._call(llm, prompt, Task.GENERATE_VALUE,
                                  temperature=self._deterministic())
        output = self._parse(Task.GENERATE_VALUE, output)
        value = output.strip().split("\n")[0]
        if value.endswith(";"):
            value = value[:-1]
        try:
            return literal_eval(value)
        except (ValueError, SyntaxError) as error:
            raise ActionError(f"generate_value: the model's answer for ${var_name} is not a "
                              f"Python literal (a quoted string, number, list...): {value!r}",
                              action_name="generate_value") from error

    # -- single call -----------------------------------------------------------------------

    @action(is_system_action=True)
    async def generate_intent_steps_message(self, events: list[dict], llm: Any = None,
                                            kb: Any = None) -> ActionResult:
        """User intent, bot intent and bot message from one model call (single-call mode)."""
        event = _require_event(events, "UserMessage", "generate_intent_steps_message")
        llm = llm or self.llm
        if not self.config.user_messages:
            self._require(llm, "with no `define user` examples every answer comes from the "
                          "model", "define user messages and flows",
                          "generate_intent_steps_message")
            prompt = self.llm_task_manager.render_task_prompt(Task.GENERAL, events=events)
            text = (await self._call(llm, prompt, Task.GENERAL)).strip()
            if text.startswith('"'):
                text = text[1:-1]
            return ActionResult(events=[new_event_dict("BotMessage", text=text)])
        self._require(llm, "single-call mode asks the model for intent and answer at once",
                      "disable rails.dialog.single_call", "generate_intent_steps_message")

        examples, potential = await single_call_examples(self.indexes, event["text"])
        chunks = "\n".join(await self._kb_chunks(self._kb(kb), event["text"])).strip()
        prompt = self.llm_task_manager.render_task_prompt(
            Task.GENERATE_INTENT_STEPS_MESSAGE, events=events,
            context={"examples": "\n\n".join(reversed(examples)),
                     "potential_user_intents": ", ".join(potential),
                     "relevant_chunks": chunks})
        output = await self._call(llm, prompt, Task.GENERATE_INTENT_STEPS_MESSAGE,
                                  temperature=self._deterministic())
        output = self._parse(Task.GENERATE_INTENT_STEPS_MESSAGE, output)
        user_intent, bot_intent, message = parse_intent_steps_message(output)
        info = {"bot_intent_event": new_event_dict("BotIntent", intent=bot_intent),
                "bot_message_event": new_event_dict("BotMessage", text=message)}
        return ActionResult(events=[new_event_dict("UserIntent", intent=user_intent,
                                                   additional_info=info)])

    # -- retrieval -------------------------------------------------------------------------

    @action(is_system_action=True)
    async def retrieve_relevant_chunks(self, context: Optional[dict] = None,
                                       kb: Any = None) -> ActionResult:
        """Knowledge-base chunks for the last user message, into `$relevant_chunks`."""
        context = context or {}
        kb = self._kb(kb)
        user_message = context.get("last_user_message")
        if not user_message or kb is None:
            return retrieval_result(context, None)
        return retrieval_result(context, await self._kb_chunks(kb, user_message))


def pick_variant(variants: Sequence[str]) -> str:
    """A random variant of a bot message, as the reference picks; under pytest always the first,
    as the reference does too, so users' test suites written against it stay predictable."""
    if "pytest" in sys.modules:
        return variants[0]
    return random.choice(variants)


_NOTHING = object()


def _score(hit: Any) -> float:
    score = (hit.meta or {}).get("score")
    return float(score) if score is not None else 0.0


def _intent_result(intent: str) -> ActionResult:
    return ActionResult(events=[new_event_dict("UserIntent", intent=intent)])


def _require_event(events: list[dict], kind: str, action_name: str) -> dict:
    event = last_event_of(events or [], kind)
    if event is None:
        raise ActionError(f"{action_name} needs a {kind} event in the history, and there is "
                          "none", action_name=action_name)
    return event


def _chunk_body(chunk: Any) -> str:
    if isinstance(chunk, dict):
        return chunk.get("body", chunk.get("text", ""))
    meta = getattr(chunk, "meta", None) or {}
    return meta.get("body", getattr(chunk, "text", ""))
