"""Chat completions over loopback against `dialog-rails serve` (1 and 2 workers) on an offline
config, and against NeMo Guardrails' server on the same config when `nemoguardrails` is
importable (here or in the interpreter named by DIALOG_RAILS_REFERENCE_PYTHON).

    python benchmarks/server_load.py [--seconds 4] [--concurrency 1,10,50,200] [--rounds 3]
    DIALOG_RAILS_REFERENCE_PYTHON=.venv-nemo/bin/python python benchmarks/server_load.py
    python benchmarks/server_load.py --modes threads --warm-turns 10 --threads-for-rss 0

All servers run at once and are measured one after the other in every cell, for `--rounds`
rounds; each cell reports its median round. (This machine's speed drifts by a third over
minutes: servers measured minutes apart gave ratios that moved by as much.)

For each server, worker count, mode (stateless: one message, no history kept; threads: a
`thread_id` per conversation, only the new message sent) and number of concurrent
conversations it prints requests/s, p50/p99 latency and errors, and our ratios to the
reference; first, on the fresh servers, the RSS each needs per 1,000 stored threads.

By default a thread is as long as its server made it in the window, so the servers do not
do the same work: NeMo's server replays a thread's whole history every turn and gets faster
as its threads get shorter (at 200 conversations each of its threads had one or two turns,
ours fifteen). `--warm-turns N` makes every thread N turns long before the window opens, on
every server alike.

The load generator is deliberately light so it is not the bottleneck: one process, asyncio
with raw keep-alive sockets (one connection per conversation, requests prebuilt, responses
read by Content-Length), pinned to the machine's last CPU when it has more than one; a
server of one worker is pinned to the first."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = Path(__file__).resolve().parent

CONFIG_YML = """\
rails:
  dialog:
    user_messages:
      embeddings_only: true
"""
FLOWS_CO = """\
define user express greeting
  "hello"
  "hi there"

define user ask about returns
  "how do I return an item?"

define bot express greeting
  "Hello! How can I help you today?"

define bot explain returns
  "Unused items can be returned within 60 days."

define flow greeting
  user express greeting
  bot express greeting

define flow returns
  user ask about returns
  bot explain returns
"""

# Starts NeMo's own server (FastAPI app) on the config, with the offline index of
# benchmarks/reference_offline.py (its default index would download a model) and its
# in-memory thread store.
NEMO_LAUNCHER = """
import sys
sys.path.insert(0, {benchmarks!r})
from reference_offline import use_offline_index
use_offline_index()
import uvicorn
from nemoguardrails.server import api
from nemoguardrails.server.datastore.memory_store import MemoryStore
api.app.rails_config_path = {root!r}
api.register_datastore(MemoryStore())
api.set_default_config_id("bench")
uvicorn.run(api.app, host="127.0.0.1", port={port}, log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- servers ---------------------------------------------------------------------------------

@dataclass
class Server:
    name: str
    command: list[str]
    port: int
    nemo: bool = False
    process: Optional[subprocess.Popen] = None
    env: dict = field(default_factory=dict)

    def start(self, cpus: Optional[set] = None) -> "Server":
        def pin() -> None:
            if cpus:
                os.sched_setaffinity(0, cpus)

        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, env={**os.environ, **self.env},
                                        preexec_fn=pin, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.process.stderr.read().decode()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
                # Real requests on many connections, so every worker has loaded the config
                # (configs load on first use).
                asyncio.run(warm_up(self))
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()

    def rss_bytes(self) -> int:
        """Resident memory of the server process and its children (the workers)."""
        pids = [self.process.pid] + _children(self.process.pid)
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def body(self, text: str, thread_id: Optional[str]) -> bytes:
        messages = [{"role": "user", "content": text}]
        if self.nemo:
            guardrails: dict = {"config_id": "bench"}
            if thread_id:
                guardrails["thread_id"] = thread_id
            payload = {"model": "bench", "messages": messages, "guardrails": guardrails}
        else:
            payload = {"model": "bench", "messages": messages}
            if thread_id:
                payload["thread_id"] = thread_id
        return json.dumps(payload).encode()


def _children(pid: int) -> list[int]:
    found = []
    try:
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            found.append(int(child))
            found += _children(int(child))
    except OSError:
        pass
    return found


def request_bytes(server: Server, body: bytes) -> bytes:
    return (b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
            + b"\r\n\r\n" + body)


async def warm_up(server: Server, connections: int = 16, rounds: int = 5) -> None:
    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            for _ in range(rounds):
                writer.write(request_bytes(server, server.body("hello", None)))
                status, _ = await read_response(reader)
                if status != 200:
                    raise OSError(f"warm-up answered {status}")
        finally:
            writer.close()

    for _ in range(3):  # connections land on workers unevenly: repeat
        await asyncio.gather(*(one() for _ in range(connections)))


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length) if length else b""


