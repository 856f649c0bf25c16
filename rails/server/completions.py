"""`POST /v1/chat/completions`: runs one turn of the selected rails config, whole or streamed,
with the conversation history taken from and saved to a thread when the request names one."""
from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time
from typing import Any, AsyncIterator, Optional

from rails.server.api_errors import ApiError
from rails.server.configs import ConfigRegistry
from rails.state.signing import StateSeal, signing_key
from rails.state.store import (ThreadConfigMismatch, ThreadConflict, ThreadLocks,
                               ThreadStore)
from rails.state.threads import ThreadTurn, ThreadTurns
from rails.server.wire import (ChatRequest, chunk_body, completion_body, new_completion_id,
                               usage_from_log)

log = logging.getLogger("rails.server")


class ChatCompletions:
    def __init__(self, registry: ConfigRegistry, threads: Optional[ThreadStore], *,
                 state_key: Optional[bytes] = None):
        self.registry = registry
        self.threads = threads
        self._locks = ThreadLocks()
        self.state_seal = StateSeal(state_key or signing_key(threads))
        # Set by the interaction routes: where buttons and questions are kept.
        self.interaction_store: Any = None

    @property
    def threads(self) -> Optional[ThreadStore]:
        return self._threads

    @threads.setter
    def threads(self, store: Optional[ThreadStore]) -> None:
        self._threads = store
        self._turns = ThreadTurns(store) if store is not None else None

    async def prepare(self, request: ChatRequest) -> tuple[Any, str]:
        """The loaded rails and the model name to answer with; raises ApiError first, before
        any streamed byte is sent."""
        ids = self.registry.resolve(request.config_ids, request.model)
        if request.thread_id is not None and self.threads is None:
            raise ApiError(400, "this server keeps no threads; send the whole conversation "
                           "instead of `thread_id`", param="thread_id", code="threads_disabled")
        rails = await self.registry.get(ids)
        if request.uses_tools is not None:
            from rails.server.tool_wire import refuse_without_passthrough

            refuse_without_passthrough(getattr(rails, "config", None), request.uses_tools,
                                       request.options.llm_params)
        model = "+".join(ids)  # the configs that answered, whatever selected them
        if request.stream and request.thread_id is not None:
            # A thread of another config is refused before the stream's headers go out (the
            # turn itself checks again, under the thread's lock).
            await self._begin(request, model)
            if request.uses_tools is not None:  # (a bad tool sequence too: checked there)
                await self._passthrough_prior(rails, request)
        return rails, model

    async def complete(self, request: ChatRequest) -> dict:
        rails, model = await self.prepare(request)
        options = request.options
        if not request.log_requested:
            # The log's stats give the token usage; the log itself is not returned. (These
            # options were parsed for this request alone: no copy needed.)
            options.log._usage = True
        if request.thread_id is not None:
            return await self._complete_on_thread(request, rails, model, options)
        state = None
        if request.state is not None:
            with _state_errors():
                state = self.state_seal.open(request.state, model) or {}
        thread_id = "auto-" + secrets.token_hex(16)
        result = await self._run(rails, model, request, request.messages, options, state,
                                 thread_id)
        bot_message = result.response[0]
        message, finish_reason = _visible_message(bot_message)
        if _is_interactive(message) and self.threads:
            # Buttons and questions are answered through a thread: the turn starts one (with
            # the messages only, as this turn kept no dialog state).
            request.thread_id = thread_id
            with self._store_errors():
                await self.threads.append(thread_id, request.messages + [message])
            await self._remember_config(thread_id, model)
        body = _completion(request, model, result, bot_message, message, finish_reason)
        if request.state is not None:
            body["state"] = self.state_seal.seal(model, result.state or {})
        return body

    async def _complete_on_thread(self, request: ChatRequest, rails: Any, model: str,
                                  options: Any) -> dict:
        async with self._locks.get(request.thread_id):
            turn = await self._begin(request, model)
            await self._remember_new_thread(turn, model)
            prior = await self._passthrough_prior(rails, request)
            with passthrough_scope(prior):
                result = await self._run(rails, model, request,
                                         turn.history + request.messages, options,
                                         turn.rails_state(), request.thread_id)
            bot_message = result.response[0]
            message, finish_reason = _visible_message(bot_message)
            # The thread keeps what the client saw, so it stays a valid conversation, and
            # the events and dialog state the next turn continues from.
            await self._commit(turn, request.messages + [message], result.state)
        return _completion(request, model, result, bot_message, message, finish_reason)

    async def _run(self, rails: Any, model: str, request: ChatRequest, messages: list[dict],
                   options: Any, state: Optional[dict], thread_id: str) -> Any:
        started = time.perf_counter()
        with _engine_errors(), self._interaction_scope(request, thread_id, model):
            result = await rails.generate_async(messages=messages, options=options,
                                                state=state)
        log.info("turn on %s took %.1f ms", model, (time.perf_counter() - started) * 1000)
        return result

    async def stream(self, request: ChatRequest, rails: Any, model: str) -> AsyncIterator[str]:
        """Server-sent events in OpenAI's chunk format, ending with `data: [DONE]`."""
        completion_id, created = new_completion_id(), int(time.time())

        def event(delta: dict, finish_reason: Optional[str] = None) -> str:
            return _sse(chunk_body(completion_id, model, created, delta, finish_reason))

        try:
            async with contextlib.AsyncExitStack() as stack:
                turn = None
                if request.thread_id is not None:
                    await stack.enter_async_context(self._locks.get(request.thread_id))
                    turn = await self._begin(request, model)
                    await self._remember_new_thread(turn, model)
                    stack.enter_context(passthrough_scope(
                        await self._passthrough_prior(rails, request)))
                yield event({"role": "assistant", "content": ""})
                pieces: list[str] = []
                closing: dict = {}
                results: list[Any] = []
                extra: dict = {} if turn is None else {"state": turn.rails_state()}
                if turn is not None or request.log_requested or request.options.output_vars \
                        or getattr(getattr(rails, "config", None), "passthrough", False):
                    # (only then: custom rails objects need not know the parameter)
                    extra["on_result"] = results.append
                with _engine_errors(), self._interaction_scope(
                        request, request.thread_id, model, stream=True):
                    async for piece in rails.stream_async(
                            messages=(turn.history if turn else []) + request.messages,
                            options=request.options, **extra):
                        if isinstance(piece, dict):  # a UI event (rails.interaction)
                            if piece.get("type") in ("buttons", "interaction"):
                                closing[piece["type"]] = piece.get("data")
                            yield _ui_sse(chunk_body(completion_id, model, created, {}), piece)
                            continue
                        error = getattr(piece, "error", None)
                        if isinstance(error, dict):
                            # An output rail stopped the streamed answer: the stream ends
                            # with NeMo's error as an SSE error event (the openai client
                            # raises it); the thread keeps no part of the blocked answer.
                            yield _sse(_blocked_body(error, piece, request))
                            return
                        pieces.append(piece)
                        yield event({"content": piece})
                calls = _tool_calls_of(results[0] if results else None)
                if calls:  # (after the text: the tool output rails let them by)
                    from rails.server.tool_wire import tool_call_deltas

                    text = results[0].response[0].get("content") or ""
                    if text and not pieces:
                        pieces.append(text)
                        yield event({"content": text})
                    for delta in tool_call_deltas(calls):
                        yield event(delta)
                    closing["tool_calls"] = calls
                if turn is not None and results:  # (no result: the turn did not end)
                    await self._commit(turn, request.messages + [
                        {"role": "assistant", "content": "".join(pieces)
                         or (None if calls else ""), **closing}],
                        results[0].state)
        except ApiError as error:
            # The headers are sent already: the error travels as an event, as OpenAI does.
            yield _sse(error.body())
            return
        yield _sse(_last_chunk(chunk_body(completion_id, model, created, {},
                                          "tool_calls" if calls else "stop"),
                               request, results[0] if results else None))
        yield "data: [DONE]\n\n"

    def _interaction_scope(self, request: ChatRequest, thread_id: Optional[str], model: str,
                           stream: bool = False):
        """Buttons and questions of the turn go to the server's interaction store, filed
        under the thread (streams only carry UI events when the request has a thread)."""
        if self.interaction_store is None:
            return contextlib.nullcontext()
        from rails.interaction.session import request_scope

        return request_scope(self.interaction_store, thread_id, request.user,
                             model.split("+"), stream_ui_events=stream,
                             new_thread=request.thread_id is None)

    async def _remember_config(self, thread_id: str, model: str) -> None:
        """Which config answers the thread's clicks and answers (and `GET /v1/threads/..`)."""
        if self.interaction_store is not None:
            with self._store_errors():
                await self.interaction_store.put(f"thread_meta:{thread_id}",
                                                 {"config_ids": model.split("+")})

    async def _remember_new_thread(self, turn: ThreadTurn, model: str) -> None:
        """A thread belongs to one config for good (another one is refused), so its config
        is filed once, as the thread starts: before its first turn runs, so the buttons and
        questions that turn makes find it."""
        if turn.version == 0:
            await self._remember_config(turn.thread_id, model)

    async def _passthrough_prior(self, rails: Any, request: ChatRequest) -> list[dict]:
        """A passthrough config's model sees the whole conversation: the thread's messages
        before the request's (and tool results must answer calls made there)."""
        if not getattr(getattr(rails, "config", None), "passthrough", False):
            return []
        with self._store_errors():
            prior = await self.threads.get(request.thread_id)
        if request.uses_tools is not None:
            from rails.server.tool_wire import check_sequence

            check_sequence(prior + request.messages, offset=len(prior))
        return prior

    async def _begin(self, request: ChatRequest, model: str) -> ThreadTurn:
        with self._store_errors():
            return await self._turns.begin(request.thread_id, model)

    async def _commit(self, turn: ThreadTurn, messages: list[dict], state: Any) -> None:
        with self._store_errors():
            await self._turns.commit(turn, messages, state or {})

    @contextlib.contextmanager
    def _store_errors(self):
        try:
            yield
        except ThreadConfigMismatch as error:
            raise ApiError(409, str(error), param="thread_id",
                           code="thread_config_mismatch") from error
        except ThreadConflict as error:
            log.warning("%s", error)
            raise ApiError(409, str(error), param="thread_id", code="thread_conflict") from error
        except Exception as error:
            log.exception("thread store failed")
            raise ApiError(503, f"the thread store ({self.threads.describe()}) failed: "
                           f"{type(error).__name__}: {error}", type="server_error",
                           code="thread_store_unavailable") from error


