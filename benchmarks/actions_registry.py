"""Look-ups of organisations' declared actions: 10,000 actions across 1,000 organisations in
the actions server's registry, on SQLite (the default) and on Redis (when `redis-server` is
on PATH; started on a free loopback port).

    python benchmarks/actions_registry.py [--orgs 1000] [--per-org 10] [--lookups 20000]

Figures: time to register them all (checked, stored); a look-up as the run endpoint does it
(`DeclaredActionRegistry.get`: one point read plus the compiled-action cache), p50/p99 and
look-ups per second; the same for another organisation's name (a miss, 404); a look-up that
must compile (cache too small to help); listing one organisation's actions."""
from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from rails.actions.declared.registry import DeclaredActionRegistry
from rails.actions.declared.store import open_action_store


def declaration(org: int, index: int) -> dict:
    return {"action_name": f"action_{index}", "kind": "llm",
            "description": f"Action {index} of organisation {org}",
            "template": f"You work for org {org}. Task {index}:\n\n{{{{text}}}}\n\n"
                        "Answer in {{language}}.",
            "max_tokens": 256, "outputKey": f"out_{index}"}


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1e6
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1e6
    rate = len(ordered) / sum(ordered)
    return f"p50 {p50:7.1f} us  p99 {p99:7.1f} us  {rate:9,.0f}/s"


async def timed(calls) -> list[float]:
    samples = []
    for call in calls:
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return samples


async def measure(label: str, store, args: argparse.Namespace) -> None:
    registry = DeclaredActionRegistry(store, {"main": object()})
    orgs = [f"org-{n:04d}" for n in range(args.orgs)]
    start = time.perf_counter()
    for n, org in enumerate(orgs):
        for index in range(args.per_org):
            await registry.create(org, declaration(n, index))
    took = time.perf_counter() - start
    total = args.orgs * args.per_org
    print(f"\n{label}: {total:,} actions in {args.orgs:,} organisations")
    print(f"  register (check + store)   {took:6.2f} s total, {took / total * 1e6:7.1f} us each")

    rng = random.Random(7)
    picks = [(rng.choice(orgs), f"action_{rng.randrange(args.per_org)}")
             for _ in range(args.lookups)]

    async def hit(org, name):
        action = await registry.get(org, name)
        assert action is not None and action.name == name

    async def miss(org, name):
        assert await registry.get(org + "-other", name) is None

    await timed([lambda o=o, n=n: hit(o, n) for o, n in picks[:500]])  # warm the cache
    print(f"  look-up (run endpoint)     {percentiles(await timed([lambda o=o, n=n: hit(o, n) for o, n in picks]))}")
    print(f"  look-up, other org (404)   {percentiles(await timed([lambda o=o, n=n: miss(o, n) for o, n in picks]))}")
    cold = DeclaredActionRegistry(store, {"main": object()}, cache_size=1)
    cold_picks = picks[: max(args.lookups // 10, 100)]

    async def compile_hit(org, name):
        assert (await cold.get(org, name)).name == name

    print(f"  look-up + compile (cold)   {percentiles(await timed([lambda o=o, n=n: compile_hit(o, n) for o, n in cold_picks]))}")

    async def listing(org):
        assert len(await registry.list(org)) == args.per_org

    print(f"  list one organisation      {percentiles(await timed([lambda o=o: listing(o) for o, _ in cold_picks]))}")
    await store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--per-org", type=int, default=10)
    parser.add_argument("--lookups", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        await measure("SQLite", open_action_store(sqlite_path=str(Path(folder) / "a.db")),
                      args)
        binary = shutil.which("redis-server")
        if binary is None:
            print("\nRedis: skipped (no redis-server on PATH)")
            return
        port = free_port()
        process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                    "--save", "", "--appendonly", "no", "--dir", folder],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            await measure("Redis", open_action_store(redis_url=f"redis://127.0.0.1:{port}/0"),
                          args)
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(main())
