"""Built-in flows: the core flows every config runs on, and the library rails a config can name."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

LIBRARY_DIR = Path(__file__).parent


@lru_cache(maxsize=1)
def library_documents() -> tuple:
    """Every built-in `.co` file, parsed once per process, in a fixed order (core flows first)."""
    from rails.lang import parse

    files = sorted(LIBRARY_DIR.rglob("*.co"), key=lambda p: (p.name != "core.co", str(p)))
    return tuple(parse(path.read_text(encoding="utf-8"), str(path)) for path in files)


def known_flow_ids() -> set[str]:
    """Ids of all built-in flows; rails in config.yml may name these besides the user's flows."""
    return {flow["id"] for doc in library_documents() for flow in doc.flows}


# Rails of NeMo Guardrails' library that call third-party services or special models; a config
# naming one gets a clear "not provided" error instead of "no such flow".
NOT_PROVIDED = frozenset({
    "activefence moderation", "activefence moderation detailed", "alignscore check facts",
    "autoalign check input", "autoalign check output", "autoalign factcheck output",
    "cleanlab trustworthiness", "detect sensitive data on input", "detect sensitive data on output",
    "detect sensitive data on retrieval", "gcpnlp moderation", "gcpnlp moderation detailed",
    "gotitai rag truthcheck", "jailbreak detection heuristics", "mask sensitive data on input", "mask sensitive data on output",
    "mask sensitive data on retrieval", "patronus lynx check output hallucination",
})