# -- load ------------------------------------------------------------------------------------

@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class Window:
    """The measured window, opened once every conversation has made its warm-up turns."""

    def __init__(self, concurrency: int, seconds: float):
        self.waiting = concurrency
        self.seconds = seconds
        self.opened = asyncio.Event()
        self.started = self.stop_at = 0.0

    def ready(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.started = time.perf_counter()
            self.stop_at = self.started + self.seconds
            self.opened.set()


async def conversation(server: Server, threads: bool, window: Window, out: Result,
                       expected: bytes, warm_turns: int = 0) -> None:
    texts = ["hello", "how do I return an item?"]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    except OSError:
        out.errors += 1
        window.ready()
        return
    thread_id = f"bench-{uuid.uuid4().hex}" if threads else None
    prebuilt = [request_bytes(server, server.body(text, thread_id)) for text in texts]
    turn = 0
    try:
        for turn in range(warm_turns):  # not measured: the thread reaches its length first
            writer.write(prebuilt[turn % 2])
            status, _ = await read_response(reader)
            if status != 200:
                out.errors += 1
        turn = warm_turns
        window.ready()
        await window.opened.wait()
        if warm_turns:  # a fresh connection: the server may drop one left idle meanwhile
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        while time.perf_counter() < window.stop_at:
            started = time.perf_counter()
            writer.write(prebuilt[turn % 2])
            try:
                status, body = await read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                out.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
                continue
            elapsed = time.perf_counter() - started
            if status != 200 or (turn % 2 == 0 and expected not in body):
                out.errors += 1
            else:
                out.requests += 1
                out.latencies.append(elapsed)
            turn += 1
    finally:
        writer.close()


async def run_load(server: Server, concurrency: int, seconds: float, threads: bool,
                   warm_turns: int = 0) -> Result:
    """Connections are opened (and threads warmed up) first, then measured for `seconds`."""
    out = Result(0, 0, seconds, [])
    window = Window(concurrency, seconds)
    await asyncio.gather(*(conversation(server, threads, window, out,
                                        b"Hello! How can I help", warm_turns)
                           for _ in range(concurrency)))
    out.seconds = time.perf_counter() - window.started
    return out


def load_in_subprocess(server: Server, concurrency: int, seconds: float, threads: bool,
                       cpus: Optional[set], warm_turns: int = 0) -> Result:
    """The generator runs in its own process (pinned away from a one-worker server)."""
    spec = json.dumps({"name": server.name, "port": server.port, "nemo": server.nemo,
                       "concurrency": concurrency, "seconds": seconds, "threads": threads,
                       "cpus": sorted(cpus) if cpus else None, "warm_turns": warm_turns})
    done = subprocess.run([sys.executable, __file__, "--client", spec], capture_output=True,
                          text=True, timeout=seconds * 4 + 120 + concurrency * warm_turns)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr}")
    data = json.loads(done.stdout)
    return Result(data["requests"], data["errors"], data["seconds"], data["latencies"])


