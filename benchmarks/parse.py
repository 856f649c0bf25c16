"""Parser throughput: lines/second of `rails.lang.parse` on a synthetic Colang 1.0 file.

    python benchmarks/parse.py [--lines 6000] [--repeat 5]

The file uses every construct (message definitions, flows with all statements, modifiers,
doc strings, comments, continuations) with the repetition real configs have: intents and
bot messages are defined once and used by many flows. Two figures are printed:
- cold: all caches cleared before each run (a process loading the file for the first time);
- warm lines: the document cache bypassed but memoized lines kept (loading a second config
  that shares lines with the first, or the same file under another path);
- on-disk cache: a new process loading a file it parsed before (no parsing at all).
When the reference (nemoguardrails) is importable, or DIALOG_RAILS_REFERENCE_PYTHON names an
interpreter that has it, its `parse_colang_file` is timed on the same text and the ratio shown.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

WORDS = ("order refund account password delivery invoice product price discount store "
         "opening hours warranty return exchange size color shipping payment card address "
         "subscription plan upgrade cancel support agent feedback complaint").split()


def generate(target_lines: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    pairs = [f"{a} {b}" for a in WORDS for b in WORDS if a != b]
    intents = [f"ask about {pair}" for pair in rng.sample(pairs, 150)]
    bots = [f"inform {pair}" for pair in rng.sample(pairs, 100)]
    out: list[str] = ['"""', "Synthetic rails for the parser benchmark.", '"""', ""]
    for intent in intents:
        out.append(f"define user {intent}")
        for _ in range(rng.randint(3, 6)):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))
            out.append(f'  "can you tell me about {words} for $order_id?"')
        out.append("")
    for bot in bots:
        out.append(f"define bot {bot}")
        for _ in range(rng.randint(1, 3)):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
            out.append(f'  "Here is what I know about {words}, {{{{ name }}}}."')
        out.append("")
    flow_number = 0
    while len(out) < target_lines:
        flow_number += 1
        out.extend(_flow(rng, flow_number, intents, bots))
        out.append("")
    return "\n".join(out) + "\n"


def _flow(rng: random.Random, n: int, intents: list, bots: list) -> list[str]:
    intent, bot = rng.choice(intents), rng.choice(bots)
    kind = rng.choice(["flow", "flow", "flow", "subflow", "parallel extension flow",
                       "non-interruptable flow"])
    lines = [f"define {kind} handle {intent} {_ordinal(n)}", f"  # Handles {intent}."]
    if rng.random() < 0.2:
        lines.append("  priority 2")
    lines += [f"  user {intent}", f"  $result = execute check_{rng.randint(0, 20)}"
              f"(query=$user_message, limit=5, mode=\"strict\")"]
    body = [
        ["  if $result", f"    bot {rng.choice(bots)}", "  else if $result is None",
         f"    bot {rng.choice(bots)}", "    stop", "  else", f"    bot {rng.choice(bots)}"],
        ["  # The name of the product the user mentions.", "  $product = ...",
         f"  bot {bot} with $product"],
        ["  $attempts = 0", "  while $attempts < 3", "    $attempts += 1",
         "    if $attempts > 1", "      break", f"    execute retry_{rng.randint(0, 9)}"],
        [f"  bot {rng.choice(bots)}", f"  when user {rng.choice(intents)}",
         f"    bot {rng.choice(bots)}", f"  else when user {rng.choice(intents)}",
         f"    do handle {rng.choice(intents)} {_ordinal(max(1, n - 1))}"],
        ["  create event AuditLogged(level=\"info\", who=$user_id)", "  event AuditDone",
         '  bot say "Thanks, noted." \\', "    with $user_id"],
        ['  $allowed = execute self_check_input', "  if not $allowed",
         "    bot refuse to respond", "    stop"],
        ["  label retry", f"  user {rng.choice(intents)}", "  if len($attempts or []) > 2",
         "    goto retry", "  return"],
    ]
    for chosen in rng.sample(body, rng.randint(2, 4)):
        lines += chosen
    lines.append(f"  bot {bot}")
    return lines


def _ordinal(n: int) -> str:
    """A word-only unique suffix (real flow names rarely contain numbers)."""
    letters = ""
    while True:
        n, digit = divmod(n, 26)
        letters += "abcdefghijklmnopqrstuvwxyz"[digit]
        if not n:
            return "variant " + letters


def time_ours(text: str, repeat: int) -> tuple[float, float]:
    import rails.lang as lang
    from rails.lang import grammar

    grammar.get_parser()  # grammar loading is start-up cost, measured separately
    os.environ["DIALOG_RAILS_NO_CACHE"] = "1"  # time parsing, not the on-disk document cache
    cold, warm = [], []
    for i in range(repeat):
        lang.clear_cache()
        started = time.perf_counter()
        lang.parse(text, f"cold-{i}.co")
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        lang.parse(text, f"warm-{i}.co")
        warm.append(time.perf_counter() - started)
    del os.environ["DIALOG_RAILS_NO_CACHE"]
    return min(cold), min(warm)


def time_disk_cache(text: str, repeat: int) -> float | None:
    """A new process loading an unchanged file: in-memory caches empty, on-disk entry present."""
    import rails.lang as lang
    from rails.lang import grammar

    if grammar.cache_dir() is None:
        return None
    lang.parse(text, "disk.co")
    best = None
    for _ in range(repeat):
        lang.clear_cache()
        started = time.perf_counter()
        lang.parse(text, "disk.co")
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return best


_REFERENCE = r"""
import sys, time
from nemoguardrails.colang import parse_colang_file
text = open(sys.argv[1], encoding="utf-8").read()
best = None
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    parse_colang_file("bench.co", text)
    elapsed = time.perf_counter() - started
    best = elapsed if best is None else min(best, elapsed)
