"""Interactive actions over the HTTP server (a real `dialog-rails serve` process on loopback):

- the round trip of a click (`POST /v1/threads/{id}/clicks`) and of an answer
  (`POST /v1/threads/{id}/answers`, which resumes the action by replaying it), p50 and p99;
- 1,000 questions pending at once: the server's memory per pending question (they live in the
  SQLite file, not in the process) and the turn latency of other conversations before and
  while they wait.

    python benchmarks/interaction.py [--rounds 300] [--pending 1000]

NeMo Guardrails has no buttons or questions, so there is no reference figure to compare."""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p99 * 1000


def _thread() -> str:
    return "bench-" + secrets.token_hex(12)


class Server:
    def __init__(self, folder: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rails", "serve", "--config-dir", str(folder / "configs"),
             "--default-config", "confirm", "--threads-db", str(folder / "threads.sqlite3"),
             "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--pending", type=int, default=1000)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="rails-bench-interaction-"))
    (folder / "configs").mkdir()
    shutil.copytree(ROOT / "config_examples" / "confirmation_bot", folder / "configs" / "confirm")
    shutil.copytree(ROOT / "config_examples" / "append_note", folder / "configs" / "note")
    server = Server(folder)
    client = httpx.Client(base_url=server.url, timeout=30)

    def chat(thread: str, text: str, model: str) -> dict:
        response = client.post("/v1/chat/completions", json={
            "model": model, "thread_id": thread, "messages": [{"role": "user", "content": text}]})
        response.raise_for_status()
        return response.json()["choices"][0]["message"]

    def plain_turns(count: int) -> list[float]:
        times = []
        for _ in range(count):
            thread = _thread()
            started = time.perf_counter()
            chat(thread, "hello", "confirm")
            times.append(time.perf_counter() - started)
        return times

    try:
        for _ in range(30):  # warm-up: loading, caches, connections
            thread = _thread()
            button = chat(thread, "delete my data", "confirm")["buttons"][1]["id"]
            client.post(f"/v1/threads/{thread}/clicks", json={"button_id": button})
            thread = _thread()
            question = chat(thread, "append a note", "note")["interaction"]["id"]
            client.post(f"/v1/threads/{thread}/answers",
                        json={"interaction_id": question, "value": "x"})
        plain_turns(30)

        clicks = []
        for _ in range(args.rounds):
            thread = _thread()
            button = chat(thread, "delete my data", "confirm")["buttons"][0]["id"]
            started = time.perf_counter()
            response = client.post(f"/v1/threads/{thread}/clicks", json={"button_id": button})
            clicks.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
        answers = []
        for _ in range(args.rounds):
            thread = _thread()
            question = chat(thread, "append a note", "note")["interaction"]["id"]
            started = time.perf_counter()
            response = client.post(f"/v1/threads/{thread}/answers",
                                   json={"interaction_id": question, "value": "buy milk"})
            answers.append(time.perf_counter() - started)
            assert response.json()["choices"][0]["message"]["content"] == "Noted: buy milk"

        before = plain_turns(args.rounds)
        rss_before = _rss_kib(server.process.pid)
        started = time.perf_counter()
        for _ in range(args.pending):
            assert chat(_thread(), "append a note", "note")["interaction"]
        asking = (time.perf_counter() - started) / args.pending
        rss_after = _rss_kib(server.process.pid)
        during = plain_turns(args.rounds)
    finally:
        client.close()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)

    p50, p99 = _percentiles(clicks)
    print(f"click round trip        p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   ({args.rounds} clicks)")
    p50, p99 = _percentiles(answers)
    print(f"answer round trip       p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   ({args.rounds} answers,"
          " each a replay of the action)")
    print(f"a turn that asks        {asking * 1000:6.2f} ms on average")
    per_question = (rss_after - rss_before) * 1024 / args.pending
    print(f"{args.pending} pending questions: server RSS {rss_before / 1024:.1f} -> "
          f"{rss_after / 1024:.1f} MiB, {per_question:,.0f} bytes per pending question")
    b50, b99 = _percentiles(before)
    d50, d99 = _percentiles(during)
    print(f"other conversations' turns   before: p50 {b50:5.2f} ms p99 {b99:5.2f} ms;   "
          f"with {args.pending} pending: p50 {d50:5.2f} ms p99 {d99:5.2f} ms "
          f"(x{d50 / b50:.2f} at p50)")
    print("NeMo Guardrails: no buttons or questions to compare with")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
