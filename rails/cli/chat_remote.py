"""`dialog-rails chat --server-url URL`: the same chat loop, answered by a running server
(`dialog-rails serve`, or NeMo's) over HTTP instead of a config loaded here.

The CLI names one thread for the conversation, so each turn sends only the new message; the
server keeps the history (and the buttons and questions of interactive actions). Answers are
streamed (`stream: true`): text is printed as the server sends it and the `event: rails.ui`
events are shown as for a local config; a server that answers a stream request whole (one that
cannot stream) is read whole, one that streams bare text (NeMo's older servers) is printed as
it comes, and `--no-streaming` asks for whole answers."""
from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any, Optional

from rails.cli.chat import ChatSession
from rails.cli.chat_stream import StreamedAnswer, stream_error
from rails.cli.sse import is_event_stream, lines_of, sse_events
from rails.errors import RailsError

# The server's sweep resumes a timed-out question within about a second; wait a little longer.
_EXPIRY_GRACE_S = 5.0


class ChatServerError(RailsError):
    """The chat server could not be reached, or answered with an error."""


class RemoteChatSession(ChatSession):
    def __init__(self, server_url: str, config_id: Optional[str], token: Optional[str], *,
                 verbose: bool = False, streaming: bool = True, timeout_s: float = 120.0):
        super().__init__(None, verbose=verbose, streaming=streaming)
        import httpx

        self.server_url, self.config_id = server_url.rstrip("/"), config_id
        self.thread_id = "cli-" + secrets.token_hex(12)
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self._client = self._loop.run_until_complete(_make_client(httpx, headers, timeout_s))
        if verbose:
            print(f"chatting with {self.server_url} (config {config_id or 'default'}, "
                  f"thread {self.thread_id})", file=self.err)

    async def _post(self, path: str, body: dict) -> dict:
        import httpx

        url = self.server_url + path
        try:
            response = await self._client.post(url, json=body)
        except httpx.HTTPError as error:
            raise ChatServerError(f"cannot reach {url}: {error or type(error).__name__}") \
                from None
        return _json_body(response, url)

    def _message(self, body: dict) -> dict:
        try:
            message = dict(body["choices"][0]["message"])
        except (KeyError, IndexError, TypeError):
            messages = body.get("messages") if isinstance(body, dict) else None
            if not messages:  # NeMo's server answers {"messages": [...]}
                raise ChatServerError("the server's answer holds no message") from None
            message = dict(messages[0])
        message.setdefault("role", "assistant")
        for event in message.get("ui_events") or []:  # status, notifications: to stderr
            self._on_ui_event(event)
        self._print_answer(message)
        return message

    def _turn_body(self, messages: list[dict]) -> dict:
        body: dict[str, Any] = {"messages": [messages[-1]], "thread_id": self.thread_id}
        if self.config_id:
            body["model"] = body["config_id"] = self.config_id
        return body

    async def _generate(self, messages: list[dict]) -> dict:
        return self._message(await self._post("/v1/chat/completions", self._turn_body(messages)))

    async def _stream(self, messages: list[dict]) -> dict:
        import httpx

        url = self.server_url + "/v1/chat/completions"
        request = self._client.build_request(
            "POST", url, json={**self._turn_body(messages), "stream": True},
            headers={"accept": "text/event-stream"})
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as error:
            raise ChatServerError(f"cannot reach {url}: {error or type(error).__name__}") \
                from None
        try:
            if response.status_code >= 400 or response.headers.get(
                    "content-type", "").startswith("application/json"):
                # An error, or a server that cannot stream answering whole: one JSON body.
                # (NeMo's older servers stream bare text, with no content type at all.)
                await _read_body(response, url)
                return self._message(_json_body(response, url))
            return await self._read_stream(response, url)
        finally:
            await response.aclose()  # also when cancelled: the server stops the turn

    async def _read_stream(self, response: Any, url: str) -> dict:
        import httpx

        answer = StreamedAnswer(self.out, self._on_ui_event)
        finished = False
        try:
            chunks = response.aiter_text()
            opening = await _opening(chunks)
            text = _joined(opening, chunks)
            if opening and not is_event_stream(opening):  # NeMo's older servers: bare text
                async for piece in text:
                    answer.text(piece)
                finished = True
                return answer.message()
            async for event, data in sse_events(lines_of(text)):
                if data == "[DONE]":
                    finished = True
                    return answer.message()
                chunk = _event_json(data, url)
                if event == "rails.ui":
                    answer.ui_event({"type": chunk.get("type"), "data": chunk.get("data")})
                elif "error" in chunk:  # a rail blocked the answer, or the turn failed
                    error = chunk["error"]
                    raise stream_error(error if isinstance(error, dict)
                                       else {"message": str(error)})
                else:
                    for choice in chunk.get("choices") or []:
                        delta = choice.get("delta") if isinstance(choice, dict) else None
                        if isinstance(delta, dict) and isinstance(delta.get("content"), str):
                            answer.text(delta["content"])
        except httpx.HTTPError as error:
            raise ChatServerError(f"the connection to {url} broke before the answer ended: "
                                  f"{error or type(error).__name__}") from None
        finally:
            answer.close(finished)
        raise ChatServerError(f"{url} ended the stream before the answer did (no [DONE])")

    async def _click(self, button: dict) -> dict:
        return self._message(await self._post(
            f"/v1/threads/{self.thread_id}/clicks", {"button_id": button["id"]}))

    async def _answer(self, question: dict, value: Any) -> dict:
        body = ({"interaction_id": question["id"], "cancel": True} if value is None
                else {"interaction_id": question["id"], "value": value})
        return self._message(await self._post(f"/v1/threads/{self.thread_id}/answers", body))

    async def _expire(self, question: dict, deadline: float) -> dict:
        """The server resumes the action itself when the question times out; wait for the
        message that follows to join the thread."""
        import httpx

        url = f"{self.server_url}/v1/threads/{self.thread_id}"
        seen = len(self.history)
        give_up = time.monotonic() + _EXPIRY_GRACE_S + float(question.get("timeout_s") or 0)
        while time.monotonic() < give_up:
            try:
                response = await self._client.get(url)
                messages = []
                if response.status_code == 200:
                    messages = response.json().get("messages") or []
            except (httpx.HTTPError, ValueError):
                messages = []
            if len(messages) > seen and messages[-1].get("role") == "assistant":
                self.history = messages[:-1]
                self._print_answer(messages[-1])
                return messages[-1]
            await asyncio.sleep(0.25)
        raise ChatServerError("the server did not resume the action after its timeout")

    def _turn_errors(self) -> list[str]:
        return []  # the server reports failures in its answer

    def close(self) -> None:
        try:
            self._loop.run_until_complete(self._client.aclose())
        finally:
            self._loop.close()


