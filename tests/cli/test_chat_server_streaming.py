"""`dialog-rails chat --server-url` streams: a real `dialog-rails serve` process on loopback
whose model (a fake OpenAI-compatible server) sends its first word and then waits, so the
tests see the CLI print text before the rest of the answer exists; UI events, a rail that
blocks mid-answer, a server that dies mid-answer and Ctrl-C."""
from __future__ import annotations

import http.server
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.folders import write_files
from tests.pty_session import cli_env
from tests.server.conftest import ROOT
from tests.server_processes import ServerProcess
from tests.server.test_streaming_output_rails_process import ACTIONS, RAIL

WORDS = ["Trails", " open", " at", " dawn", " and", " close", " at", " dusk."]
ANSWER = "".join(WORDS)


class GatedModel:
    """Streams WORDS: the first at once, the others once `gate` is set. Notes when its client
    (the rails server) hangs up while it waits."""

    def __init__(self) -> None:
        self.gate, self.hung_up = threading.Event(), threading.Event()
        self.requests: list[dict] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                owner.requests.append(body)
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                self._word(WORDS[0])
                while not owner.gate.wait(0.05):
                    if self._client_gone():
                        owner.hung_up.set()
                        return
                for word in WORDS[1:]:
                    self._word(word)
                self.wfile.write(b"data: [DONE]\n\n")

            def _word(self, word: str) -> None:
                chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0,
                         "model": "fake", "choices": [{"index": 0, "delta": {
                             "content": word}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()

            def _client_gone(self) -> bool:
                readable, _, _ = select.select([self.connection], [], [], 0)
                return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def reset(self) -> None:
        self.gate.clear()
        self.hung_up.clear()

    def close(self) -> None:
        self.gate.set()
        self._server.shutdown()
        self._server.server_close()


def model_config(base_url: str, rails: str = "") -> dict:
    return {"config.yml": f"""\
models:
  - type: main
    engine: openai
    model: fake-model
    parameters:
      base_url: {base_url}
      api_key: not-needed
instructions:
  - type: general
    content: You answer questions of the hiking club.
{rails}"""}


@pytest.fixture(scope="module")
def model():
    model = GatedModel()
    yield model
    model.close()


@pytest.fixture(scope="module")
def configs(tmp_path_factory, model):
    root = tmp_path_factory.mktemp("configs")
    write_files(root / "hiking", model_config(model.base_url))
    guarded = model_config(model.base_url, """\
rails:
  output:
    flows: [block word]
    streaming: {enabled: true, chunk_size: 2, context_size: 0, stream_first: true}
""")
    write_files(root / "guarded", {**guarded, "rails.co": RAIL.replace("WORD", "dusk"),
                                     "actions.py": ACTIONS})
    shutil.copytree(ROOT / "config_examples" / "long_export", root / "long_export")
    return root


@pytest.fixture(scope="module")
def server(configs, tmp_path_factory):
    threads = tmp_path_factory.mktemp("threads") / "threads.sqlite3"
    export_dir = tmp_path_factory.mktemp("export")
    process = ServerProcess(["--config-dir", str(configs), "--default-config", "hiking",
                             "--threads-db", str(threads)],
                            env={"EXPORT_DIR": str(export_dir)}).start()
    yield process
    process.stop()


@pytest.fixture
def gated(model):
    model.reset()
    yield model
    model.gate.set()  # a test that failed early leaves no turn waiting


class CliProcess:
    """`python -m rails chat ...` with its output read while it runs."""

    def __init__(self, args: list[str], home) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "rails", *args],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=cli_env(home), cwd=home)
        self.stdout = ""

    def read_until(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while text not in self.stdout:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{text!r} did not appear; stdout so far: {self.stdout!r}"
            if select.select([fd], [], [], remaining)[0]:
                data = os.read(fd, 4096)
                assert data, f"stdout closed before {text!r}: {self.stdout!r}"
                self.stdout += data.decode()

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        rest, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, self.stdout + rest.decode(), err.decode()


@pytest.fixture
def cli(tmp_path):
    started: list[CliProcess] = []

    def start(*args: str) -> CliProcess:
        started.append(CliProcess(list(args), tmp_path))
        return started[-1]

    yield start
    for item in started:
        if item.process.poll() is None:
            item.process.kill()
            item.process.communicate()


def test_the_answer_is_printed_as_the_server_streams_it(cli, server, gated):
    chat = cli("chat", "--server-url", server.base_url, "--message", "when are trails open?")
    chat.read_until(WORDS[0])
    # The model has not produced the rest yet: what is printed was streamed.
    assert chat.stdout == WORDS[0] and chat.process.poll() is None
    gated.gate.set()
    code, stdout, stderr = chat.finish()
    assert (code, stdout, stderr) == (0, ANSWER + "\n", "")
    assert gated.requests[-1]["stream"] is True  # the server streamed from the model too


def test_interactive_turns_stream_and_ctrl_c_cancels_the_request(pty_session, server, gated):
    session = pty_session("chat", "--server-url", server.base_url)
    session.read_until("> ")
    session.send("when are trails open?\n")
    assert session.read_until(WORDS[0]).endswith(WORDS[0])
    session.process.send_signal(signal.SIGINT)  # Ctrl-C
    shown = session.read_until("> ")
    assert "(turn cancelled)" in shown and "Traceback" not in shown
    # The CLI closed its request, the server stopped the turn and hung up on the model.
    assert gated.hung_up.wait(15)
    gated.gate.set()
    session.send("and on sundays?\n")
    assert ANSWER in session.read_until("> ")
    session.send("\x04")
    assert session.wait() == 0


def test_ctrl_c_stops_a_one_shot_message(cli, server, gated):
    chat = cli("chat", "--server-url", server.base_url, "--message", "when are trails open?")
    chat.read_until(WORDS[0])
    chat.process.send_signal(signal.SIGINT)
    assert chat.finish() == (130, WORDS[0] + "\n", "(turn cancelled)\n")
    assert gated.hung_up.wait(15)


def test_ui_events_and_questions_arrive_with_the_stream(run_cli, server):
    first = run_cli("chat", "--server-url", server.base_url, "--config-id", "long_export",
                    "--message", "export my data")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Export finished: 5 parts in ")
    # Rendered as for a local config: progress and files on stderr, in order.
    status = [line for line in first.stderr.splitlines() if line.startswith("[status]")]
    assert status == [f"[status] Exporting part {n} of 5 ..." for n in range(1, 6)] + [
        "[status] Exported 5 parts done"]
    assert "[files]" in first.stderr and "part-5.csv" in first.stderr
    # An export exists now: the action asks, the question arrives at the stream's end.
    again = run_cli("chat", "--server-url", server.base_url, "--config-id", "long_export",
                    stdin="export my data\nn\n")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("? Overwrite?\n") and "[y/n]" in again.stdout
    assert "[warning] Export cancelled" in again.stderr


def test_a_rail_that_blocks_mid_answer_is_an_error(cli, server, gated):
    gated.gate.set()
    code, stdout, stderr = cli("chat", "--server-url", server.base_url, "--config-id",
                               "guarded", "--message", "when are trails open?").finish()
    assert code == 1
    # stream_first: the windows before the blocked one (and that one) were sent already.
    assert stdout.startswith("Trails open at dawn") and "{" not in stdout
    assert stdout.endswith("\n")
    assert stderr == "error: AnswerStopped: Blocked by block word rails. (content_blocked)\n"


def test_a_server_that_dies_mid_answer(cli, configs, tmp_path, gated):
    dying = ServerProcess(["--config-dir", str(configs), "--default-config", "hiking"]).start()
    try:
        chat = cli("chat", "--server-url", dying.base_url, "--message", "when are trails open?")
        chat.read_until(WORDS[0])
        dying.process.kill()
        code, stdout, stderr = chat.finish()
    finally:
        dying.stop()
    assert code == 1 and stdout == WORDS[0] + "\n"
    assert len(stderr.splitlines()) == 1 and "Traceback" not in stderr
    assert "broke before the answer ended" in stderr


class OtherChatServer:
    """A chat server that is not ours, on loopback: `respond(handler)` writes the answer.
    Records the requests."""

    def __init__(self, respond) -> None:
        self.requests: list[dict] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # a body without a length ends with the connection

            def log_message(self, *args):
                pass

            def do_POST(self):
                owner.requests.append(json.loads(self.rfile.read(
                    int(self.headers["content-length"]))))
                respond(self)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def whole_answer(handler) -> None:
    """A server that cannot stream: one JSON body (NeMo's shape), `stream` or not."""
    data = json.dumps({"messages": [{"role": "assistant", "content": ANSWER}]}).encode()
    handler.send_response(200)
    handler.send_header("content-type", "application/json")
    handler.send_header("content-length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def bare_text_stream(content_type):
    """A stream as NeMo Guardrails' older servers send it: the tokens as bare text, no SSE
    fields, with no content type (or `text/event-stream`)."""
    def respond(handler) -> None:
        handler.send_response(200)
        if content_type:
            handler.send_header("content-type", content_type)
        handler.end_headers()
        for word in WORDS:
            handler.wfile.write(word.encode())
            handler.wfile.flush()
    return respond


def test_a_server_that_answers_whole_and_no_streaming(run_cli):
    whole = OtherChatServer(whole_answer)
    try:
        streamed = run_cli("chat", "--server-url", whole.url, "--message", "hi")
        plain = run_cli("chat", "--server-url", whole.url, "--no-streaming", "--message", "hi")
    finally:
        whole.close()
    assert (streamed.returncode, streamed.stdout, streamed.stderr) == (0, ANSWER + "\n", "")
    assert (plain.returncode, plain.stdout, plain.stderr) == (0, ANSWER + "\n", "")
    assert [request.get("stream", False) for request in whole.requests] == [True, False]


def test_a_local_config_blocked_mid_answer_reads_the_same(cli, configs, server, gated):
    gated.gate.set()
    local = cli("chat", "--config", str(configs / "guarded"), "--streaming",
                "--message", "when are trails open?").finish()
    remote = cli("chat", "--server-url", server.base_url, "--config-id", "guarded",
                 "--message", "when are trails open?").finish()
    assert local == remote
    assert local[2] == "error: AnswerStopped: Blocked by block word rails. (content_blocked)\n"


@pytest.mark.parametrize("content_type", [None, "text/event-stream"])
def test_a_server_streaming_bare_text(run_cli, content_type):
    bare = OtherChatServer(bare_text_stream(content_type))
    try:
        result = run_cli("chat", "--server-url", bare.url, "--message", "hi")
    finally:
        bare.close()
    assert (result.returncode, result.stdout, result.stderr) == (0, ANSWER + "\n", "")
