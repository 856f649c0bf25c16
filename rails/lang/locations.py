"""Where the grammar and the per-user cache live. Kept free of lark so that starting from the
disk cache never imports the parser."""
from __future__ import annotations

from pathlib import Path


def grammar_path() -> Path:
    """The installed copy (`rails/grammar/`, put there by setup.py) or the source checkout's."""
    package_dir = Path(__file__).resolve().parent.parent
    installed = package_dir / "grammar" / "colang.lark"
    if installed.is_file():
        return installed
    source = package_dir.parent / "grammar" / "colang.lark"
    if source.is_file():
        return source
    raise FileNotFoundError(f"colang.lark not found in {installed} or {source}")



def cache_dir() -> str | None:
    """The per-user directory for what is kept between processes (lark's tables, parsed
    documents): `$DIALOG_RAILS_CACHE_DIR`, else `$XDG_CACHE_HOME/dialog-rails`, else
    `~/.cache/dialog-rails`; None when it cannot be created or `DIALOG_RAILS_NO_CACHE` is set.
    Not the shared temp dir: the files are deserialized (pickle, marshal)."""
    import os

    if os.environ.get("DIALOG_RAILS_NO_CACHE"):
        return None
    base = os.environ.get("DIALOG_RAILS_CACHE_DIR")
    if not base:
        cache_home = os.environ.get("XDG_CACHE_HOME")
        if not cache_home:
            home = os.path.expanduser("~")
            if home == "~":  # no home directory
                return None
            cache_home = os.path.join(home, ".cache")
        base = os.path.join(cache_home, "dialog-rails")
    try:
        os.makedirs(base, mode=0o700, exist_ok=True)
    except OSError:
        return None
    return base if os.access(base, os.W_OK) else None
