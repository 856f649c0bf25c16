"""The HTTP side of interactive actions: clicking a button, answering a question, and reading
a thread with its live buttons and pending question.

- `POST /v1/threads/{thread_id}/clicks` `{"button_id"}`: the button's callback runs as the
  caller `button` for the user of the identity headers (`serve --trust-identity-headers`;
  otherwise anonymous); a refused click is a bot message saying why, the button stays live
- `POST /v1/threads/{thread_id}/answers` `{"interaction_id", "value"}` (or `"cancel": true`)
- `GET /v1/threads/{thread_id}` -> `{"id", "config_id", "messages", "buttons", "interaction"}`

Clicks and answers answer with a chat-completion body, like `/v1/chat/completions`, and the
bot message joins the thread. An `Idempotency-Key` header makes a retried request return the
first reply instead of an error. Records live in the store beside the thread store (the same
SQLite file or Redis), so any worker, and the server after a restart, can take the answer.
A background task resumes, every second, the actions whose questions timed out."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any, Optional

from rails.interaction import records
from rails.interaction.session import request_scope, thread_view
from rails.interaction.store import InteractionStore, store_beside
from rails.server.api_errors import ApiError, bad_request
from rails.server.identity import headers_identity
from rails.server.wire import THREAD_ID_MAX, THREAD_ID_MIN, completion_body, new_completion_id

log = logging.getLogger("rails.server")

SWEEP_INTERVAL_S = 1.0
_IDEMPOTENCY_KEY_MAX = 255


class InteractionRoutes:
    def __init__(self, registry: Any, threads: Any, completions: Any, max_body_bytes: int,
                 trust_identity_headers: bool = False):
        self.registry, self.threads, self.completions = registry, threads, completions
        self.max_body_bytes = max_body_bytes
        self.trust_identity_headers = trust_identity_headers  # (rails.server.identity)
        self.store: InteractionStore = store_beside(threads)
        completions.interaction_store = self.store
        self._sweeper: Optional[asyncio.Task] = None

    def routes(self) -> list:
        from starlette.routing import Route

        return [
            Route("/v1/threads/{thread_id}/clicks", self.click, methods=["POST"]),
            Route("/v1/threads/{thread_id}/answers", self.answer, methods=["POST"]),
            Route("/v1/threads/{thread_id}", self.show, methods=["GET"]),
        ]

    # -- endpoints ---------------------------------------------------------------------------

    async def click(self, request: Any) -> Any:
        thread_id = _thread_id(request)
        body = await self._body(request)
        button_id = body.get("button_id")
        if not isinstance(button_id, str) or not button_id:
            raise bad_request("`button_id` must be the id of a button (a non-empty string)",
                              param="button_id", code="missing_field")
        key = _idempotency_key(request)
        kept = await records.stored_reply(self.store, f"click:{button_id}", key)
        if kept is not None:
            return _json(kept["body"])
        async with self._thread(thread_id) as history:
            record = await self.store.get(f"button:{button_id}")
            ids = await self._config_ids(thread_id, record)
            rails = await self.registry.get(ids)
            identity = headers_identity(request.headers, self.trust_identity_headers)
            with self._scope(thread_id, ids, identity), _interaction_errors():
                message = await rails.click_async(button_id, thread_id=thread_id,
                                                  messages=history)
            body = await self._reply(thread_id, ids, message)
        await records.keep_reply(self.store, f"click:{button_id}", key, {"body": body},
                                 _retention(rails))
        return _json(body)

    async def answer(self, request: Any) -> Any:
        thread_id = _thread_id(request)
        body = await self._body(request)
        interaction_id = body.get("interaction_id")
        if not isinstance(interaction_id, str) or not interaction_id:
            raise bad_request("`interaction_id` must be the id of a question (a non-empty "
                              "string)", param="interaction_id", code="missing_field")
        cancel = body.get("cancel", False)
        if not isinstance(cancel, bool):
            raise bad_request("`cancel` must be true or false", param="cancel")
        if "value" not in body and not cancel:
            raise bad_request("`value` is required (or `cancel: true`)", param="value",
                              code="missing_field")
        key = _idempotency_key(request)
        kept = await records.stored_reply(self.store, f"answer:{interaction_id}", key)
        if kept is not None:
            return _json(kept["body"])
        async with self._thread(thread_id):
            record = await self.store.get(f"question:{interaction_id}")
            ids = await self._config_ids(thread_id, record)
            rails = await self.registry.get(ids)
            with self._scope(thread_id, ids), _interaction_errors():
                message = await rails.answer_async(interaction_id, body.get("value"),
                                                   cancel=cancel, thread_id=thread_id)
            reply = await self._reply(thread_id, ids, message)
        await records.keep_reply(self.store, f"answer:{interaction_id}", key, {"body": reply},
                                 _retention(rails))
        return _json(reply)

    async def show(self, request: Any) -> Any:
        thread_id = _thread_id(request)
        if self.threads is None:
            raise ApiError(400, "this server keeps no threads", code="threads_disabled")
        messages = await self.threads.get(thread_id)
        meta = await self.store.get(f"thread_meta:{thread_id}")
        if not messages and meta is None:
            raise ApiError(404, f"no thread {thread_id!r}", type="not_found",
                           code="thread_not_found", param="thread_id")
        ids = (meta or {}).get("config_ids")
        view = await thread_view(self.store, thread_id)
        return _json({"id": thread_id, "config_id": "+".join(ids) if ids else None,
                      "messages": messages, **view})

    # -- helpers -----------------------------------------------------------------------------

    async def _body(self, request: Any) -> dict:
        from rails.server.app import _json_body

        body = await _json_body(request, self.max_body_bytes)
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object", code="invalid_body")
        return body

    @contextlib.asynccontextmanager
    async def _thread(self, thread_id: str):
        if self.threads is None:
            raise ApiError(400, "this server keeps no threads, so buttons and questions "
                           "cannot be answered", code="threads_disabled")
        async with self.completions._locks.get(thread_id):
            with self.completions._store_errors():
                history = await self.threads.get(thread_id)
            yield history

    async def _config_ids(self, thread_id: str, record: Optional[dict]) -> Optional[list]:
        ids = (record or {}).get("config_ids")
        if not ids:
            meta = await self.store.get(f"thread_meta:{thread_id}")
            ids = (meta or {}).get("config_ids")
        return self.registry.resolve(ids, None) if ids else self.registry.resolve(None, None)

    def _scope(self, thread_id: str, ids: list, identity: Any = None):
        return request_scope(self.store, thread_id, None, ids, identity=identity)

    async def _reply(self, thread_id: str, ids: list, message: dict) -> dict:
        with self.completions._store_errors():
            await self.threads.append(thread_id, [message])
        body = completion_body(new_completion_id(), "+".join(ids), message, "stop",
                               {"prompt_tokens": 0, "completion_tokens": 0,
                                "total_tokens": 0})
        body["messages"] = [message]
        body["thread_id"] = thread_id
        return body

    # -- timeouts ----------------------------------------------------------------------------

    def start(self) -> None:
        if self._sweeper is None:
            self._sweeper = asyncio.ensure_future(self._sweep_forever())

    async def stop(self) -> None:
        task, self._sweeper = self._sweeper, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        await self.store.close()

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            try:
                await self.sweep()
            except Exception:  # a failing store must not end the sweeps
                log.exception("resuming timed-out questions failed")

    async def sweep(self) -> int:
        """Resumes the actions of questions past their timeout (each gets TIMED_OUT); the
        bot message that follows joins the question's thread."""
        count = 0
        for question_id in await records.due_questions(self.store, time.time()):
            question = await self.store.get(f"question:{question_id}")
            if question is None or question.get("status") != "pending":
                await self.store.index_remove(records.PENDING_INDEX, question_id)
                continue
            thread_id = question.get("thread_id")
            ids = await self._config_ids(thread_id, question)
            rails = await self.registry.get(ids)
            with self._scope(thread_id, ids):
                if thread_id is None or self.threads is None:
                    message = await rails._interactions.expire(question)
                else:
                    async with self.completions._locks.get(thread_id):
                        message = await rails._interactions.expire(question)
                        if message is not None:
                            await self.threads.append(thread_id, [message])
            count += message is not None
        return count