async def _make_client(httpx: Any, headers: dict, timeout_s: float) -> Any:
    return httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(timeout_s, connect=5.0))


async def _opening(chunks: Any) -> str:
    """The stream's first text, enough of it to tell SSE fields from bare text."""
    opening = ""
    while len(opening) < 6 and "\n" not in opening:
        try:
            opening += await chunks.__anext__()
        except StopAsyncIteration:
            break
    return opening


async def _joined(opening: str, chunks: Any) -> Any:
    if opening:
        yield opening
    async for chunk in chunks:
        yield chunk


async def _read_body(response: Any, url: str) -> None:
    import httpx

    try:
        await response.aread()
    except httpx.HTTPError as error:
        raise ChatServerError(f"the connection to {url} broke before the answer ended: "
                              f"{error or type(error).__name__}") from None


def _json_body(response: Any, url: str) -> dict:
    """The body of a whole answer; an error status names the server's message."""
    if response.status_code >= 400:
        raise ChatServerError(f"{url} answered {response.status_code}: {_error_text(response)}")
    try:
        return response.json()
    except ValueError:
        raise ChatServerError(f"{url} answered {response.status_code} with a body that is not "
                              "JSON") from None


def _event_json(data: str, url: str) -> dict:
    try:
        chunk = json.loads(data)
    except ValueError:
        chunk = None
    if not isinstance(chunk, dict):
        raise ChatServerError(f"{url} sent a stream event that is not a JSON object: "
                              f"{data[:80]!r}")
    return chunk


def _error_text(response: Any) -> str:
    """The message of an OpenAI-shaped error body, else the start of the body."""
    try:
        error = response.json().get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(error, str):
            return error
    except (ValueError, AttributeError):
        pass
    return response.text.strip()[:200] or response.reason_phrase
