"""What a config folder may contain, checked before a byte is read: regular files only (a FIFO
would block the load, `/dev/zero` would never end), a size cap per file, symlinks that stay
inside the config folder. The caps can be raised through environment variables, read at
every load (a config cannot raise its own limits)."""
from __future__ import annotations

import os
import stat

from rails.errors import ConfigError

# Defaults, documented in docs/limits.md. `.co` and YAML files are hand-written: 5 MiB is far
# above any real one. Knowledge-base documents may be exported manuals: 50 MiB.
DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_KB_FILE_BYTES = 50 * 1024 * 1024
MAX_FILE_BYTES_ENV = "DIALOG_RAILS_MAX_FILE_BYTES"
MAX_KB_FILE_BYTES_ENV = "DIALOG_RAILS_MAX_KB_FILE_BYTES"

_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory",
}


def max_file_bytes(knowledge_base: bool = False) -> int:
    name, default = ((MAX_KB_FILE_BYTES_ENV, DEFAULT_MAX_KB_FILE_BYTES) if knowledge_base
                     else (MAX_FILE_BYTES_ENV, DEFAULT_MAX_FILE_BYTES))
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        parsed = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of bytes, got {value!r}") from None
    if parsed <= 0:
        raise ConfigError(f"{name} must be a positive number of bytes, got {value!r}")
    return parsed


def kind_of(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def read_bytes(path: str, limit: int) -> bytes:
    """The content of a regular file of at most `limit` bytes; anything else is a ConfigError
    naming the file and the reason. Opening is non-blocking, so a FIFO put in place between the
    check and the open still cannot hang the load."""
    try:
        status = os.stat(path)
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", file=path) from exc
    if not stat.S_ISREG(status.st_mode):
        raise ConfigError(f"{kind_of(status.st_mode)}, not a regular file: only regular files "
                          "are read from a config", file=path)
    if status.st_size > limit:
        raise ConfigError(_too_large(status.st_size, limit), file=path)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror or exc}", file=path) from exc
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise ConfigError("not a regular file: only regular files are read from a config",
                              file=path)
        data = handle.read(limit + 1)  # the file may have grown since stat
    if len(data) > limit:
        raise ConfigError(_too_large(len(data), limit), file=path)
    return data


def _too_large(size: int, limit: int) -> str:
    return (f"the file is larger than the limit of {limit:,} bytes ({size:,} bytes or more); "
            f"raise {MAX_FILE_BYTES_ENV} (or {MAX_KB_FILE_BYTES_ENV} for kb/ documents) if it "
            "is meant to be this large")


def check_inside(root_real: str, path: str) -> str:
    """The real path of `path`, which must lie inside the config folder whose real path is
    `root_real` (a symlink may point to another file of the folder, never outside it)."""
    real = os.path.realpath(path)
    if real != root_real and not real.startswith(root_real.rstrip(os.sep) + os.sep):
        raise ConfigError(f"a symlink that leads outside the config folder (to {real}); only "
                          "links to files inside the folder are followed; list other folders "
                          "in import_paths instead", file=path)
    return real
