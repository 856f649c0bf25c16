"""What durable threads cost per turn, in-process (no HTTP, so the store's share shows).

    python benchmarks/thread_turns.py [--turns 50] [--redis-url redis://127.0.0.1:6379/0]

On the offline store-support example, through the server's chat-completions handler:
- stateless: one message per request, no thread (the baseline: the engine's turn);
- thread, same process: the thread's events and state are in this process's memory, so a
  turn reads the thread's version, runs, and commits the turn (messages, events, state);
- thread, other process: every turn finds the thread moved on elsewhere (as with several
  workers or after a restart): it loads the whole thread (events and state) first;
plus the dialog state's own cost (dump + JSON encode, decode + load) and its size. Figures are
medians in ms per turn, at turn 1-10 and at the last turns of a `--turns` long conversation.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MESSAGES = ["hello", "where is my order JP-1001?", "what is your return policy?",
            "when are you open?", "thanks"]


def _body(text: str, thread_id: str | None) -> dict:
    body = {"model": "store_support", "messages": [{"role": "user", "content": text}]}
    if thread_id:
        body["thread_id"] = thread_id
    return body


async def _conversation(completions, turns: int, thread: bool, forget: bool) -> list[float]:
    from rails.server.wire import parse_chat_request

    thread_id = "bench-" + secrets.token_hex(12) if thread else None
    times = []
    rails = await completions.registry.get(("store_support",))
    for turn in range(turns):
        if forget:  # as if another process had served the turn before
            completions._turns.forget(thread_id)
            rails._state_cache.clear()
            rails._history.clear()
        request = parse_chat_request(_body(MESSAGES[turn % len(MESSAGES)], thread_id))
        started = time.perf_counter()
        await completions.complete(request)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _summary(times: list[float]) -> str:
    early, late = times[1:10], times[-9:]
    return f"turns 2-10 {statistics.median(early):6.2f} ms, last 9 {statistics.median(late):6.2f} ms"


async def _run(store_name: str, store, turns: int, repeats: int) -> None:
    from rails.server.completions import ChatCompletions
    from rails.server.configs import ConfigRegistry

    registry = ConfigRegistry.for_path(ROOT / "config_examples", default_id=None)
    completions = ChatCompletions(registry, store)
    await _conversation(completions, 12, False, False)  # warm up: load, indexes, caches
    for label, thread, forget in (("stateless (baseline)", False, False),
                                  ("thread, same process", True, False),
                                  ("thread, other process", True, True)):
        runs = [await _conversation(completions, turns, thread, forget) for _ in range(repeats)]
        merged = [statistics.median(column) for column in zip(*runs)]
        print(f"  {store_name:7} {label:24} {_summary(merged)}")
    await registry.aclose()


def _state_cost(turns: int) -> None:
    from rails import LLMRails, RailsConfig
    from rails.state.encoding import dumps, loads, pack, unpack

    app = LLMRails(RailsConfig.from_path(ROOT / "config_examples" / "store_support"))
    state: dict = {}
    for turn in range(turns):
        state = app.generate(messages=[{"role": "user", "content": MESSAGES[turn % 5]}],
                             state=state).state
    dialog_state = app._state_cache[next(reversed(app._state_cache))]
    runtime = app.runtime
    count = 2000
    started = time.perf_counter()
    for _ in range(count):
        text = dumps(runtime.dump_state(dialog_state))
    dump_us = (time.perf_counter() - started) / count * 1e6
    events = state["events"]
    started = time.perf_counter()
    for _ in range(count):
        runtime.load_state(loads(text), events)
    load_us = (time.perf_counter() - started) / count * 1e6
    per_turn = len(events) / turns
    turn_events = events[-int(per_turn):]
    started = time.perf_counter()
    for _ in range(count):
        packed = pack(turn_events)
    events_us = (time.perf_counter() - started) / count * 1e6
    started = time.perf_counter()
    for _ in range(count):
        unpack(packed)
    unpack_us = (time.perf_counter() - started) / count * 1e6
    print(f"  dialog state after {turns} turns: {len(text)} bytes; dump+encode {dump_us:.0f} us,"
          f" decode+load {load_us:.0f} us")
    print(f"  one turn's {per_turn:.0f} events: {len(dumps(turn_events))} bytes of JSON, stored "
          f"as {len(packed)} bytes (deflated): packed in {events_us:.0f} us, unpacked in "
          f"{unpack_us:.0f} us")
    print(f"  (JSON encoder: {'orjson' if _has_orjson() else 'standard library json'}; "
          f"whole thread after {turns} turns: {len(json.dumps(events))} bytes of events)")


def _has_orjson() -> bool:
    try:
        import orjson  # noqa: F401
    except ImportError:
        return False
    return True


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--redis-url", help="also measure the Redis store there")
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    from rails.state.store import open_thread_store

    print(f"thread turns on config_examples/store_support, {args.turns} turns, "
          f"median of {args.repeats} conversations per turn number")
    with tempfile.TemporaryDirectory() as folder:
        store = open_thread_store(sqlite_path=Path(folder) / "threads.sqlite3")
        await _run("SQLite", store, args.turns, args.repeats)
        await store.close()
    if args.redis_url:
        store = open_thread_store(redis_url=args.redis_url)
        await _run("Redis", store, args.turns, args.repeats)
        await store.close()
    _state_cost(args.turns)


if __name__ == "__main__":
    asyncio.run(main())
