"""`LLMRails.stream_async`: the bot's answer as an async iterator of text chunks.

Tokens of the bot-message LLM call go straight to the caller when no output rail has to see
the whole message first. Otherwise (and for predefined messages) each message arrives as one
chunk once it is final, that is once the output rails let it through."""
from __future__ import annotations

import asyncio
import contextlib
from typing import Any, AsyncIterator

from rails.streaming_handler import StreamingHandler  # noqa: F401  (NeMo's import path)

# Actions whose LLM call produces the bot's words (the intent action does in general mode).
_MESSAGE_ACTIONS = frozenset({"generate_bot_message"})
_GENERAL_MODE_ACTIONS = frozenset({"generate_user_intent"})
_END = object()


class _TurnStream:
    def __init__(self, tokens_allowed: bool, general_mode: bool):
        self.queue: asyncio.Queue = asyncio.Queue()
        self.tokens_allowed = tokens_allowed
        self.token_actions = _MESSAGE_ACTIONS | (_GENERAL_MODE_ACTIONS if general_mode else set())
        self.streamed = ""      # text already sent as tokens, awaiting its utterance event
        self.sent_messages = 0

    def push(self, text: str) -> None:
        if text:
            self.queue.put_nowait(text)

    async def on_token(self, token: str) -> None:
        if self.sent_messages and not self.streamed:
            self.push("\n")
        self.streamed += token
        self.push(token)

    def on_event(self, event: dict) -> None:
        if event["type"] != "StartUtteranceBotAction":
            return
        script = event["script"]
        if self.streamed and self.streamed.strip() == script.strip():
            self.streamed = ""  # already delivered token by token
        else:
            self.streamed = ""
            self.push(("\n" if self.sent_messages else "") + script)
        self.sent_messages += 1

    @contextlib.contextmanager
    def action_scope(self, action_name: str):
        if not (self.tokens_allowed and action_name in self.token_actions):
            yield
            return
        from rails.llm.call import streaming_handler

        token = streaming_handler.set(self.on_token)
        try:
            yield
        finally:
            streaming_handler.reset(token)


async def stream_turn(rails: Any, *, prompt=None, messages=None, options=None,
                      ui_events: bool = False, thread_id=None) -> AsyncIterator[Any]:
    config = rails.config
    output_rails = bool(config.rails.output.flows)
    if options is not None:
        rails_options = options["rails"] if isinstance(options, dict) else options.rails
        enabled = (rails_options.get("output", True) if isinstance(rails_options, dict)
                   else rails_options.output)
        output_rails = output_rails and bool(enabled)
    single_call = bool(config.rails.dialog.single_call.enabled)
    stream = _TurnStream(tokens_allowed=not output_rails and not single_call,
                         general_mode=not config.user_messages)

    on_ui_event = None
    if not ui_events:
        from rails.interaction.session import streams_ui_events

        ui_events = streams_ui_events()  # the server asks for them this way
    if ui_events:
        from rails.interaction.ui_events import UIEvent

        def on_ui_event(event: dict) -> None:
            stream.queue.put_nowait(UIEvent(event))

    task = asyncio.ensure_future(
        rails._generate_observed(stream, prompt=prompt, messages=messages, options=options,
                                 thread_id=thread_id, on_ui_event=on_ui_event))
    task.add_done_callback(lambda _: stream.queue.put_nowait(_END))
    try:
        while True:
            chunk = await stream.queue.get()
            if chunk is _END:
                break
            yield chunk
        result = task.result()  # re-raise a failure of the turn
        if ui_events:
            for event in _closing_events(result):
                yield event
    finally:
        if not task.done():
            task.cancel()


def _closing_events(result: Any) -> list:
    """The turn's buttons and pending question, as the last UI events of a stream."""
    from rails.interaction.ui_events import UIEvent

    message = result
    if not isinstance(message, dict):
        response = getattr(result, "response", None)
        message = response[0] if isinstance(response, list) and response else {}
    events = []
    if message.get("buttons"):
        events.append(UIEvent(type="buttons", data=message["buttons"]))
    if message.get("interaction"):
        events.append(UIEvent(type="interaction", data=message["interaction"]))
    return events
