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
