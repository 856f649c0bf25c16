"""Time to first token of `stream_async` with streaming output rails.

    python benchmarks/stream_output_rails.py [--latency 0.1] [--token-latency 0.01]
                                             [--chunk-size 20] [--tokens 100] [--runs 5]

A fake model answers after `--latency` seconds and streams `--tokens` words, one every
`--token-latency` seconds; the output rail (self check output) is one call to the same fake
model (`--latency`). Prints, per `stream_first` setting, the median time to the first chunk
and to the whole answer against the target: one window's generation plus one rail call, both
as measured in the same run (the time the model took to produce its first `chunk_size`
tokens, and the duration of a rail's model call; sleeps overshoot a little on a busy machine,
so the nominal figures are printed too); and, for comparison, the time to the first chunk with
streaming output rails off (the whole message, after the rails).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rails import LLMRails, RailsConfig  # noqa: E402
from rails.testing import FakeLLM  # noqa: E402


def build(args, enabled: bool, stream_first: bool) -> LLMRails:
    yaml = f"""
models: []
instructions:
  - type: general
    content: You answer briefly.
rails:
  output:
    flows: [self check output]
    streaming:
      enabled: {enabled}
      chunk_size: {args.chunk_size}
      context_size: {min(10, args.chunk_size)}
      stream_first: {stream_first}
prompts:
  - task: self_check_output
    content: "Should this bot message be blocked? {{{{ bot_response }}}}"
"""
    answer = " ".join(f"word{n}" for n in range(args.tokens))

    def respond(prompt: str) -> str:
        return "No" if prompt.startswith("Should this bot message") else answer

    llm = TimedLLM(respond=respond, latency=args.latency, token_latency=args.token_latency)
    llm.window = args.chunk_size
    return LLMRails(RailsConfig.from_content(yaml_content=yaml), llm=llm)


class TimedLLM(FakeLLM):
    """Records when the streamed answer's first window was complete, and rail call times."""

    window: int = 20
    marks: dict = {}

    async def _astream(self, prompt, stop=None, run_manager=None, **kwargs):
        count = 0
        async for chunk in super()._astream(prompt, stop, run_manager, **kwargs):
            count += 1
            if count == self.window:
                self.marks["window_done"] = time.perf_counter()
            yield chunk

    async def _acall(self, prompt, stop=None, run_manager=None, **kwargs):
        started = time.perf_counter()
        answer = await super()._acall(prompt, stop, run_manager, **kwargs)
        self.marks.setdefault("rail_calls", []).append(time.perf_counter() - started)
        return answer


async def measure(app: LLMRails, runs: int) -> tuple[float, float, float]:
    """Medians of: time to the first chunk, time to the whole answer, first chunk / (the
    first window's generation + the first rail call), as measured in each run."""
    first, whole, ratios = [], [], []
    marks = app.llm.marks
    for run in range(runs + 1):
        marks.clear()
        started = time.perf_counter()
        first_at = None
        async for _ in app.stream_async(messages=[{"role": "user", "content": f"hi {run}"}]):
            if first_at is None:
                first_at = time.perf_counter() - started
        if run:  # the first run warms up the indexes
            first.append(first_at)
            whole.append(time.perf_counter() - started)
            if "window_done" in marks and marks.get("rail_calls"):
                budget = marks["window_done"] - started + marks["rail_calls"][0]
                ratios.append(first_at / budget)
    return (statistics.median(first), statistics.median(whole),
            statistics.median(ratios) if ratios else float("nan"))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--token-latency", type=float, default=0.01)
    parser.add_argument("--chunk-size", type=int, default=20)
    parser.add_argument("--tokens", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    window = args.latency + args.chunk_size * args.token_latency
    target = window + args.latency
    print(f"fake model: {args.latency * 1000:.0f} ms to the first token, "
          f"{args.token_latency * 1000:.0f} ms per token, {args.tokens} tokens; "
          f"chunk_size {args.chunk_size}; median of {args.runs}")
    print(f"target: first chunk within one window's generation (nominally "
          f"{window * 1000:.0f} ms) + one rail call ({args.latency * 1000:.0f} ms) = "
          f"{target * 1000:.0f} ms")
    for stream_first in (True, False):
        first, whole, ratio = await measure(build(args, True, stream_first), args.runs)
        print(f"stream_first={stream_first!s:5}: first chunk {first * 1000:6.1f} ms "
              f"({ratio:.2f} of the measured target, {first / target:.2f} of the nominal), "
              f"whole answer {whole * 1000:6.1f} ms")
    first, whole, _ = await measure(build(args, False, True), args.runs)
    print(f"streaming off:     first chunk {first * 1000:6.1f} ms (the whole checked message)")


if __name__ == "__main__":
    asyncio.run(main())
