"""Reading the files of a config folder: YAML (cached, with located errors), `.railsignore`
patterns and the deterministic directory walk of spec §5.2."""
from __future__ import annotations

import copy
import fnmatch
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from rails.config.file_limits import check_inside, max_file_bytes, read_bytes
from rails.config.yaml_safe import load_yaml
from rails.errors import ConfigError

log = logging.getLogger(__name__)

_YAML_CACHE: dict[tuple[str, str], dict] = {}
_YAML_CACHE_LIMIT = 512


def read_text(path: str, knowledge_base: bool = False) -> str:
    """A config file's text: a regular file within the size cap (file_limits), UTF-8, with
    universal newlines as `open()` would give."""
    data = read_bytes(path, max_file_bytes(knowledge_base))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                          file=path) from exc
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def parse_yaml(text: str, file: str) -> dict[str, Any]:
    """The mapping a YAML text holds (empty text -> {}); a fresh copy on every call, since the
    result is cached by (file, text)."""
    cached = _YAML_CACHE.get((file, text))
    if cached is None:
        data = load_yaml(text, file)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError("expected a mapping of config keys at the top level, got "
                              f"{type(data).__name__ if not isinstance(data, list) else 'a list'}",
                              file=file)
        if len(_YAML_CACHE) >= _YAML_CACHE_LIMIT:
            _YAML_CACHE.clear()
        _YAML_CACHE[(file, text)] = cached = data
    return copy.deepcopy(cached)


def railsignore_patterns(config_path: str) -> list[str]:
    """Patterns of the nearest `.railsignore`, looking in the config folder and then upwards to
    the filesystem root (blank lines and `#` comments skipped)."""
    folder = Path(config_path).resolve()
    for candidate in (folder, *folder.parents):
        ignore_file = candidate / ".railsignore"
        if ignore_file.is_file():
            lines = (line.strip() for line in read_text(str(ignore_file)).splitlines())
            return [line for line in lines if line and not line.startswith("#")]
    return []


def is_ignored(name: str, rel_path: str, patterns: list[str]) -> bool:
    """A file is ignored when its bare name (the reference's rule) or its path relative to the
    config folder (ours, so `drafts/*.co` works) matches a pattern."""
    posix = rel_path.replace(os.sep, "/")
    return any(fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(posix, pattern)
               for pattern in patterns)


@dataclass
class FolderContents:
    """What a walk of one config folder found, in discovery order."""

    yaml_files: list[str] = field(default_factory=list)
    colang_files: list[str] = field(default_factory=list)
    kb_documents: list[str] = field(default_factory=list)


def walk_files(root: str) -> Iterator[tuple[str, str]]:
    """(full path, path relative to root) of every file below root, sorted at every level so
    the result does not depend on the filesystem. Symlinks are followed only to places inside
    the folder (ConfigError otherwise); a link back to a folder being walked is a loop
    (ConfigError); a folder reached twice through links is walked once."""
    root_real = os.path.realpath(root)
    walked: set[str] = set()

    def walk(folder: str, real: str, ancestors: tuple[str, ...]) -> Iterator[tuple[str, str]]:
        walked.add(real)
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as exc:
            log.warning("%s: cannot list the folder (%s); skipped", folder,
                        exc.strerror or exc)
            return
        folders = []
        for entry in entries:  # files first, then subfolders: os.walk's order (the reference's)
            full = os.path.join(folder, entry.name)
            target = check_inside(root_real, full) if entry.is_symlink() else None
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False
            if is_folder:
                folders.append((full, target or os.path.realpath(full)))
            else:
                yield full, os.path.relpath(full, root)
        for full, child_real in folders:
            if child_real in ancestors or child_real == real:
                raise ConfigError(f"a symlink loop: it leads back to {child_real}, a folder "
                                  "that contains it", file=full)
            if child_real not in walked:
                yield from walk(full, child_real, ancestors + (real,))

    yield from walk(root, root_real, ())


def scan_folder(root: str) -> FolderContents:
    """Sort a folder's files into YAML, Colang and knowledge-base documents (spec §5.2)."""
    patterns = railsignore_patterns(root)
    found = FolderContents()
    for full, rel in walk_files(root):
        name = os.path.basename(full)
        if patterns and is_ignored(name, rel, patterns):
            continue
        if rel.startswith("kb"):
            # The reference tests the relative path with a prefix test, so `kbnotes.yml` or
            # `kb_old/x.md` count as knowledge base too; kept for compatibility, but said.
            if rel.split(os.sep)[0] != "kb":
                log.warning("%s: treated as a knowledge-base file because its path starts "
                            "with 'kb' (NeMo Guardrails does the same)", full)
            if name.endswith(".md"):
                found.kb_documents.append(full)
        elif name.endswith((".yml", ".yaml")):
            found.yaml_files.append(full)
        elif name.endswith(".co"):
            found.colang_files.append(full)
    return found
