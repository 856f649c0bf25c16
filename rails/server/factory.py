"""Building the chat server from plain settings, in this process or in each worker process
that uvicorn starts (which rebuild it from the settings passed in an environment variable)."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
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
    # `server --config A --config B`: several folders, each a config or a folder of configs.
    config_paths: list[str] = field(default_factory=list)
    prefix: str = ""                 # every route under this path (NeMo's --prefix)
    chat_ui: bool = True             # NeMo's --disable-chat-ui turns it off
    auto_reload: bool = False        # reload a config when its files change
    # Connection limits (rails.server.http_protocol); None keeps the defaults.
    header_timeout: Optional[float] = None
    body_timeout: Optional[float] = None
    max_connections: Optional[int] = None
    token: Optional[str] = None      # required on the API routes when set (rails.server.auth)
    # X-User-Id / X-User-Roles / X-Org-Id say who the user is (rails.server.identity)
    trust_identity_headers: bool = False
    tune_gc: bool = False            # server processes only (rails.server.gc_tuning)


def build_parts(settings: ServerSettings) -> tuple[ConfigRegistry, ThreadStore]:
    """The registry and the thread store; raises ValueError (or the config's own error when
    preloading) naming what is wrong."""
    path = Path(settings.config_path)
    if len(settings.config_paths) > 1:
        registry = ConfigRegistry.for_paths([Path(item) for item in settings.config_paths],
                                            default_id=settings.default_config)
    elif settings.single:
        registry = ConfigRegistry(path, single=True, default_id=settings.default_config)
    else:
        registry = ConfigRegistry.for_path(path, default_id=settings.default_config)
    if settings.preload:
        registry.preload()
    if settings.auto_reload:
        registry.enable_auto_reload()
    threads = open_thread_store(
        redis_url=settings.redis_url,
        sqlite_path=Path(settings.threads_db) if settings.threads_db else None)
    return registry, threads


def build_app(settings: ServerSettings, parts: Optional[tuple] = None) -> Any:
    """The application for `settings` (from already built `parts`, if given), with this
    process's connection limits set."""
    from rails.server.app import create_app
    from rails.server.http_protocol import configure
    from rails.server.prefix import PrefixedApp, normalize_prefix

    configure(header_timeout=settings.header_timeout, body_timeout=settings.body_timeout,
              max_connections=settings.max_connections)
    registry, threads = parts or build_parts(settings)
    if settings.tune_gc:
        from rails.server.gc_tuning import tune_for_serving

        registry.freeze_after_load = True
        tune_for_serving()
    app = create_app(registry, threads, max_body_bytes=settings.max_body_bytes,
                     chat_ui=settings.chat_ui,
                     trust_identity_headers=settings.trust_identity_headers)
    if settings.token:
        from rails.server.auth import BearerToken

        app = BearerToken(app, settings.token)
    prefix = normalize_prefix(settings.prefix)
    return PrefixedApp(app, prefix) if prefix else app


def settings_to_environment(settings: ServerSettings) -> None:
    os.environ[SETTINGS_ENV_VAR] = json.dumps(asdict(settings))


def app_from_environment() -> Any:
    """uvicorn's app factory for worker processes."""
    raw = os.environ.get(SETTINGS_ENV_VAR)
    if not raw:
        raise RuntimeError(f"{SETTINGS_ENV_VAR} is not set; start the server with "
                           "`dialog-rails serve`")
    return build_app(ServerSettings(**json.loads(raw)))
