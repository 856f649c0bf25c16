"""`dialog-rails serve`: the OpenAI-compatible chat-completions server over rails configs."""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import logging
import sys
import tempfile
from pathlib import Path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve", help="serve rails configs over an OpenAI-compatible HTTP API",
        description="Serve rails configs over an HTTP API compatible with OpenAI's chat "
                    "completions. Each sub-folder of --config-dir is a config, selected by "
                    "`model` or `config_id` in the request.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--config-dir", metavar="DIR",
                        help="folder whose sub-folders are configs (or which is one config)")
    source.add_argument("--config", metavar="PATH", help="serve this single config folder")
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--default-config", "--default-config-id", metavar="ID",
                        help="config used when a request names none (default: the only one)")
    parser.add_argument("--threads-db", metavar="FILE",
                        help="SQLite file keeping conversation threads (default: a file in the "
                             "temp folder named after the config folder)")
    parser.add_argument("--redis-url", metavar="URL",
                        help="keep threads in Redis instead, shared by several servers")
    parser.add_argument("--max-body-bytes", type=int, default=4 * 1024 * 1024,
                        help="largest accepted request body (default 4 MiB)")
    parser.add_argument("--preload", action="store_true",
                        help="load every config at start-up and stop if one is broken")
    parser.add_argument("--verbose", action="store_true", help="log every turn")
    parser.set_defaults(func=run)


def default_threads_db(config_root: Path) -> Path:
    """Stable across restarts for the same config folder, and outside it (config folders are
    often read-only or under version control)."""
    digest = hashlib.sha256(str(config_root.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"dialog-rails-threads-{config_root.name}-{digest}.sqlite3"


def run(args: argparse.Namespace) -> int:
    missing = [name for name in ("uvicorn", "starlette") if importlib.util.find_spec(name) is None]
    if missing:
        print(f"dialog-rails serve needs the server extra ({', '.join(missing)} missing): "
              "pip install 'dialog-rails[server]'", file=sys.stderr)
        return 1
    from rails.errors import RailsError
    from rails.server.api_errors import ApiError
    from rails.server.app import create_app
    from rails.server.configs import ConfigRegistry
    from rails.server.threads import open_thread_store

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.config:
            registry = ConfigRegistry(Path(args.config), single=True,
                                      default_id=args.default_config)
        else:
            registry = ConfigRegistry.for_path(Path(args.config_dir),
                                               default_id=args.default_config)
        if args.preload:
            registry.preload()
        threads_db = Path(args.threads_db) if args.threads_db else default_threads_db(
            registry.root)
        if args.redis_url:
            from rails.server.threads_redis import check_reachable

            check_reachable(args.redis_url)
        threads = open_thread_store(redis_url=args.redis_url, sqlite_path=threads_db)
    except ApiError as error:
        print(f"dialog-rails serve: {error.message}", file=sys.stderr)
        return 1
    except (ValueError, RailsError) as error:
        print(f"dialog-rails serve: {error}", file=sys.stderr)
        return 1

    app = create_app(registry, threads, max_body_bytes=args.max_body_bytes)
    import uvicorn

    print(f"dialog-rails: serving {', '.join(registry.available())} on "
          f"http://{args.host}:{args.port} (threads: {threads.describe()})", file=sys.stderr,
          flush=True)
    uvicorn.run(app, host=args.host, port=args.port,
                log_level="info" if args.verbose else "warning")
    return 0
