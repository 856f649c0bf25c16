"""Intent matching on CLINC150 with zero LLM calls: accuracy, recall@5, out-of-scope rejection,
time per turn, start-up and memory; and NeMo Guardrails on the same data when it can be run.

    python benchmarks/intent_accuracy.py [--data PATH] [--nemo-python PYTHON] [--quick]

Data: CLINC150 `data_full.json` (not shipped; default `../shared/data/clinc150/` beside the
repository). Examples per intent come from `train` (the first N of each intent), queries from
`test` (the first 10 of each intent: 1,500), out-of-scope queries from `oos_test` (1,000).
Indexes come from `rails.index.create_search_provider`, the factory every config uses; the
end-to-end check runs `LLMRails` with `embeddings_only: true` and no model at all.

NeMo runs in its own interpreter (`--nemo-python`, default `.venv-nemo/bin/python` when it
exists, else this one when `nemoguardrails` imports) with its FastEmbed engine; its default
model cannot download here, so FastEmbed loads the same all-MiniLM-L6-v2 int8 ONNX file from a
local folder (`embedding_parameters: {specific_model_path: ...}`)."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# `shared/` sits beside the repository (one level higher for a git worktree under wt/).
DATA_CANDIDATES = [base / "shared" / "data" / "clinc150" / "data_full.json"
                   for base in (ROOT.parent, ROOT.parent.parent)]
DEFAULT_DATA = next((path for path in DATA_CANDIDATES if path.exists()), DATA_CANDIDATES[0])
QUERIES_PER_INTENT = 10
MAX_ACCURACY_LOSS = 0.03


def per_intent(rows: list, count: int) -> list[tuple[str, str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for text, intent in rows:
        if len(grouped[intent]) < count:
            grouped[intent].append(text)
    return [(text, intent) for intent, texts in grouped.items() for text in texts]


async def evaluate(provider, examples, queries) -> dict:
    from rails.index import IndexItem

    await provider.add_items([IndexItem(text, {"intent": intent}) for text, intent in examples])
    started = time.perf_counter()
    await provider.build()
    build_s = time.perf_counter() - started
    correct = recalled = 0
    times, best_scores = [], []
    for text, intent in queries:
        started = time.perf_counter()
        hits = await provider.search(text, max_results=5)
        times.append(time.perf_counter() - started)
        correct += bool(hits) and hits[0].meta["intent"] == intent
        recalled += any(hit.meta["intent"] == intent for hit in hits)
        best_scores.append((hits[0].meta["score"], hits[0].meta["intent"] == intent)
                           if hits else (0.0, False))
    return {"accuracy": correct / len(queries), "recall5": recalled / len(queries),
            "ms_median": 1000 * statistics.median(times), "build_s": build_s,
            "scores": best_scores}


async def oos_scores(provider, queries) -> list[float]:
    scores = []
    for text in queries:
        hits = await provider.search(text, max_results=1)
        scores.append(hits[0].meta["score"] if hits else 0.0)
    return scores


def threshold_curve(in_scope: list[tuple[float, bool]], out_of_scope: list[float]) -> list:
    rows = []
    for step in range(30, 76):
        threshold = step / 100
        accuracy = sum(ok and score >= threshold for score, ok in in_scope) / len(in_scope)
        rejected = sum(score < threshold for score in out_of_scope) / len(out_of_scope)
        rows.append((threshold, accuracy, rejected))
    return rows


def forget_query_vectors() -> None:
    """Each index remembers the query vectors it computed; timings start without them."""
    try:
        from rails.index.semantic import provider as semantic
    except ImportError:
        return
    semantic._query_vectors.clear()


def provider(settings: dict | None = None):
    from rails.index import create_search_provider

    return create_search_provider(settings)


async def our_figures(data: dict, quick: bool) -> dict:
    from rails.index import IndexItem, LexicalSearchProvider
    from rails.index.factory import describe_provider
    from rails.index.semantic.provider import SemanticSearchProvider

    queries = per_intent(data["test"], QUERIES_PER_INTENT)
    oos = [text for text, _ in data["oos_test"]]
    default = provider()
    print(f"index: {describe_provider(default)}")
    if not isinstance(default, SemanticSearchProvider):
        print("the semantic extra is not installed: figures are the lexical index's")
    encoder = getattr(default, "encoder", None)
    results: dict = {}
    print("\n## In-scope accuracy (1,500 test queries, 10 per intent; zero LLM calls)")
    print(f"{'examples/intent':>16} {'accuracy':>9} {'recall@5':>9} {'build s*':>8}")
    for count in ([10] if quick else [1, 5, 10, 100]):
        examples = per_intent(data["train"], count)
        result = await evaluate(provider(), examples, queries)
        results[count] = result
        label = "all (100)" if count == 100 else str(count)
        print(f"{label:>16} {result['accuracy']:>9.1%} {result['recall5']:>9.1%} "
              f"{result['build_s']:>8.2f}")
    print("* with the vector cache as this run found it (start-up figures below start empty)")
    ten = per_intent(data["train"], 10)
    forget_query_vectors()
    timed = await evaluate(provider(), ten, queries)
    searched = await evaluate(provider(), ten, queries)  # query vectors known by now
    print(f"\nms per turn (query embedding + search over {len(ten)} examples), median of "
          f"{len(queries)} distinct queries: {timed['ms_median']:.2f} ms "
          f"(of which search {searched['ms_median']:.2f} ms)")

    print("\n## Variants, 10 examples per intent")
    variants = [("lexical index", LexicalSearchProvider())]
    if encoder is not None:
        variants += [
            ("nearest example (NeMo's rule)",
             SemanticSearchProvider(encoder, group_key=None, lexical_weight=0)),
            ("mean of examples", SemanticSearchProvider(encoder, lexical_weight=0,
                                                        name_weight=0)),
            ("mean of examples + lexical 0.1", SemanticSearchProvider(encoder,
                                                                      name_weight=0)),
            ("examples + name as 2", SemanticSearchProvider(encoder, lexical_weight=0)),
            ("examples + name as 2 + lexical 0.1 (default)", SemanticSearchProvider(encoder)),
            ("examples + name as 2 + lexical 0.2",
             SemanticSearchProvider(encoder, lexical_weight=0.2))]
    for label, index in variants:
        result = await evaluate(index, ten, queries)
        print(f"  {label:<46} accuracy {result['accuracy']:.1%}  recall@5 "
              f"{result['recall5']:.1%}  {result['ms_median']:.2f} ms/turn")
    if encoder is not None:
        nearest = SemanticSearchProvider(encoder, group_key=None, lexical_weight=0)
        await nearest.add_items([IndexItem(text, {"intent": intent}) for text, intent in ten])
        await nearest.build()
        for k in (5, 10):
            correct = 0
            for text, intent in queries:
                votes: dict[str, float] = defaultdict(float)
                for hit in await nearest.search(text, max_results=k):
                    votes[hit.meta["intent"]] += hit.meta["score"]
                correct += max(votes, key=votes.get) == intent
            print(f"  {f'k-NN vote over {k} nearest examples':<46} accuracy "
                  f"{correct / len(queries):.1%}")

    print("\n## Out of scope (oos_test, 1,000 queries) against in-scope accuracy, 10 examples")
    index = provider()
    result = await evaluate(index, ten, queries)
    out_scores = await oos_scores(index, oos)
    curve = threshold_curve(result["scores"], out_scores)
    base = result["accuracy"]
    print(f"{'threshold':>9} {'in-scope acc':>13} {'OOS rejected':>13}")
    for threshold, accuracy, rejected in curve[::2]:
        print(f"{threshold:>9.2f} {accuracy:>13.1%} {rejected:>13.1%}")
    allowed = [row for row in curve if base - row[1] <= MAX_ACCURACY_LOSS]
    best = max(allowed, key=lambda row: row[2])
    print(f"highest threshold costing at most {MAX_ACCURACY_LOSS:.0%} of in-scope accuracy: "
          f"{best[0]:.2f} (accuracy {best[1]:.1%} vs {base:.1%}, rejects {best[2]:.1%} of "
          "out-of-scope queries)")
    return results


def end_to_end(data: dict, count: int = 1500) -> None:
    """The same matching through LLMRails: `define user` blocks, embeddings_only, no model."""
    from rails import LLMRails, RailsConfig

    examples = per_intent(data["train"], 10)
    queries = per_intent(data["test"], QUERIES_PER_INTENT)[:count]
    rails = LLMRails(RailsConfig.from_content(colang_content=colang(examples),
                                              yaml_content=EMBEDDINGS_ONLY_YAML))
    rails.generate(messages=[{"role": "user", "content": "hello"}])  # builds the indexes
    forget_query_vectors()
    started = time.perf_counter()
    correct = 0
    for text, intent in queries:
        answer = rails.generate(messages=[{"role": "user", "content": text}])
        correct += answer["content"] == intent
    took = (time.perf_counter() - started) / len(queries)
    print(f"\n## End to end: LLMRails, no model configured (so no LLM call can happen), "
          f"query vectors not cached\n"
          f"{len(queries)} queries: accuracy {correct / len(queries):.1%}, "
          f"{took * 1000:.1f} ms per turn (whole turn)")


EMBEDDINGS_ONLY_YAML = "rails:\n  dialog:\n    user_messages:\n      embeddings_only: true\n"


def colang(examples: list[tuple[str, str]]) -> str:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in examples:
        by_intent[intent].append(text)
    parts = []
    for intent, texts in by_intent.items():
        name = intent.replace("_", " ")
        lines = "\n".join(f"  {json.dumps(text)}" for text in texts)
        parts.append(f"define user {name}\n{lines}\n\ndefine bot answer {name}\n"
                     f"  \"{intent}\"\n\ndefine flow {name}\n  user {name}\n"
                     f"  bot answer {name}\n")
    return "\n".join(parts)


STARTUP_SCRIPT = r"""
import asyncio, json, resource, sys, time
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024
started = time.perf_counter(); before = rss()
from rails.index import IndexItem, create_search_provider
examples = json.load(open(sys.argv[1]))
async def main():
    p = create_search_provider(None)
    loaded = time.perf_counter() - started
    await p.add_items([IndexItem(t, {"intent": i}) for t, i in examples]); await p.build()
    built = time.perf_counter() - started
    await p.search("how do I check my balance", 5)
    print(json.dumps({"load_s": loaded, "total_s": built, "rss_mb": rss() - before,
                      "encoded": getattr(p, "cache_misses", None)}))