@contextlib.contextmanager
def _state_errors():
    from rails.errors import StateError

    try:
        yield
    except ThreadConfigMismatch as error:
        raise ApiError(409, str(error), param="state", code="state_config_mismatch") from error
    except StateError as error:
        raise ApiError(400, str(error), param="state", code="invalid_state") from error


def _visible_message(bot_message: dict) -> tuple[dict, str]:
    """The OpenAI message and finish reason for the rails' answer. When a rail raised
    (enable_rails_exceptions), clients get a filtered answer whose text is the exception's
    message; the raw event stays in the NeMo-style `messages` field."""
    if bot_message.get("tool_calls"):  # passthrough mode: the caller runs them
        from rails.server.tool_wire import visible_tool_message

        return visible_tool_message(bot_message), "tool_calls"
    if bot_message.get("role") != "exception":
        return bot_message, "stop"
    event = bot_message.get("content") or {}
    text = event.get("message") if isinstance(event, dict) else None
    return ({"role": "assistant", "content": text or json.dumps(event, default=str)},
            "content_filter")


def _completion(request: ChatRequest, model: str, result: Any, bot_message: dict,
                message: dict, finish_reason: str) -> dict:
    body = completion_body(new_completion_id(), model, message, finish_reason,
                           usage_from_log(result.log))
    body["messages"] = [bot_message]  # NeMo Guardrails' server field
    if request.thread_id is not None:
        body["thread_id"] = request.thread_id
    if result.log is not None:
        if request.log_requested:
            body["log"] = result.log.model_dump(mode="json")
        elif result.log.errors:
            body["log"] = {"errors": [{"type": error.type, "message": error.message}
                                      for error in result.log.errors]}
    for name in ("output_data", "llm_output"):
        value = getattr(result, name, None)
        if value is not None:
            body[name] = value
    return body


