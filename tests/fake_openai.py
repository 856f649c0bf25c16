"""A scripted OpenAI-compatible chat endpoint on loopback, for tests that need a real HTTP
model: each request gets the next scripted assistant message (text or tool calls), whole or
streamed the way OpenAI streams it, and every request body is recorded."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def text_reply(text: str) -> dict:
    return {"role": "assistant", "content": text}


def stream_chunks(message: dict) -> list[dict]:
    """The message as OpenAI streams it: content word by word, then for each call a first
    piece with index, id, type and name, and its arguments in two pieces."""
    deltas: list[dict] = [{"role": "assistant", "content": ""}]
    for word in (message.get("content") or "").split(" "):
        if word:
            deltas.append({"content": word + " "})
    for index, call in enumerate(message.get("tool_calls") or ()):
        arguments = call["function"]["arguments"]
        middle = len(arguments) // 2
        deltas.append({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                       "function": {"name": call["function"]["name"],
                                                    "arguments": ""}}]})
        for piece in (arguments[:middle], arguments[middle:]):
            deltas.append({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    chunks = [{"choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
              for delta in deltas]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": _finish(message)}]})
    chunks.append({"choices": [], "usage": _USAGE})
    return chunks


_USAGE = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}


def _finish(message: dict) -> str:
    return "tool_calls" if message.get("tool_calls") else "stop"


class ScriptedOpenAI:
    """`script`: the messages to answer with, in order (then `exhausted_text`, or the last one
    again with `repeat_last`); `delay`: seconds each answer takes; `url`: the base URL."""

    def __init__(self, exhausted_text: str = "(no script)"):
        self.script: list[dict] = []
        self.requests: list[dict] = []
        self.repeat_last = False
        self.delay = 0.0
        self.exhausted_text = exhausted_text
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length))
                fake.requests.append(body)
                if fake.delay:
                    time.sleep(fake.delay)
                message = fake.next_message()
                if body.get("stream"):
                    self._stream(body, message)
                else:
                    self._whole(body, message)

            def _stream(self, body: dict, message: dict) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                for chunk in stream_chunks(message):
                    chunk.update({"id": "x", "object": "chat.completion.chunk", "created": 0,
                                  "model": body.get("model")})
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

            def _whole(self, body: dict, message: dict) -> None:
                data = json.dumps({
                    "id": "x", "object": "chat.completion", "created": 0,
                    "model": body.get("model"),
                    "choices": [{"index": 0, "message": message,
                                 "finish_reason": _finish(message)}],
                    "usage": _USAGE}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next_message(self) -> dict:
        if not self.script:
            return text_reply(self.exhausted_text)
        if self.repeat_last and len(self.script) == 1:
            return self.script[0]
        return self.script.pop(0)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
