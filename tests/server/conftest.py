"""Helpers for the server tests: a stand-in rails object for in-process app tests, config
folders, and real `dialog-rails serve` processes (tests/server_processes.py)."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Optional

import httpx
import pytest

from rails.options import GenerationLog, GenerationResponse, GenerationStats
from tests.folders import write_files
from tests.server_processes import ServerProcess


class EchoRails:
    """Answers "<config>: <last user text> #<number of user messages seen>", so tests can see
    which config answered and how much history reached it (the messages given plus those kept
    in `state`, as LLMRails does). Records every call."""

    def __init__(self, name: str, delay: float = 0.0, fail_with: Optional[BaseException] = None,
                 output_data: Optional[dict] = None):
        self.name, self.delay, self.fail_with = name, delay, fail_with
        self.output_data = output_data
        self.calls: list[dict] = []

    def _history(self, messages: list[dict], state: Optional[dict]) -> list[dict]:
        prior = [event["message"] for event in (state or {}).get("events") or []]
        return prior + [m for m in messages if m["role"] in ("user", "assistant")]

    def _answer(self, history: list[dict]) -> str:
        users = [m["content"] for m in history if m["role"] == "user"]
        return f"{self.name}: {users[-1]} #{len(users)}"

    def _state(self, history: list[dict], answer: str) -> dict:
        events = [{"type": "message", "message": m} for m in history]
        events.append({"type": "message", "message": {"role": "assistant", "content": answer}})
        return {"events": events, "dialog": {"turns": len(events)}}

    async def generate_async(self, messages=None, options=None, state=None):
        self.calls.append({"messages": messages, "options": options, "state": state})
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_with is not None:
            raise self.fail_with
        history = self._history(messages, state)
        answer = self._answer(history)
        stats = GenerationStats(llm_calls_count=1, llm_calls_total_prompt_tokens=7,
                                llm_calls_total_completion_tokens=3, llm_calls_total_tokens=10)
        log = GenerationLog(stats=stats, colang_history="user \"hi\"")
        return GenerationResponse(response=[{"role": "assistant", "content": answer}], log=log,
                                  state=self._state(history, answer) if state is not None
                                  else None, output_data=self.output_data)

    async def stream_async(self, messages=None, options=None, state=None, on_result=None):
        self.calls.append({"messages": messages, "options": options, "stream": True,
                           "state": state})
        if self.fail_with is not None:
            raise self.fail_with
        history = self._history(messages, state)
        answer = self._answer(history)
        for word in answer.split(" "):
            await asyncio.sleep(0)
            yield word + " "
        if on_result is not None:
            on_result(GenerationResponse(response=[{"role": "assistant", "content": answer}],
                                         state=self._state(history, answer)))


class EchoLoader:
    """A registry loader building EchoRails named after the folders; counts loads.
    `per_config` gives EchoRails arguments for some configs (e.g. `fail_with`);
    `load_errors` makes loading a config raise."""

    def __init__(self, per_config: Optional[dict] = None, load_errors: Optional[dict] = None,
                 **kwargs: Any):
        self.kwargs, self.per_config = kwargs, per_config or {}
        self.load_errors = load_errors or {}
        self.loads: list[list[str]] = []
        self.instances: dict[str, EchoRails] = {}

    def __call__(self, paths):
        time.sleep(0.05)  # long enough for concurrent first requests to overlap
        names = [Path(p).name for p in paths]
        self.loads.append(names)
        name = "+".join(names)
        if name in self.load_errors:
            raise self.load_errors[name]
        rails = EchoRails(name, **{**self.kwargs, **self.per_config.get(name, {})})
        self.instances[name] = rails
        return rails


def make_config_dir(root: Path, *names: str) -> Path:
    for name in names:
        folder = root / name
        folder.mkdir(parents=True)
        (folder / "config.yml").write_text("instructions: []\n")
    return root


class AppUnderTest:
    def __init__(self, app: Any, client: httpx.AsyncClient, loader: EchoLoader, registry: Any,
                 threads: Any):
        self.app, self.client, self.loader = app, client, loader
        self.registry, self.threads = registry, threads

    async def chat(self, **body: Any) -> httpx.Response:
        body.setdefault("messages", [{"role": "user", "content": "hi"}])
        return await self.client.post("/v1/chat/completions", json=body)


@pytest.fixture
async def echo_app(tmp_path):
    """Factory: an in-process app over config folders `names`, answered by EchoRails."""
    from rails.server.app import create_app
    from rails.server.configs import ConfigRegistry
    from rails.server.threads_sqlite import SQLiteThreadStore

    made: list[AppUnderTest] = []

    async def build(*names: str, default: Optional[str] = None, threads: bool = True,
                    max_body_bytes: int = 1 << 20, **loader_kwargs: Any) -> AppUnderTest:
        root = make_config_dir(tmp_path / f"configs{len(made)}", *names)
        loader = EchoLoader(**loader_kwargs)
        registry = ConfigRegistry.for_path(root, default_id=default, loader=loader)
        store = SQLiteThreadStore(tmp_path / f"threads{len(made)}.db") if threads else None
        app = create_app(registry, store, max_body_bytes=max_body_bytes)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                   base_url="http://testserver")
        made.append(AppUnderTest(app, client, loader, registry, store))
        return made[-1]

    yield build
    for item in made:
        await item.client.aclose()
        if item.threads is not None:
            await item.threads.close()


ROOT = Path(__file__).resolve().parents[2]
STORE_SUPPORT = ROOT / "config_examples" / "store_support"

# An offline config whose answer depends on the whole conversation: it counts the user
# messages it is given, so a lost or duplicated history shows in the answer.
COUNTER_CONFIG = {
    "config.yml": """\
