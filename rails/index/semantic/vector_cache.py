"""Vectors kept on disk between processes, keyed by model and text, so a restart encodes only
the texts it has not seen. One file per model (`<cache dir>/vectors/<model>.npz`: the sha1 of
each text and its vector); a changed text has another key, a changed model another file. The
file is replaced atomically; one that cannot be read is rebuilt with a warning."""
from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable, Optional

log = logging.getLogger("rails.index")

# Entries kept per model file; the oldest go first, so the file stays a few MB.
MAX_ENTRIES = 50_000


def vectors_dir() -> Optional[Path]:
    """`vectors/` in the cache directory (`$DIALOG_RAILS_CACHE_DIR`, ...); None when caching
    is off (`DIALOG_RAILS_NO_CACHE`) or no directory can be written."""
    from rails.lang.locations import cache_dir

    base = cache_dir()
    return Path(base) / "vectors" if base else None


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).hexdigest().encode("ascii")


class VectorCache:
    """`vectors(texts, encode)` -> an (n, d) float32 matrix: cached rows where the file has
    them, `encode(missing texts)` for the others (then written back)."""

    def __init__(self, model_id: str, folder: Optional[Path] = None):
        self.model_id = model_id
        folder = folder if folder is not None else vectors_dir()
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)[:80]
        digest = hashlib.sha1(model_id.encode()).hexdigest()[:10]
        self.path = folder / f"{slug}-{digest}.npz" if folder is not None else None
        self.hits = self.misses = 0

    def vectors(self, texts: list[str], encode: Callable[[list[str]], Any]) -> Any:
        import numpy as np

        keys, vectors = self._load()
        known = {key: row for row, key in enumerate(keys)}
        wanted = [text_key(text) for text in texts]
        missing = list(dict.fromkeys(k for k in wanted if k not in known))
        self.hits, self.misses = len(wanted) - len(missing), len(missing)
        if missing:
            by_key = {key: text for key, text in zip(wanted, texts)}
            fresh = np.asarray(encode([by_key[key] for key in missing]), dtype=np.float32)
            if vectors is not None and vectors.shape[1] != fresh.shape[1]:
                keys, vectors, known = [], None, {}
            base = len(keys)
            keys = keys + missing
            vectors = fresh if vectors is None else np.vstack([vectors, fresh])
            known.update({key: base + i for i, key in enumerate(missing)})
            self._store(keys, vectors)
        if vectors is None:
            return np.zeros((0, 0), dtype=np.float32)
        return vectors[[known[key] for key in wanted]]

    def _load(self) -> tuple[list[bytes], Any]:
        import numpy as np

        if self.path is None or not self.path.exists():
            return [], None
        try:
            with np.load(self.path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
                if (keys.ndim != 1 or vectors.ndim != 2 or len(keys) != len(vectors)
                        or vectors.dtype != np.float32):
                    raise ValueError("keys and vectors do not match")
                return [bytes(key) for key in keys], np.array(vectors)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            log.warning("vector cache file %s is unreadable (%s: %s); rebuilding it",
                        self.path, type(exc).__name__, exc)
            return [], None

    def _store(self, keys: list[bytes], vectors: Any) -> None:
        import numpy as np

        if self.path is None:
            return
        if len(keys) > MAX_ENTRIES:
            keys, vectors = keys[-MAX_ENTRIES:], vectors[-MAX_ENTRIES:]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as out:
                    np.savez(out, keys=np.array(keys, dtype="S40"), vectors=vectors)
                os.replace(temporary, self.path)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as exc:  # a read-only cache only costs encoding time next start
            log.warning("could not write the vector cache %s: %s", self.path, exc)
