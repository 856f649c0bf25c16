"""Remote actions over loopback: round-trip latency and throughput of our actions server and
client, the same against the reference's actions server when it is installed, and the cost of a
local `ActionDispatcher.execute`.

    python benchmarks/remote_actions.py [--calls 500] [--concurrency 50]
    DIALOG_RAILS_REFERENCE_PYTHON=/work/ref-venv/bin/python python benchmarks/remote_actions.py

Figures: our client and server; the reference server driven by our client (server-side
difference only); the reference server driven the way the reference runtime calls it (a new
aiohttp session per call), i.e. its end-to-end cost. Everything stays on 127.0.0.1."""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from rails.actions import ActionDispatcher, action
from rails.actions.remote import RemoteActionsClient

OUR_ACTIONS = """
from rails.actions import action

@action()
async def echo(value):
    return value
"""
REFERENCE_ACTIONS = OUR_ACTIONS.replace("rails.actions", "nemoguardrails.actions")

# Runs in the reference's venv: one remote call the way its runtime makes it (a new aiohttp
# session per call, no connection reuse), sequential then concurrent. Prints p50, p95 (ms) and
# calls/s.
REFERENCE_CLIENT = """
import asyncio, statistics, sys, time
from urllib.parse import urljoin
import aiohttp

url = urljoin(sys.argv[1], "/v1/actions/run")
calls, concurrency = int(sys.argv[2]), int(sys.argv[3])

async def call(value):
    data = {"action_name": "echo", "action_parameters": {"value": value}}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=data) as response:
            assert (await response.json())["result"] == value

async def main():
    for i in range(50):
        await call(str(i))
    latencies = []
    for i in range(calls):
        started = time.perf_counter()
        await call(str(i))
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    per_worker = max(1, calls * 2 // concurrency)
    async def worker(w):
        for i in range(per_worker):
            await call(f"{w}:{i}")
    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    elapsed = time.perf_counter() - started
    print(statistics.median(latencies) * 1e3, latencies[int(len(latencies) * 0.95) - 1] * 1e3,
          per_worker * concurrency / elapsed)

asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], cwd: Path, probe: str, timeout: float = 60.0) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early ({process.returncode}): {' '.join(command)}")
        try:
            if httpx.get(probe, timeout=0.5).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server did not come up within {timeout}s: {' '.join(command)}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()


async def measure(url: str, calls: int, concurrency: int) -> dict:
    client = RemoteActionsClient(url)
    try:
        for i in range(50):  # warm-up: connections, server caches
            await client.run("echo", {"value": str(i)})
        latencies = []
        for i in range(calls):
            started = time.perf_counter()
            assert await client.run("echo", {"value": str(i)}) == str(i)
            latencies.append(time.perf_counter() - started)
        latencies.sort()

        per_worker = max(1, calls * 2 // concurrency)

        async def worker(worker_id: int) -> None:
            for i in range(per_worker):
                value = f"{worker_id}:{i}"
                assert await client.run("echo", {"value": value}) == value

        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - started
    finally:
        await client.aclose()
    return {"p50_ms": statistics.median(latencies) * 1e3,
            "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1e3,
            "calls_per_s": per_worker * concurrency / elapsed}


async def local_execute_cost(iterations: int = 50_000) -> float:
    @action()
    async def trivial(value, context=None):
        return value

    dispatcher = ActionDispatcher(load_all_actions=False)
    dispatcher.register_action(trivial)
    context, events, injected = {"x": 1}, [], {"llm": None, "config": None}
    params = {"value": "$x"}
    for _ in range(1000):
        await dispatcher.execute("trivial", params, context=context, events=events,
                                 injected=injected)
    started = time.perf_counter()
    for _ in range(iterations):
        await dispatcher.execute("trivial", params, context=context, events=events,
                                 injected=injected)
    return (time.perf_counter() - started) / iterations * 1e6


async def conversations_per_second(url: str, conversations: int = 50, turns: int = 10) -> float:
    """Turns/s of `conversations` concurrent conversations on one loop, through LLMRails with
    the remote_actions example (every turn calls an action on the server)."""
    from rails import LLMRails, RailsConfig

    example = Path(__file__).resolve().parent.parent / "config_examples" / "remote_actions"
    config = RailsConfig.from_path(str(example))
    config.actions_server_url = url
    app = LLMRails(config)
    questions = ["where is my order {n}?", "when are you open?"]

    async def conversation(number: int) -> None:
        messages = []
        for turn in range(turns):
            text = questions[turn % 2].format(n=1000 + number)
            messages.append({"role": "user", "content": text})
            reply = await app.generate_async(messages=messages)
            assert "not reachable" not in reply["content"], reply
            messages.append(reply)

    await conversation(0)  # warm-up: indexes, connections
    started = time.perf_counter()
    await asyncio.gather(*(conversation(n) for n in range(conversations)))
    elapsed = time.perf_counter() - started
    await app.aclose()
    return conversations * turns / elapsed


def report(label: str, figures: dict) -> None:
    print(f"{label:<28} p50 {figures['p50_ms']:6.3f} ms   p95 {figures['p95_ms']:6.3f} ms   "
          f"{figures['calls_per_s']:8.0f} calls/s (concurrent)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()

    print(f"local dispatcher.execute of a trivial async action: "
          f"{asyncio.run(local_execute_cost()):.2f} us/call")

    with tempfile.TemporaryDirectory() as folder:
        ours_dir, reference_dir = Path(folder, "ours"), Path(folder, "reference")
        for path, text in ((ours_dir, OUR_ACTIONS), (reference_dir, REFERENCE_ACTIONS)):
            path.mkdir()
            (path / "actions.py").write_text(text)

        port = free_port()
        server = start([sys.executable, "-m", "rails", "actions-server", "--config",
                        str(ours_dir), "--port", str(port), "--log-level", "warning"],
                       ours_dir, f"http://127.0.0.1:{port}/health")
        try:
            ours = asyncio.run(measure(f"http://127.0.0.1:{port}", args.calls,
                                       args.concurrency))
        finally:
            stop(server)
        report("dialog-rails (ours)", ours)

        example_actions = Path(__file__).resolve().parent.parent / "config_examples" / \
            "remote_actions" / "server_actions"
        port = free_port()
        server = start([sys.executable, "-m", "rails", "actions-server", "--config",
                        str(example_actions), "--port", str(port), "--log-level", "warning"],
                       example_actions, f"http://127.0.0.1:{port}/health")
        try:
            rate = asyncio.run(conversations_per_second(f"http://127.0.0.1:{port}"))
        finally:
            stop(server)
        print(f"LLMRails + actions server, 50 concurrent conversations: {rate:.0f} turns/s")

        reference_python = os.environ.get("DIALOG_RAILS_REFERENCE_PYTHON")
        if not reference_python:
            print("reference: set DIALOG_RAILS_REFERENCE_PYTHON to compare")
            return 0
        port = free_port()
        server = start([reference_python, "-m", "nemoguardrails", "actions-server", "--port",
                        str(port)], reference_dir, f"http://127.0.0.1:{port}/v1/actions/list")
        url = f"http://127.0.0.1:{port}"
        try:
            reference = asyncio.run(measure(url, args.calls, args.concurrency))
            output = subprocess.run([reference_python, "-c", REFERENCE_CLIENT, url,
                                     str(args.calls), str(args.concurrency)],
                                    capture_output=True, text=True, check=True).stdout.split()
            end_to_end = dict(zip(("p50_ms", "p95_ms", "calls_per_s"), map(float, output)))
        finally:
            stop(server)
        report("reference server, our client", reference)
        report("reference server and client", end_to_end)
        print(f"server only (same client), reference / ours: p50 "
              f"{reference['p50_ms'] / ours['p50_ms']:.2f}x, throughput "
              f"{ours['calls_per_s'] / reference['calls_per_s']:.2f}x")
        print(f"end to end (each engine's client and server), reference / ours: p50 "
              f"{end_to_end['p50_ms'] / ours['p50_ms']:.2f}x, throughput "
              f"{ours['calls_per_s'] / end_to_end['calls_per_s']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
