"""`LLMRails.stream_async`: the bot's answer as an async iterator of text chunks.

Without output rails, the tokens of the bot-message LLM call go straight to the caller. With
output rails and `rails.output.streaming.enabled`, every piece of text the turn produces goes
through `rails.stream_checks` (window by window, while it streams) before or after it is sent.
With output rails and streaming off, each message arrives as one chunk once the output rails
let it through. A custom `generator` is streamed the same way (never around the rails), and
`include_metadata` yields `{"text", "generation_info"}` dicts instead of strings."""
from __future__ import annotations

import asyncio
import contextlib
from typing import Any, AsyncIterator, Optional

from rails.streaming_handler import StreamingHandler  # noqa: F401  (NeMo's import path)

# Actions whose LLM call produces the bot's words (the intent action does in general mode).
_MESSAGE_ACTIONS = frozenset({"generate_bot_message"})
_GENERAL_MODE_ACTIONS = frozenset({"generate_user_intent"})
_END = object()


class _TurnStream:
    """Observes a turn: its bot-message tokens and its utterances, as ("token" | "text" |
    "end", text) items for `sink` ("end": the streamed message is complete)."""

    def __init__(self, tokens_allowed: bool, general_mode: bool, sink):
        self.sink = sink
        self.tokens_allowed = tokens_allowed
        self.token_actions = _MESSAGE_ACTIONS | (_GENERAL_MODE_ACTIONS if general_mode else set())
        self.streamed = ""      # text already sent as tokens, awaiting its utterance event
        self.sent_messages = 0
        self.stream_checks = None  # the window checks, listed with the turn for explain()

    async def on_token(self, token: str) -> None:
        if self.sent_messages and not self.streamed:
            self.sink(("separator", "\n"))
        self.streamed += token
        self.sink(("token", token))

    def on_event(self, event: dict) -> None:
        if event["type"] != "StartUtteranceBotAction":
            return
        script = event["script"]
        if self.streamed and self.streamed.strip() == script.strip():
            self.sink(("end", ""))  # already delivered token by token
        else:
            if self.streamed:
                self.sink(("end", ""))
            self.sink(("text", ("\n" if self.sent_messages else "") + script))
        self.streamed = ""
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


def _output_rails_on(config: Any, options: Any) -> bool:
    if not config.rails.output.flows:
        return False
    if options is None:
        return True
    rails_options = options.get("rails", {}) if isinstance(options, dict) else options.rails
    if isinstance(rails_options, list):
        return "output" in rails_options
    enabled = (rails_options.get("output", True) if isinstance(rails_options, dict)
               else rails_options.output)
    return bool(enabled)


def _without_output_rails(options: Any) -> Any:
    """The turn's options with its own output rails off: the stream checks the text."""
    from rails.options import GenerationOptions

    if options is None:
        options = GenerationOptions()
    elif isinstance(options, dict):
        options = GenerationOptions(**options)
    else:
        options = options.model_copy(deep=True)
    options.rails.output = False
    return options


def _conversation(prompt: Optional[str], messages: Optional[list[dict]]) -> list[dict]:
    if prompt is not None:
        return [{"role": "user", "content": prompt}]
    return list(messages or [])