asyncio.run(main())
"""


def startup(data: dict) -> None:
    examples = per_intent(data["train"], 10)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "examples.json")
        with open(path, "w") as out:
            json.dump(examples, out)
        env = {**os.environ, "DIALOG_RAILS_CACHE_DIR": os.path.join(folder, "cache")}
        print(f"\n## Start-up with {len(examples)} examples (fresh process: import, model "
              "load, vectors, first search)")
        for label in ("cold (empty vector cache)", "warm (vectors cached on disk)"):
            output = subprocess.run([sys.executable, "-c", STARTUP_SCRIPT, path], env=env,
                                    capture_output=True, text=True, check=True).stdout
            figures = json.loads(output.strip().splitlines()[-1])
            print(f"  {label:<30} {figures['total_s']:.2f} s (model ready after "
                  f"{figures['load_s']:.2f} s; {figures['encoded']} texts encoded); "
                  f"extra RSS {figures['rss_mb']:.0f} MB")


NEMO_SCRIPT = r"""
import asyncio, json, logging, statistics, sys, time
logging.disable(logging.WARNING)
from nemoguardrails import LLMRails, RailsConfig
colang, yaml, queries = json.load(open(sys.argv[1]))
started = time.perf_counter()
rails = LLMRails(RailsConfig.from_content(colang_content=colang, yaml_content=yaml))
async def main():
    await rails.generate_async(messages=[{"role": "user", "content": "hello"}])
    ready = time.perf_counter() - started
    with open("/proc/self/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024
    correct, times = 0, []
    for text, intent in queries:
        t = time.perf_counter()
        answer = await rails.generate_async(messages=[{"role": "user", "content": text}])
        times.append(time.perf_counter() - t)
        correct += answer["content"] == intent
    import nemoguardrails
    print(json.dumps({"version": nemoguardrails.__version__, "accuracy": correct / len(queries),
                      "ms": 1000 * statistics.median(times), "ready_s": ready,
                      "rss_mb": rss}))
asyncio.run(main())
"""


def nemo_python(choice: str | None) -> str | None:
    if choice:
        return choice
    local = ROOT / ".venv-nemo" / "bin" / "python"
    if local.exists():
        return str(local)
    try:
        import nemoguardrails  # noqa: F401
    except ImportError:
        return None
    return sys.executable


def nemo(data: dict, python: str | None, ours: float) -> None:
    if python is None:
        print("\nNeMo Guardrails: not importable (install nemoguardrails in a venv and pass "
              "--nemo-python) - skipped")
        return
    from rails.index.semantic.fastembed_folder import write_fastembed_folder

    examples = per_intent(data["train"], 10)
    queries = per_intent(data["test"], QUERIES_PER_INTENT)
    with tempfile.TemporaryDirectory() as folder:
        model = write_fastembed_folder(os.path.join(folder, "minilm"))
        yaml = (EMBEDDINGS_ONLY_YAML + "core:\n  embedding_search_provider:\n    name: default\n"
                "    parameters:\n      embedding_engine: FastEmbed\n"
                "      embedding_model: all-MiniLM-L6-v2\n"
                f"      embedding_parameters:\n        specific_model_path: {model}\n"
                "        local_files_only: true\n")
        path = os.path.join(folder, "input.json")
        with open(path, "w") as out:
            json.dump([colang(examples), yaml, queries], out)
        print(f"\n## NeMo Guardrails ({python}), FastEmbed all-MiniLM-L6-v2 int8 ONNX from a "
              "local folder, same 1,500 examples and 1,500 queries")
        run = subprocess.run([python, "-c", NEMO_SCRIPT, path], capture_output=True, text=True,
                             env={**os.environ, "HF_HUB_OFFLINE": "1"})
        if run.returncode:
            print("  NeMo run failed:\n  " + "\n  ".join(run.stderr.strip().splitlines()[-8:]))
            return
        figures = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"  nemoguardrails {figures['version']}: accuracy {figures['accuracy']:.1%} "
              f"(ours {ours:.1%}), {figures['ms']:.1f} ms per turn (whole turn), ready in "
              f"{figures['ready_s']:.1f} s, process RSS {figures['rss_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--nemo-python", default=None)
    parser.add_argument("--quick", action="store_true", help="10 examples per intent only")
    parser.add_argument("--no-nemo", action="store_true")
    args = parser.parse_args()
    if not os.path.exists(args.data):
        print(f"CLINC150 not found at {args.data}; pass --data PATH/data_full.json")
        return
    with open(args.data) as handle:
        data = json.load(handle)
    sys.path.insert(0, str(ROOT))
    results = asyncio.run(our_figures(data, args.quick))
    end_to_end(data)
    startup(data)
    if not args.no_nemo:
        nemo(data, nemo_python(args.nemo_python), results[10]["accuracy"])


if __name__ == "__main__":
    main()
