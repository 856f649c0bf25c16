"""Parallel input rails: three rails that each make one LLM call, against one such rail.

    python benchmarks/parallel_rails.py [--latency 0.1] [--runs 15]

A fake model answers every call after `--latency` seconds (100 ms by default). Prints the
median time of an input check (`check_async`, input rails only) with one rail, with the same
three rails in sequence, and with them in parallel (`rails.input.parallel: true`), and the
ratio parallel / one rail (the target: at most 1.15).
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

RAILS = ["content safety check input $model=safety_a",
         "content safety check input $model=safety_b",
         "content safety check input $model=safety_c"]


def config_yaml(rails: list[str], parallel: bool) -> str:
    models = "".join(f"  - type: {name}\n    engine: openai\n    model: fake\n"
                     for name in ("safety_a", "safety_b", "safety_c"))
    prompts = "".join(f"  - task: content_safety_check_input $model={name}\n"
                      f"    content: \"Is this safe? {{{{ user_input }}}}\"\n"
                      f"    output_parser: is_content_safe\n"
                      for name in ("safety_a", "safety_b", "safety_c"))
    flows = "".join(f"      - {rail}\n" for rail in rails)
    return (f"models:\n{models}rails:\n  input:\n    parallel: {parallel}\n    flows:\n{flows}"
            f"prompts:\n{prompts}")


def build(rails: list[str], parallel: bool, latency: float) -> LLMRails:
    app = LLMRails(RailsConfig.from_content(yaml_content=config_yaml(rails, parallel)),
                   llm=FakeLLM(respond=lambda prompt: "safe", latency=latency))
    for name in ("safety_a", "safety_b", "safety_c"):
        app.register_action_param(f"{name}_llm",
                                  FakeLLM(respond=lambda prompt: "safe", latency=latency))
    return app


async def median_check(app: LLMRails, runs: int) -> float:
    messages = [{"role": "user", "content": "hello there"}]
    await app.check_async(messages)  # warm-up: indexes, prompt templates
    times = []
    for run in range(runs):
        started = time.perf_counter()
        result = await app.check_async([{"role": "user", "content": f"hello there {run}"}])
        times.append(time.perf_counter() - started)
        assert result.status.value == "passed", result
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    one = await median_check(build(RAILS[:1], False, args.latency), args.runs)
    sequential = await median_check(build(RAILS, False, args.latency), args.runs)
    parallel = await median_check(build(RAILS, True, args.latency), args.runs)
    print(f"fake model latency {args.latency * 1000:.0f} ms, median of {args.runs} checks")
    print(f"one input rail:                {one * 1000:7.1f} ms")
    print(f"three input rails, sequential: {sequential * 1000:7.1f} ms")
    print(f"three input rails, parallel:   {parallel * 1000:7.1f} ms")
    print(f"parallel / one rail:           {parallel / one:7.3f}  (target <= 1.15)")


if __name__ == "__main__":
    asyncio.run(main())
