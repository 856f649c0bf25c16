"""Per-turn cost of the engine with a zero-latency fake LLM, on four configurations.

    python benchmarks/turns.py [--reference-python /path/to/venv/bin/python] [--quick]

Prints, per config: load + construct time, single-turn median / p95, turn 1 vs turn 50 of a
50-turn conversation, turns/s with 50 concurrent conversations on one loop, LLM calls per turn,
and the engine overhead (turn time minus LLM calls x the bare cost of one call through
langchain-core, measured in the same process). With the reference engine (nemoguardrails)
importable, or its interpreter given with --reference-python (or the env var
DIALOG_RAILS_REFERENCE_PYTHON), the same runs on it and the ratios are printed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIGS = ("dialog", "rails", "minimal", "passthrough")
TOPICS = 20


# -- the configurations -------------------------------------------------------------------

def write_configs(root: Path) -> dict[str, Path]:
    paths = {}
    dialog = root / "dialog"
    dialog.mkdir()
    lines = []
    for n in range(TOPICS):
        lines += [f"define user ask about topic {n}",
                  f'  "tell me about topic {n}"', f'  "what do you know on topic {n}?"',
                  f'  "explain topic {n} to me"', "",
                  f"define bot answer topic {n}", f'  "Here is what I know about topic {n}."', "",
                  f"define flow topic {n}", f"  user ask about topic {n}",
                  f"  bot answer topic {n}", ""]
    (dialog / "flows.co").write_text("\n".join(lines))
    (dialog / "config.yml").write_text("models: []\n")
    paths["dialog"] = dialog

    checks = root / "rails"
    checks.mkdir()
    (checks / "config.yml").write_text(
        "models: []\nrails:\n  input:\n    flows:\n      - self check input\n"
        "  output:\n    flows:\n      - self check output\n")
    (checks / "prompts.yml").write_text(
        "prompts:\n  - task: self_check_input\n    content: |\n      Should this user message "
        "be blocked? \"{{ user_input }}\"\n      Answer Yes or No:\n"
        "  - task: self_check_output\n    content: |\n      Should this bot message be blocked? "
        "\"{{ bot_response }}\"\n      Answer Yes or No:\n")
    paths["rails"] = checks

    minimal = root / "minimal"
    minimal.mkdir()
    (minimal / "config.yml").write_text("models: []\n")
    paths["minimal"] = minimal

    passthrough = root / "passthrough"
    passthrough.mkdir()
    (passthrough / "config.yml").write_text("models: []\npassthrough: true\n")
    paths["passthrough"] = passthrough
    return paths


def user_message(turn: int) -> str:
    return f"tell me about topic {turn % TOPICS}"


# -- the fake model (same behaviour on both engines) -------------------------------------------

def make_fake_llm():
    from langchain_core.language_models.llms import LLM

    class ZeroLatencyLLM(LLM):
        """Answers instantly: an intent for intent prompts, "No" for checks, else a sentence."""

        calls: int = 0

        @property
        def _llm_type(self) -> str:
            return "zero-latency"

        def _call(self, prompt, stop=None, run_manager=None, **kwargs):
            self.calls += 1
            if "blocked" in prompt[-300:]:
                return "No"
            tail = prompt[-300:]  # constant cost: the fake model must not grow with the prompt
            topics = re.findall(r"topic (\d+)", tail)
            if topics and "intent" in tail.lower():
                return f"ask about topic {topics[-1]}"
            return "Here is a short answer."

        async def _acall(self, prompt, stop=None, run_manager=None, **kwargs):
            return self._call(prompt, stop)

    return ZeroLatencyLLM()


# -- measuring one engine (runs inside the engine's own interpreter) --------------------------

def measure(engine: str, root: Path, quick: bool) -> dict:
    started = time.perf_counter()
    if engine == "rails":
        from rails import LLMRails, RailsConfig
    else:
        import logging

        logging.disable(logging.CRITICAL)
        from nemoguardrails import LLMRails, RailsConfig
        from reference_offline import use_offline_index

        use_offline_index("first")
    import_ms = (time.perf_counter() - started) * 1000

    paths = {name: root / name for name in CONFIGS}
    results: dict = {"import_ms": import_ms, "configs": {}}
    llm = make_fake_llm()
    results["per_call_ms"] = _bare_call_ms(llm)

    for name in CONFIGS:
        t0 = time.perf_counter()
        config = RailsConfig.from_path(str(paths[name]))
        app = LLMRails(config, llm=llm)
        construct_ms = (time.perf_counter() - t0) * 1000
        figures = asyncio.run(_run_turns(app, llm, quick))
        figures["load_construct_ms"] = construct_ms
        results["configs"][name] = figures

    import resource

    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def _bare_call_ms(llm, count: int = 300) -> float:
    async def run():
        samples = []
        for _ in range(count):
            t0 = time.perf_counter()
            await llm.agenerate(["What is the intent of: tell me about topic 3"])
            samples.append(time.perf_counter() - t0)
        return statistics.median(samples) * 1000

    return asyncio.run(run())


async def _run_turns(app, llm, quick: bool) -> dict:
    single_runs = 60 if quick else 300
    conversations = 3 if quick else 6
    turns = 50

    samples, calls = [], []
    for i in range(single_runs):
        before = llm.calls
        t0 = time.perf_counter()
        await app.generate_async(messages=[{"role": "user", "content": user_message(i)}])
        samples.append(time.perf_counter() - t0)
        calls.append(llm.calls - before)
    warm = samples[len(samples) // 10:]

    by_turn: list[list[float]] = [[] for _ in range(turns)]
    for number in range(conversations):
        messages = []
        for turn in range(turns):
            # Each conversation starts on another topic, as real ones differ: replaying the
            # same one would make each turn replace, in the engines' history caches, the entry
            # of the previous run and pay for freeing that whole conversation at its last turn.
            messages.append({"role": "user", "content": user_message(turn + 3 * number)})
            t0 = time.perf_counter()
            reply = await app.generate_async(messages=messages)
            by_turn[turn].append(time.perf_counter() - t0)
            messages.append({"role": "assistant", "content": reply["content"]})

    async def conversation(index: int) -> int:
        messages = []
        for turn in range(10):
            messages.append({"role": "user", "content": user_message(index + turn)})
            reply = await app.generate_async(messages=messages)
            messages.append({"role": "assistant", "content": reply["content"]})
        return 10

    t0 = time.perf_counter()
    done = sum(await asyncio.gather(*(conversation(i) for i in range(50))))
    concurrent_tps = done / (time.perf_counter() - t0)

    def ms(values):
        return statistics.median(values) * 1000

    return {
        "single_median_ms": ms(warm),
        "single_p95_ms": sorted(warm)[int(len(warm) * 0.95)] * 1000,
        "turn1_ms": ms(by_turn[0]),
        "turn50_ms": ms(by_turn[-1]),
        "concurrent_turns_per_s": concurrent_tps,
        "llm_calls_per_turn": statistics.mean(calls),
    }


# Run with `python -c` in a fresh interpreter: the benchmark's own imports (asyncio among them)
# must not be loaded already, or start-up would look cheaper than it is.
_STARTUP = {
    "rails": "from rails import LLMRails, RailsConfig",
    "nemoguardrails": ("import logging, sys; logging.disable(logging.CRITICAL); "
                       "sys.path.insert(0, {here!r}); "
                       "from nemoguardrails import LLMRails, RailsConfig; "
                       "from reference_offline import use_offline_index; "
                       "use_offline_index('first')"),
}


def measure_startup(python: str, engine: str, config: Path) -> float:
    """`import` + load + construct of one config, in a fresh interpreter; milliseconds."""
    imports = _STARTUP[engine].format(here=str(Path(__file__).parent))
    code = (f"import time; started = time.perf_counter(); {imports}; "
            f"LLMRails(RailsConfig.from_path({str(config)!r})); "
            "print((time.perf_counter() - started) * 1000)")
    return float(_subprocess_json([python, "-c", code], engine))


# -- driver -------------------------------------------------------------------------------------

def _run_engine(python: str, engine: str, root: Path, quick: bool) -> dict:
    result = _subprocess_json([python, __file__, "--measure", engine, "--root", str(root)]
                              + (["--quick"] if quick else []), engine)
    startups = [measure_startup(python, engine, root / "dialog") for _ in range(5)]
    result["import_construct_ms"] = statistics.median(startups)
    return result


def _subprocess_json(args: list[str], engine: str):
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{engine} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _reference_python(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    if os.environ.get("DIALOG_RAILS_REFERENCE_PYTHON"):
        return os.environ["DIALOG_RAILS_REFERENCE_PYTHON"]
    try:
        import nemoguardrails  # noqa: F401
        return sys.executable
    except ImportError:
        return None


def report(ours: dict, ref: dict | None) -> None:
    def overhead(result: dict, name: str) -> float:
        figures = result["configs"][name]
        return figures["single_median_ms"] - figures["llm_calls_per_turn"] * result["per_call_ms"]

    print(f"bare LLM call through langchain-core: ours {ours['per_call_ms']:.3f} ms"
          + (f", reference {ref['per_call_ms']:.3f} ms" if ref else ""))
    print(f"import + load + construct (dialog config): {ours['import_construct_ms']:.1f} ms"
          + (f" (reference {ref['import_construct_ms']:.1f} ms)" if ref else ""))
    print(f"peak RSS: {ours['peak_rss_mb']:.0f} MB"
          + (f" (reference {ref['peak_rss_mb']:.0f} MB)" if ref else ""))
    header = (f"{'config':<12}{'load ms':>9}{'median':>9}{'p95':>8}{'turn1':>10}{'turn50':>10}"
              f"{'50/1':>6}{'conc t/s':>10}{'calls':>7}{'overhead':>10}")
    for label, result in (("dialog-rails", ours), ("reference", ref)):
        if result is None:
            continue
        print(f"\n{label}\n{header}")
        for name in CONFIGS:
            f = result["configs"][name]
            print(f"{name:<12}{f['load_construct_ms']:>9.1f}{f['single_median_ms']:>9.3f}"
                  f"{f['single_p95_ms']:>8.3f}{f['turn1_ms']:>10.3f}{f['turn50_ms']:>10.3f}"
                  f"{f['turn50_ms'] / f['turn1_ms']:>6.2f}{f['concurrent_turns_per_s']:>10.0f}"
                  f"{f['llm_calls_per_turn']:>7.2f}{overhead(result, name):>10.3f}")
    if ref:
        print("\nratios (reference / dialog-rails)")
        for name in CONFIGS:
            ours_o, ref_o = overhead(ours, name), overhead(ref, name)
            turn = ref["configs"][name]["single_median_ms"] / ours["configs"][name]["single_median_ms"]
            print(f"{name:<12} whole turn {turn:6.1f}x   engine overhead "
                  f"{ref_o / max(ours_o, 1e-6):6.1f}x   LLM calls "
                  f"{ours['configs'][name]['llm_calls_per_turn']:.2f} vs "
                  f"{ref['configs'][name]['llm_calls_per_turn']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-python")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--measure", choices=("rails", "nemoguardrails"), help=argparse.SUPPRESS)
    parser.add_argument("--root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, Path(args.root), args.quick)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_configs(root)
        ours = _run_engine(sys.executable, "rails", root, args.quick)
        reference = _reference_python(args.reference_python)
        ref = _run_engine(reference, "nemoguardrails", root, args.quick) if reference else None
        report(ours, ref)


if __name__ == "__main__":
    main()
