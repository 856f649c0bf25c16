"""Building the chat server from plain settings, in this process or in each worker process
that uvicorn starts (which rebuild it from the settings passed in an environment variable)."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional

from rails.server.configs import ConfigRegistry
from rails.server.threads import ThreadStore, open_thread_store

SETTINGS_ENV_VAR = "DIALOG_RAILS_SERVER_SETTINGS"


@dataclass
class ServerSettings:
    config_path: str
    single: bool = False             # the path is one config (else: auto-detected)
    default_config: Optional[str] = None
    threads_db: Optional[str] = None
    redis_url: Optional[str] = None
    max_body_bytes: int = 4 * 1024 * 1024
    preload: bool = False


def build_parts(settings: ServerSettings) -> tuple[ConfigRegistry, ThreadStore]:
    """The registry and the thread store; raises ValueError (or the config's own error when
    preloading) naming what is wrong."""
    path = Path(settings.config_path)
    if settings.single:
        registry = ConfigRegistry(path, single=True, default_id=settings.default_config)
    else:
        registry = ConfigRegistry.for_path(path, default_id=settings.default_config)
    if settings.preload:
        registry.preload()
    threads = open_thread_store(
        redis_url=settings.redis_url,
        sqlite_path=Path(settings.threads_db) if settings.threads_db else None)
    return registry, threads


def build_app(settings: ServerSettings) -> Any:
    from rails.server.app import create_app

    registry, threads = build_parts(settings)
    return create_app(registry, threads, max_body_bytes=settings.max_body_bytes)


def settings_to_environment(settings: ServerSettings) -> None:
    os.environ[SETTINGS_ENV_VAR] = json.dumps(asdict(settings))


def app_from_environment() -> Any:
    """uvicorn's app factory for worker processes."""
    raw = os.environ.get(SETTINGS_ENV_VAR)
    if not raw:
        raise RuntimeError(f"{SETTINGS_ENV_VAR} is not set; start the server with "
                           "`dialog-rails serve`")
    return build_app(ServerSettings(**json.loads(raw)))