def client_main(spec_text: str) -> None:
    spec = json.loads(spec_text)
    if spec["cpus"]:
        os.sched_setaffinity(0, set(spec["cpus"]))
    server = Server(spec["name"], [], spec["port"], nemo=spec["nemo"])
    result = asyncio.run(run_load(server, spec["concurrency"], spec["seconds"], spec["threads"],
                                  spec.get("warm_turns", 0)))
    print(json.dumps({"requests": result.requests, "errors": result.errors,
                      "seconds": result.seconds, "latencies": result.latencies}))


async def store_threads(server: Server, count: int) -> None:
    """`count` threads of one turn each, 20 at a time."""
    semaphore = asyncio.Semaphore(20)

    async def one() -> None:
        async with semaphore:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            try:
                writer.write(request_bytes(server, server.body(
                    "hello", f"rss-{uuid.uuid4().hex}")))
                await read_response(reader)
            finally:
                writer.close()

    await asyncio.gather(*(one() for _ in range(count)))


def measure_rss(server: Server, count: int) -> float:
    """Growth of the server's RSS per 1,000 stored threads of one turn each, after a warm-up
    batch. LLMRails keeps the 2,048 most recent conversations in memory to extend their
    event lists; for our server a second figure is taken once that cache is full (the cost
    of the store itself)."""
    asyncio.run(store_threads(server, 200))
    before = server.rss_bytes()
    asyncio.run(store_threads(server, count))
    first = (server.rss_bytes() - before) / count * 1000
    text = f"{server.name:<18} RSS {first / 1e6:+.1f} MB per 1,000 stored threads"
    if not server.nemo:
        asyncio.run(store_threads(server, 2200))
        before = server.rss_bytes()
        asyncio.run(store_threads(server, count))
        steady = (server.rss_bytes() - before) / count * 1000
        text += f" ({steady / 1e6:+.1f} MB once the 2,048-conversation cache is full)"
    print(text + f"; {server.rss_bytes() / 1e6:.0f} MB in all", flush=True)
    return first


# -- the run ---------------------------------------------------------------------------------

def make_config(root: Path) -> Path:
    folder = root / "bench"
    folder.mkdir(parents=True)
    (folder / "config.yml").write_text(CONFIG_YML)
    (folder / "flows.co").write_text(FLOWS_CO)
    return folder


def reference_python() -> Optional[str]:
    python = os.environ.get("DIALOG_RAILS_REFERENCE_PYTHON")
    candidates = [python] if python else [sys.executable]
    for candidate in candidates:
        try:
            found = subprocess.run([candidate, "-c", "import nemoguardrails"],
                                   capture_output=True).returncode == 0
        except OSError as error:  # a DIALOG_RAILS_REFERENCE_PYTHON that cannot run
            print(f"(DIALOG_RAILS_REFERENCE_PYTHON={candidate!r} cannot run: {error})")
            found = False
        if found:
            return candidate
    return None