async def stream_turn(rails: Any, *, prompt=None, messages=None, options=None, state=None,
                      include_metadata: bool = False,
                      generator: Optional[AsyncIterator[Any]] = None,
                      ui_events: bool = False, thread_id=None,
                      on_result=None) -> AsyncIterator[Any]:
    from rails.stream_checks import Blocked, WindowChecker

    config = rails.config
    streaming = config.rails.output.streaming
    checked = _output_rails_on(config, options) and (streaming.enabled or generator is not None)
    out: asyncio.Queue = asyncio.Queue()

    def emit(chunk: Any) -> None:
        if include_metadata and isinstance(chunk, str):
            chunk = {"text": chunk, "generation_info": {}}
        elif not include_metadata and isinstance(chunk, dict):
            chunk = chunk.get("text") or ""
        if chunk:
            out.put_nowait(chunk)

    checker = None
    if checked:
        # With streaming off, a custom generator's text is checked whole, before it is sent.
        size = streaming.chunk_size if streaming.enabled else 1 << 30
        checker = WindowChecker(rails, _conversation(prompt, messages), size,
                                streaming.context_size if streaming.enabled else 0,
                                streaming.stream_first and streaming.enabled, emit)
    items: asyncio.Queue = asyncio.Queue()

    async def check_items() -> None:
        """The consumer: text from the turn (or generator) through the checker to `out`."""
        try:
            while True:
                item = await items.get()
                if item is _END:
                    await checker.end_of_message()
                    break
                kind, text, *chunk = item
                if kind == "token":
                    await checker.token(text, chunk[0] if chunk else None)
                elif kind == "separator":
                    await checker.end_of_message()
                    emit(text)
                else:  # "end" of a streamed message, or a whole "text" message
                    await checker.end_of_message()
                    if kind == "text":
                        await checker.token(text)
                        await checker.end_of_message()
        except Blocked as blocked:
            blocked.chunk.checks = list(checker.checks)
            out.put_nowait(blocked.chunk)
        except Exception as error:  # a failure of the checker itself: fail closed
            from rails.stream_checks import failed_error

            chunk = failed_error("output", f"{type(error).__name__}: {error}")
            chunk.checks = list(checker.checks)
            out.put_nowait(chunk)
        finally:
            out.put_nowait(_END)

    def sink(item: Any) -> None:
        if checker is not None:
            items.put_nowait(item)
        elif item[0] != "end":
            emit(item[1])

    on_ui_event = None
    if not ui_events and generator is None:
        from rails.interaction.session import streams_ui_events

        ui_events = streams_ui_events()  # the server asks for them this way
    if ui_events:
        from rails.interaction.ui_events import UIEvent

        def on_ui_event(event: dict) -> None:
            out.put_nowait(UIEvent(event))  # not text: no rail has to see it

    if generator is not None:
        if checker is not None:  # no turn runs: the stream's checks are what explain() shows
            rails._last_turn = ([], 0, [], [], checker.checks)
        producer = asyncio.ensure_future(_drain_generator(generator, sink))
    else:
        single_call = bool(config.rails.dialog.single_call.enabled)
        output_rails = _output_rails_on(config, options)
        stream = _TurnStream(tokens_allowed=(checked or not output_rails) and not single_call,
                             general_mode=not config.user_messages, sink=sink)
        turn_options = _without_output_rails(options) if checked else options
        if checker is not None:
            stream.stream_checks = checker.checks
        producer = asyncio.ensure_future(rails._generate_observed(
            stream, prompt=prompt, messages=messages, options=turn_options, state=state,
            thread_id=thread_id, on_ui_event=on_ui_event))
    consumer = None
    if checker is not None:
        producer.add_done_callback(lambda _: items.put_nowait(_END))
        consumer = asyncio.ensure_future(check_items())
    else:
        producer.add_done_callback(lambda _: out.put_nowait(_END))
    blocked = False
    try:
        while True:
            chunk = await out.get()
            if chunk is _END:
                break
            if type(chunk).__name__ == "StreamError":
                blocked = True
                _end_turn_record(rails, checker)
            yield chunk
            if blocked:
                break
        if not blocked:
            result = producer.result()  # re-raise a failure of the turn
            if ui_events and generator is None:
                for event in _closing_events(result):
                    yield event
            if on_result is not None and generator is None:
                on_result(_with_checks(result, checker, options))
    finally:
        for task in (producer, consumer):
            if task is not None and not task.done():
                task.cancel()


def _end_turn_record(rails: Any, checker: Any) -> None:
    """The stream was blocked, so its turn stops here: explain() shows the turn's events so
    far, not those its cancelled remainder might still add."""
    record = rails._last_turn
    if checker is not None and record is not None and record[4] is checker.checks \
            and record[1] is None:
        rails._last_turn = (record[0], len(record[0]), *record[2:])


def _with_checks(result: Any, checker: Any, options: Any) -> Any:
    """The turn's result with the window checks in its log, as a whole turn's log has its
    output rails: their activated rails (and `stream_checks`), LLM calls and figures."""
    log = getattr(result, "log", None)
    if checker is None or not checker.checks or log is None:
        return result
    from rails.option_parsing import coerce_options

    wanted = coerce_options(options).log
    checks = checker.checks
    calls = [call for check in checks for call in check.llm_calls]
    if wanted.activated_rails:
        log.activated_rails = log.activated_rails + [
            rail for check in checks for rail in check.activated_rails]
        log.stream_checks = list(checks)
    if wanted.llm_calls:
        log.llm_calls = (log.llm_calls or []) + calls
    log.errors = log.errors + [error for check in checks for error in check.errors]
    stats = log.stats
    stats.output_rails_duration = sum(check.duration or 0 for check in checks)
    stats.llm_calls_count = (stats.llm_calls_count or 0) + len(calls)
    stats.llm_calls_duration = (stats.llm_calls_duration or 0) + sum(
        call.duration or 0 for call in calls)
    for stat, field in (("llm_calls_total_prompt_tokens", "prompt_tokens"),
                        ("llm_calls_total_completion_tokens", "completion_tokens"),
                        ("llm_calls_total_tokens", "total_tokens")):
        setattr(stats, stat, (getattr(stats, stat) or 0) + sum(
            getattr(call, field) or 0 for call in calls))
    return result


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


async def _drain_generator(generator: AsyncIterator[Any], sink) -> None:
    async for chunk in generator:
        text = chunk.get("text", "") if isinstance(chunk, dict) else chunk
        if text is None:
            continue
        sink(("token", str(text), chunk))
    sink(("end", ""))