rails:
  dialog:
    user_messages:
      embeddings_only: true
      embeddings_only_similarity_threshold: 0.99
      embeddings_only_fallback_intent: send a message
""",
    "flows.co": """\
define user send a message
  "hello there"

define bot report count
  "You have sent $count messages."

define flow count
  user send a message
  $count = execute count_user_messages
  bot report count
""",
    "actions.py": """\
from rails.actions import action


@action()
async def count_user_messages(events: list) -> int:
    return sum(1 for event in events if event["type"] == "UtteranceUserActionFinished")
""",
}


# An offline config whose only action fails: the turn ends with the fallback message and the
# real cause must still reach the client.
FAILING_CONFIG = {
    "config.yml": COUNTER_CONFIG["config.yml"],
    "flows.co": """\
define user send a message
  "hello there"

define flow check stock
  user send a message
  $stock = execute check_stock
  bot say $stock
""",
    "actions.py": """\
from rails.actions import action


@action()
async def check_stock() -> str:
    raise RuntimeError("inventory database unreachable")
""",
}


# Rails exceptions on: an input rail that blocks passwords raises InputRailException.
GUARDED_CONFIG = {
    "config.yml": "enable_rails_exceptions: true\nrails:\n  input:\n    flows:\n"
                  "      - block secrets\n" + COUNTER_CONFIG["config.yml"][len("rails:\n"):],
    "flows.co": """\
define user send a message
  "hello there"

define bot acknowledge
  "Noted."

define flow acknowledge
  user send a message
  bot acknowledge

define subflow block secrets
  if "password" in $user_message
    create event InputRailException(message="Passwords must not be shared here.")
    stop
""",
}


@pytest.fixture(scope="module")
def served_configs(tmp_path_factory) -> Path:
    """A config directory: the store-support example (`store`), `counter`, `failing` and
    `guarded`."""
    import shutil

    root = tmp_path_factory.mktemp("served")
    shutil.copytree(STORE_SUPPORT, root / "store")
    write_files(root / "counter", COUNTER_CONFIG)
    write_files(root / "failing", FAILING_CONFIG)
    write_files(root / "guarded", GUARDED_CONFIG)
    return root


@pytest.fixture(scope="module")
def shared_server(served_configs, tmp_path_factory):
    """One real server process for the tests of a module that do not restart it."""
    threads_db = tmp_path_factory.mktemp("threads") / "threads.sqlite3"
    server = ServerProcess(["--config-dir", str(served_configs), "--default-config", "store",
                            "--threads-db", str(threads_db)]).start()
    yield server
    server.stop()


@pytest.fixture
def server_factory():
    """Servers started by a test (and stopped after it): `start(args...)`."""
    started: list[ServerProcess] = []

    def start(*args: str, port: Optional[int] = None, **options: Any) -> ServerProcess:
        started.append(ServerProcess(list(args), port=port, **options).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


FAKE_LLM_WORDS = ["Hello", " from", " the", " fake", " model."]


class FakeLLMServer:
    """A minimal OpenAI-compatible model endpoint on loopback (stdlib http.server): answers
    every chat completion with FAKE_LLM_WORDS, streamed word by word when asked."""

    def __init__(self) -> None:
        import http.server
        import json
        import threading

        self.requests: list[dict] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                owner.requests.append(body)
                usage = {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16}
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("content-type", "text/event-stream")
                    self.end_headers()
                    for word in FAKE_LLM_WORDS:
                        chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0,
                                 "model": "fake", "choices": [{"index": 0, "delta": {
                                     "content": word}, "finish_reason": None}]}
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                    final = {"id": "x", "object": "chat.completion.chunk", "created": 0,
                             "model": "fake", "choices": [], "usage": usage}
                    self.wfile.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
                    return
                answer = {"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
                          "choices": [{"index": 0, "finish_reason": "stop", "message": {
                              "role": "assistant", "content": "".join(FAKE_LLM_WORDS)}}],
                          "usage": usage}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def fake_llm():
    server = FakeLLMServer()
    yield server
    server.close()


@pytest.fixture
def fake_llm_words():
    return list(FAKE_LLM_WORDS)


@pytest.fixture
def model_config_dir(tmp_path, fake_llm) -> Path:
    """A config directory with `assistant`: general mode (no flows) over the fake model."""
    write_files(tmp_path / "models" / "assistant", {"config.yml": f"""\
models:
  - type: main
    engine: openai
    model: fake-model
    parameters:
      base_url: {fake_llm.base_url}
      api_key: not-needed
instructions:
  - type: general
    content: You are a test assistant.
"""})
    return tmp_path / "models"