@contextlib.contextmanager
def _engine_errors():
    """Maps what the engine raises to HTTP errors that name the cause."""
    from rails.errors import ConfigError, LLMCallError, RailsError

    try:
        yield
    except ApiError:
        raise
    except ConfigError as error:  # the server's config is at fault, not the request
        log.error("configuration error: %s", error)
        raise ApiError(500, str(error), type="rails_error", code="config_error") from error
    except ValueError as error:
        raise ApiError(400, str(error), code="invalid_value") from error
    except LLMCallError as error:
        log.warning("model call failed: %s", error)
        raise ApiError(502, f"the model call failed: {error}", type="upstream_error",
                       code="llm_call_failed") from error
    except RailsError as error:
        log.exception("rails error")
        raise ApiError(500, f"{type(error).__name__}: {error}", type="rails_error",
                       code=type(error).__name__) from error
    except Exception as error:
        log.exception("unexpected error while generating")
        raise ApiError(500, f"internal error: {type(error).__name__}: {error}",
                       type="internal_error", code="internal_error") from error


@contextlib.contextmanager
def passthrough_scope(prior: list[dict]):
    if not prior:
        yield
        return
    from rails.llm.passthrough import prior_messages

    token = prior_messages.set(tuple(prior))
    try:
        yield
    finally:
        prior_messages.reset(token)