print(best)
"""


def time_reference(text: str, repeat: int) -> float | None:
    try:
        from nemoguardrails.colang import parse_colang_file  # type: ignore
    except ImportError:
        parse_colang_file = None
    if parse_colang_file is not None:
        best = None
        for _ in range(repeat):
            started = time.perf_counter()
            parse_colang_file("bench.co", text)
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        return best
    python = os.environ.get("DIALOG_RAILS_REFERENCE_PYTHON")
    if not python:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".co", delete=False, encoding="utf-8") as f:
        f.write(text)
    try:
        result = subprocess.run([python, "-c", _REFERENCE, f.name, str(repeat)],
                                capture_output=True, text=True, check=True)
        return float(result.stdout.strip())
    finally:
        os.unlink(f.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=6000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    text = generate(args.lines)
    lines = text.count("\n")
    started = time.perf_counter()
    from rails.lang import grammar

    grammar.get_parser()
    load = time.perf_counter() - started
    cold, warm = time_ours(text, args.repeat)
    disk = time_disk_cache(text, args.repeat)
    reference = time_reference(text, max(1, args.repeat // 2))
    figures = {"lines": lines, "grammar_load_ms": round(load * 1000, 1),
               "cold_lines_per_s": round(lines / cold), "warm_lines_per_s": round(lines / warm)}
    if disk:
        figures["disk_cache_lines_per_s"] = round(lines / disk)
    if reference:
        figures["reference_lines_per_s"] = round(lines / reference)
        figures["cold_ratio"] = round(reference / cold, 1)
        figures["warm_ratio"] = round(reference / warm, 1)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{lines} lines; grammar load {figures['grammar_load_ms']} ms")
    print(f"rails.lang.parse, cold caches : {figures['cold_lines_per_s']:>9,} lines/s")
    print(f"rails.lang.parse, warm lines  : {figures['warm_lines_per_s']:>9,} lines/s")
    if disk:
        print(f"unchanged file, on-disk cache : {figures['disk_cache_lines_per_s']:>9,} lines/s")
    if reference:
        print(f"reference parse_colang_file   : {figures['reference_lines_per_s']:>9,} lines/s")
        print(f"ratio (cold / warm)           : {figures['cold_ratio']}x / "
              f"{figures['warm_ratio']}x")
    else:
        print("reference not available (set DIALOG_RAILS_REFERENCE_PYTHON to compare)")


if __name__ == "__main__":
    main()
