"""`--auto-reload`: a loaded config is dropped and loaded again once its files change. The check
is a walk of the config folders (names, sizes, modification times), at most once a second per
config, so a development server picks up edits without a restart."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Sequence

CHECK_INTERVAL = 1.0


def fingerprint(folders: Sequence[Path]) -> tuple:
    entries = []
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                try:
                    status = os.stat(path)
                except OSError:
                    continue
                entries.append((path, status.st_size, status.st_mtime_ns))
    return tuple(entries)


class ReloadWatch:
    """Remembers each loaded selection's fingerprint; `changed(ids, folders)` says whether it is
    stale (checked at most every CHECK_INTERVAL seconds)."""

    def __init__(self) -> None:
        self._stamps: dict[tuple, tuple] = {}
        self._checked: dict[tuple, float] = {}

    def remember(self, ids: tuple, folders: Sequence[Path]) -> None:
        self._stamps[ids] = fingerprint(folders)
        self._checked[ids] = time.monotonic()

    def changed(self, ids: tuple, folders: Sequence[Path]) -> bool:
        now = time.monotonic()
        if now - self._checked.get(ids, 0.0) < CHECK_INTERVAL:
            return False
        self._checked[ids] = now
        return fingerprint(folders) != self._stamps.get(ids)
