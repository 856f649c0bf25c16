"""NeMo's server hooks (`nemoguardrails.server.api`): loggers called with every chat request,
a DataStore for threads, red-teaming challenges at `GET /v1/challenges`, and the `config.py`
at the root of a folder of configs, whose `init(app)` runs at start-up and may register them.

Register from that `config.py` (or from code before the app is built):

    from nemoguardrails.server.api import register_datastore, register_logger

    def init(app):
        register_logger(my_async_logger)      # called with {"endpoint", "body"}
        register_datastore(MyStore())         # async get(key) / set(key, value)
"""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, Callable, Optional

log = logging.getLogger("rails.server")

registered_loggers: list[Callable] = []
challenges: list = []
datastore: Any = None
_pending: set = set()  # logger tasks in flight (kept so they are not collected early)


def register_logger(logger: Callable) -> None:
    registered_loggers.append(logger)


def register_datastore(datastore_instance: Any) -> None:
    global datastore
    datastore = datastore_instance


def register_challenges(additional_challenges: list) -> None:
    challenges.extend(additional_challenges)


def notify_loggers(endpoint: str, body: Any) -> None:
    """Hands the request to each logger as NeMo does (`{"endpoint", "body"}` with the body as
    JSON text), without waiting: a slow or failing logger never holds up the answer."""
    if not registered_loggers:
        return
    entry = {"endpoint": endpoint, "body": json.dumps(body, default=str)}
    for logger in list(registered_loggers):
        task = asyncio.ensure_future(_call(logger, entry))
        _pending.add(task)
        task.add_done_callback(_pending.discard)


async def _call(logger: Callable, entry: dict) -> None:
    try:
        result = logger(entry)
        if asyncio.iscoroutine(result):
            await result
    except Exception:
        log.exception("a registered logger failed")


def start_up(root: Optional[Path], app: Any) -> None:
    """At start-up, for a folder of configs: its `challenges.json`, then its `config.py`'s
    `init(app)` (a single config's own config.py is the config's, run by LLMRails)."""
    if root is None or not root.is_dir() or (root / "config.yml").exists() \
            or (root / "config.yaml").exists():
        return
    found = root / "challenges.json"
    if found.is_file():
        try:
            loaded = json.loads(found.read_text(encoding="utf-8"))
        except ValueError as error:
            raise ValueError(f"{found}: not valid JSON: {error}") from error
        if not isinstance(loaded, list):
            raise ValueError(f"{found}: must hold a JSON list of challenges")
        register_challenges(loaded)
    module_path = root / "config.py"
    if module_path.is_file():
        from rails.config.python import load_config_module

        module = load_config_module(str(module_path))
        if module is not None and callable(getattr(module, "init", None)):
            module.init(app)