def _tool_calls_of(result: Any) -> Optional[list]:
    response = getattr(result, "response", None)
    if isinstance(response, list) and response and isinstance(response[0], dict):
        return response[0].get("tool_calls") or None
    return None


def _sse(data: dict) -> str:
    return f"data: {json.dumps(data, default=str)}\n\n"


def _last_chunk(chunk: dict, request: ChatRequest, result: Any) -> dict:
    """What a whole answer carries besides the message (the rails log, output_data), on the
    stream's last chunk as extra fields, which OpenAI's clients keep on the chunk object."""
    if result is None:
        return chunk
    if request.log_requested and getattr(result, "log", None) is not None:
        chunk["log"] = result.log.model_dump(mode="json")
    if getattr(result, "output_data", None) is not None:
        chunk["output_data"] = result.output_data
    return chunk


def _blocked_body(error: dict, chunk: Any, request: ChatRequest) -> dict:
    """The error event of a blocked stream; with `activated_rails` asked for, its log holds
    the window checks up to the one that blocked (the turn ended there)."""
    checks = getattr(chunk, "checks", None)
    if not (checks and request.options.log.activated_rails):
        return {"error": error}
    return {"error": error, "log": {
        "activated_rails": [rail.model_dump(mode="json") for check in checks
                            for rail in check.activated_rails],
        "stream_checks": [check.model_dump(mode="json") for check in checks]}}


def _ui_sse(chunk: dict, event: dict) -> str:
    """A UI event as a named SSE event. Its data is also an empty chunk (no choice delta), so
    OpenAI clients that do not look at event names see nothing new."""
    return (f"event: rails.ui\ndata: "
            f"{json.dumps({**chunk, 'type': event.get('type'), 'data': event.get('data')}, default=str)}\n\n")


def _is_interactive(message: dict) -> bool:
    return bool(message.get("buttons") or message.get("interaction"))