def _thread_id(request: Any) -> str:
    thread_id = request.path_params["thread_id"]
    if not THREAD_ID_MIN <= len(thread_id) <= THREAD_ID_MAX:
        raise bad_request(f"a thread id has {THREAD_ID_MIN} to {THREAD_ID_MAX} characters",
                          param="thread_id")
    return thread_id


def _idempotency_key(request: Any) -> Optional[str]:
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= _IDEMPOTENCY_KEY_MAX:
        raise bad_request(f"the Idempotency-Key header must have 1 to {_IDEMPOTENCY_KEY_MAX} "
                          "characters", param="Idempotency-Key")
    return key


def _retention(rails: Any) -> float:
    return rails._interactions.settings.retention


def _json(body: dict) -> Any:
    from starlette.responses import Response

    return Response(json.dumps(body, default=_plain), media_type="application/json")


def _plain(value: Any) -> Any:
    from rails.interaction.questions import NoAnswer

    return None if isinstance(value, NoAnswer) else str(value)


@contextlib.contextmanager
def _interaction_errors():
    from rails.errors import InteractionError
    from rails.server.completions import _engine_errors

    with _engine_errors():
        try:
            yield
        except InteractionError as error:
            raise ApiError(error.status, str(error), param=error.param, code=error.code,
                           type="not_found" if error.status == 404
                           else "invalid_request_error") from error