def servers(root: Path, workdir: Path, workers: list[int]) -> list[tuple[Server, int]]:
    found = []
    for count in workers:
        port = free_port()
        command = [sys.executable, "-m", "rails", "serve", "--config-dir", str(root),
                   "--port", str(port), "--workers", str(count),
                   "--threads-db", str(workdir / f"threads-{count}.sqlite3")]
        found.append((Server(f"dialog-rails x{count}", command, port), count))
    python = reference_python()
    if python:
        port = free_port()
        launcher = NEMO_LAUNCHER.format(benchmarks=str(BENCHMARKS), root=str(root), port=port)
        found.append((Server("NeMo Guardrails", [python, "-c", launcher], port, nemo=True), 1))
    else:
        print("(nemoguardrails not importable: set DIALOG_RAILS_REFERENCE_PYTHON to compare)")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per measurement")
    parser.add_argument("--concurrency", default="1,10,50,200")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--threads-for-rss", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every cell this many times; the median round counts")
    parser.add_argument("--modes", default="stateless,threads")
    parser.add_argument("--warm-turns", type=int, default=0,
                        help="with threads: turns each conversation makes on its thread before "
                        "the window opens, so every server's threads are at least that long")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args.client)
        return 0
    levels = [int(item) for item in args.concurrency.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="server-load-"))
    cpus = sorted(os.sched_getaffinity(0))
    # The client always on the last CPU (the same placement for every server, so one and two
    # workers are compared alike); one worker on the first, two workers wherever the kernel
    # puts them.
    client_cpus = {cpus[-1]} if len(cpus) > 1 else None
    table: dict[tuple[str, str, int], list[Result]] = {}
    started: list[Server] = []
    try:
        root = make_config(workdir / "configs").parent
        for server, count in servers(root, workdir, [int(w) for w in args.workers.split(",")]):
            started.append(server.start({cpus[0]} if count == 1 and len(cpus) > 1 else None))
        # Memory first, on fresh servers: later, with the caches full of long threads, a
        # garbage-collector sweep frees more in a moment than 1,000 threads take.
        for server in started:
            if args.threads_for_rss:
                measure_rss(server, args.threads_for_rss)
        # Every server is measured right after the others, cell by cell and round by round:
        # this machine's speed drifts over minutes, and only figures taken side by side
        # compare.
        for round_number in range(1, args.rounds + 1):
            for mode in args.modes.split(","):
                for level in levels:
                    for server in started:
                        result = load_in_subprocess(
                            server, level, args.seconds, mode == "threads", client_cpus,
                            args.warm_turns if mode == "threads" else 0)
                        table.setdefault((server.name, mode, level), []).append(result)
                        print(f"[{round_number}] {server.name:<18} {mode:<9} c={level:<4} "
                              f"{result.rate:8.1f} req/s  p50 {result.percentile(0.5):7.1f} ms"
                              f"  p99 {result.percentile(0.99):7.1f} ms  errors "
                              f"{result.errors}", flush=True)
    finally:
        for server in started:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    report({key: _median_round(results) for key, results in table.items()}, levels,
           args.rounds)
    return 0


def _median_round(results: list[Result]) -> Result:
    """The round with the median rate (its latencies with it); errors of every round."""
    chosen = sorted(results, key=lambda result: result.rate)[len(results) // 2]
    return Result(chosen.requests, sum(result.errors for result in results), chosen.seconds,
                  chosen.latencies)


def report(table: dict, levels: list[int], rounds: int = 1) -> None:
    names = sorted({name for name, _, _ in table})
    print(f"\nsummary (each cell: the round with the median rate, of {rounds})")
    for name in names:
        for mode in ("stateless", "threads"):
            cells = [table[(name, mode, level)] for level in levels if (name, mode, level) in table]
            if not cells:  # (a mode not measured)
                continue
            ratios = [c.percentile(0.99) / c.percentile(0.5) for c in cells if c.latencies]
            print(f"  {name:<18} {mode:<9} errors {sum(c.errors for c in cells)}; "
                  f"p99/p50 at most {max(ratios, default=float('nan')):.1f}")
    reference = "NeMo Guardrails"
    for ours in (name for name in names if name != reference):
        for mode in ("stateless", "threads"):
            line = []
            for level in levels:
                a, b = table.get((ours, mode, level)), table.get((reference, mode, level))
                if a and b and b.rate:
                    line.append(f"c={level}: {a.rate / b.rate:.0f}x")
            if line:
                print(f"  {ours} / reference, {mode}: " + ", ".join(line))
    one, two = "dialog-rails x1", "dialog-rails x2"
    for mode in ("stateless", "threads"):
        line = []
        for level in levels:
            a, b = table.get((one, mode, level)), table.get((two, mode, level))
            if a and b and a.rate:
                line.append(f"c={level}: {b.rate / a.rate:.2f}x")
        if line:
            print(f"  two workers / one, {mode}: " + ", ".join(line))


if __name__ == "__main__":
    sys.exit(main())
