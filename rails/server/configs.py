"""Which rails configs the server offers, and one loaded `LLMRails` per config combination.

A config id is the name of a sub-folder of the config directory (or, when the directory is
itself a config, its own name). Loading happens once per combination, on first use, off the
event loop; concurrent first requests wait for the same load. Failed loads are not cached, so
a fixed config works on the next request without a restart."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from rails.server.api_errors import ApiError

log = logging.getLogger("rails.server")

Loader = Callable[[Sequence[Path]], Any]


def is_config_folder(path: Path) -> bool:
    """A sub-folder that holds a config (hidden and `_private` folders never count)."""
    return not path.name.startswith((".", "_")) and has_config_files(path)


def has_config_files(path: Path) -> bool:
    return path.is_dir() and ((path / "config.yml").is_file()
                              or (path / "config.yaml").is_file() or any(path.glob("*.co")))


def load_rails(paths: Sequence[Path]) -> Any:
    """The default loader: RailsConfig.from_path for each folder, combined with `+`."""
    from rails import LLMRails, RailsConfig

    config = None
    for path in paths:
        loaded = RailsConfig.from_path(str(path))
        config = loaded if config is None else config + loaded
    return LLMRails(config)


class ConfigRegistry:
    def __init__(self, root: Path, *, single: bool = False, default_id: Optional[str] = None,
                 loader: Loader = load_rails):
        self._setup(root.resolve(), single, loader, None)
        if not self.root.is_dir():
            raise ValueError(f"config directory {str(root)!r} does not exist or is not a folder")
        if single and not has_config_files(self.root):
            raise ValueError(f"{str(root)!r} is not a config folder (no config.yml or .co "
                             "files); to serve the configs in its sub-folders, use --config-dir")
        if not self.available():
            raise ValueError(f"no rails config found in {str(root)!r}: expected sub-folders "
                             "holding a config.yml or .co files")
        self.default_id = self._default(default_id)

    def _setup(self, root: Path, single: bool, loader: Loader,
               folders: Optional[dict[str, Path]]) -> None:
        self.root = root
        self.single = single
        self._loader = loader
        self._folders = folders  # explicit id -> folder (several --config paths), else None
        self._loaded: dict[tuple[str, ...], Any] = {}
        self._loading: dict[tuple[str, ...], asyncio.Future] = {}
        self.reload_watch = None  # a ReloadWatch when serving with --auto-reload
        self.freeze_after_load = False  # set by the server (rails.server.gc_tuning)

    def enable_auto_reload(self) -> None:
        from rails.server.reload import ReloadWatch

        self.reload_watch = ReloadWatch()

    def _default(self, default_id: Optional[str]) -> Optional[str]:
        available = self.available()
        if default_id is not None and default_id not in available:
            raise ValueError(f"default config {default_id!r} is not among the configs; "
                             f"available: {', '.join(available)}")
        return default_id or (available[0] if len(available) == 1 else None)

    @classmethod
    def for_paths(cls, paths: Sequence[Path], *, default_id: Optional[str] = None,
                  loader: Loader = load_rails) -> "ConfigRegistry":
        """Several folders, each a config or a folder of configs (`server --config A --config
        B`): every config they hold, by folder name; a name found twice is an error."""
        if len(paths) == 1:
            return cls.for_path(paths[0], default_id=default_id, loader=loader)
        folders: dict[str, Path] = {}
        for path in map(Path, paths):
            if not path.is_dir():
                raise ValueError(f"config directory {str(path)!r} does not exist or is not a "
                                 "folder")
            found = ([path] if has_config_files(path) else
                     sorted(child for child in path.iterdir() if is_config_folder(child)))
            if not found:
                raise ValueError(f"no rails config found in {str(path)!r}")
            for folder in found:
                if folder.name in folders:
                    raise ValueError(f"two configs are named {folder.name!r}: "
                                     f"{folders[folder.name]} and {folder}")
                folders[folder.name] = folder.resolve()
        registry = cls.__new__(cls)
        registry._setup(Path(paths[0]).resolve().parent, False, loader, folders)
        registry.default_id = registry._default(default_id)
        return registry

    @classmethod
    def for_path(cls, path: Path, *, default_id: Optional[str] = None,
                 loader: Loader = load_rails) -> "ConfigRegistry":
        """A folder that is itself a config serves just that config; otherwise each config
        sub-folder is one."""
        path = Path(path)
        single = (path / "config.yml").is_file() or (path / "config.yaml").is_file()
        return cls(path, single=single, default_id=default_id, loader=loader)

    def available(self) -> list[str]:
        """The config ids, rescanned each time so new folders appear without a restart."""
        if self.single:
            return [self.root.name]
        if self._folders is not None:
            return sorted(self._folders)
        return sorted(child.name for child in self.root.iterdir() if is_config_folder(child))

    def resolve(self, config_ids: Optional[list[str]], model: Optional[str]) -> tuple[str, ...]:
        """The config ids a request selects: `config_id(s)`, else `model`, else the default."""
        # Fast path: a loaded selection needs no directory scan.
        wanted = tuple(config_ids) if config_ids else (model,) if model else (
            (self.default_id,) if self.default_id else None)
        if wanted in self._loaded:
            return wanted
        available = self.available()
        if config_ids:
            unknown = [item for item in config_ids if item not in available]
            if unknown:
                raise _not_found(f"unknown config id(s) {', '.join(map(repr, unknown))}",
                                 available, "config_ids")
            return tuple(config_ids)
        if model:
            if model not in available:
                raise _not_found(f"the model {model!r} names no rails config", available,
                                 "model")
            return (model,)
        if self.default_id is None:
            raise ApiError(400, "no config selected: set `model` or `config_id` (the server "
                           f"has several and no default); available: {', '.join(available)}",
                           param="model", code="config_required",
                           extra={"available": available})
        return (self.default_id,)

    async def get(self, ids: tuple[str, ...]) -> Any:
        """The LLMRails for `ids`, loading it on first use."""
        rails = self._loaded.get(ids)
        if rails is not None:
            watch = self.reload_watch
            if watch is None or not watch.changed(ids, [self._path(i) for i in ids]):
                return rails
            log.warning("config %s changed on disk; loading it again", "+".join(ids))
            self._loaded.pop(ids, None)
        future = self._loading.get(ids)
        if future is None:
            future = asyncio.ensure_future(self._load(ids))
            self._loading[ids] = future
            future.add_done_callback(lambda _: self._loading.pop(ids, None))
        return await asyncio.shield(future)

    def preload(self) -> None:
        """Loads every config now (synchronously), so a broken one stops start-up instead of
        failing its first request."""
        for config_id in self.available():
            ids = (config_id,)
            try:
                self._loaded[ids] = self._loader([self._path(config_id)])
            except Exception as error:
                raise config_load_error(ids, error) from error

    async def aclose(self) -> None:
        """Closes the pooled connections of every loaded config (at server shutdown)."""
        for rails in list(self._loaded.values()):
            close = getattr(rails, "aclose", None)
            if close is not None:
                try:
                    await close()
                except Exception:
                    log.exception("closing the connections of a config failed")

    def _path(self, config_id: str) -> Path:
        if self._folders is not None:
            return self._folders[config_id]
        return self.root if self.single else self.root / config_id

    async def _load(self, ids: tuple[str, ...]) -> Any:
        paths = [self._path(item) for item in ids]
        if self.reload_watch is not None:
            self.reload_watch.remember(ids, paths)  # before loading: edits during it count
        try:
            rails = await asyncio.to_thread(self._loader, paths)
        except Exception as error:
            log.exception("loading config %s failed", "+".join(ids))
            raise config_load_error(ids, error) from error
        self._loaded[ids] = rails
        log.info("loaded config %s", "+".join(ids))
        if self.freeze_after_load:
            from rails.server.gc_tuning import freeze_loaded

            freeze_loaded()  # a loaded config lives as long as the server
        return rails


def config_load_error(ids: Sequence[str], error: Exception) -> ApiError:
    from rails.errors import ColangSyntaxError, ConfigError

    name = "+".join(ids)
    if isinstance(error, (ConfigError, ColangSyntaxError)):
        message = f"config {name!r} is invalid: {error}"
    else:
        message = f"config {name!r} could not be loaded: {type(error).__name__}: {error}"
    return ApiError(500, message, type="config_error", code="config_invalid")


def _not_found(message: str, available: list[str], param: str) -> ApiError:
    return ApiError(404, f"{message}; available: {', '.join(available) or '(none)'}",
                    param=param, code="config_not_found", extra={"available": available})
