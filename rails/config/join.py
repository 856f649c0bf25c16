"""The `join` merge of raw config dicts (spec §5.2): how each YAML file and each parsed Colang
file is folded into the config being loaded. Always builds new containers, so that cached
inputs (parsed YAML, parsed Colang documents) are never modified."""
from __future__ import annotations

from typing import Any

DICT_MERGED = ("user_messages", "bot_messages", "sensitive_data_detection")
LIST_CONCATENATED = ("instructions", "flows", "models", "prompts", "docs", "declared_actions")
FIRST_NON_EMPTY = ("actions_server_url", "embedding_search_provider")
UNION = ("import_paths",)


def join_config(dest: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Fold `new` into `dest` (in place, returned for convenience).

    Messages are dict-merged (keys of `new` win), lists are concatenated, the actions server
    URL and the top-level search provider keep the first non-empty value, import paths are a
    union in order, and every other key present in `new` replaces the old value wholesale (so
    `rails:` split over two YAML files: the later one wins, as in the reference)."""
    for key, value in new.items():
        if key in DICT_MERGED:
            dest[key] = {**(dest.get(key) or {}), **(value or {})}
        elif key in LIST_CONCATENATED:
            dest[key] = list(dest.get(key) or []) + list(value or [])
        elif key in FIRST_NON_EMPTY:
            dest[key] = dest.get(key) or value
        elif key in UNION:
            merged = list(dest.get(key) or [])
            for item in value or []:
                if item not in merged:
                    merged.append(item)
            dest[key] = merged
        else:
            dest[key] = value
    return dest
