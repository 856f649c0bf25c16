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
    _add_common(parser)
    parser.set_defaults(func=run)

    # NeMo Guardrails' name and flags, so `nemoguardrails server ...` command lines port.
    nemo = subparsers.add_parser(
        "server", help="`serve` under NeMo Guardrails' name and flags",
        description="The same server as `serve`, with NeMo Guardrails' flags: --config (a "
                    "folder of configs or one config; repeatable; default ./config), --port, "
                    "--prefix, --disable-chat-ui, --auto-reload, --default-config-id.")
    nemo.add_argument("--config", action="append", default=[], metavar="PATH", dest="configs",
                      help="a folder of configs, or one config folder (repeatable)")
    _add_common(nemo)
    nemo.set_defaults(func=run_server)


def _add_common(parser) -> None:
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
    parser.add_argument("--header-timeout", type=float, default=None, metavar="SECONDS",
                        help="a request's headers must arrive within this time (default 10)")
    parser.add_argument("--body-timeout", type=float, default=None, metavar="SECONDS",
                        help="a request's body must arrive within this time (default 30)")
    parser.add_argument("--max-connections", type=int, default=None, metavar="N",
                        help="open connections per worker; more are answered 503 "
                             "(default 1000)")
    parser.add_argument("--prefix", default="", metavar="PATH",
                        help="serve every route under this path, e.g. /guardrails")
    parser.add_argument("--disable-chat-ui", action="store_true",
                        help="do not offer the browser chat page")
    parser.add_argument("--auto-reload", action="store_true",
                        help="load a config again when its files change (for development)")
    parser.add_argument("--preload", action="store_true",
                        help="load every config at start-up and stop if one is broken")
    parser.add_argument("--token", metavar="TOKEN", default=None,
                        help="require `Authorization: Bearer TOKEN` on the API routes (default: "
                             "$DIALOG_RAILS_SERVER_TOKEN; none: open)")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes (default 1); they share threads through the "
                             "SQLite file or Redis")
    parser.add_argument("--trust-identity-headers", action="store_true",
                        help="take the user's id, roles and organisation from the X-User-Id, "
                             "X-User-Roles and X-Org-Id headers (only behind a gateway that "
                             "authenticates users and sets them)")
    parser.add_argument("--verbose", action="store_true", help="log every turn")


def run_server(args: argparse.Namespace) -> int:
    """`server`: NeMo's --config list (default ./config) mapped onto `serve`'s settings."""
    configs = args.configs or ["config"]
    for path in configs:
        if not Path(path).is_dir():
            hint = (" (without --config, the folder ./config is served)"
                    if not args.configs else "")
            print(f"dialog-rails server: config folder {path!r} does not exist{hint}",
                  file=sys.stderr)
            return 1
    args.config, args.config_dir = None, configs[0]
    args.config_paths = [str(Path(path).resolve()) for path in configs]
    return run(args)


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
    from rails.server.auth import server_token
    from rails.server.factory import ServerSettings, build_parts

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.workers < 1:
        print("dialog-rails serve: --workers must be at least 1", file=sys.stderr)
        return 1
    config_path = Path(args.config or args.config_dir)
    settings = ServerSettings(
        config_path=str(config_path.resolve()), single=bool(args.config),
        default_config=args.default_config, redis_url=args.redis_url,
        threads_db=None if args.redis_url else str(
            Path(args.threads_db).resolve() if args.threads_db
            else default_threads_db(config_path)),
        max_body_bytes=args.max_body_bytes, preload=args.preload,
        config_paths=getattr(args, "config_paths", []), prefix=args.prefix,
        chat_ui=not args.disable_chat_ui, auto_reload=args.auto_reload,
        header_timeout=args.header_timeout, body_timeout=args.body_timeout,
        max_connections=args.max_connections, token=server_token(args.token),
        trust_identity_headers=args.trust_identity_headers, tune_gc=True)
    try:
        from rails.server.http_protocol import configure
        from rails.server.prefix import normalize_prefix

        prefix = normalize_prefix(args.prefix)
        configure(header_timeout=args.header_timeout, body_timeout=args.body_timeout,
                  max_connections=args.max_connections)
        if args.redis_url:
            from rails.server.threads_redis import check_reachable

            check_reachable(args.redis_url)
        registry, threads = build_parts(settings)
    except ApiError as error:
        print(f"dialog-rails serve: {error.message}", file=sys.stderr)
        return 1
    except (ValueError, RailsError) as error:
        print(f"dialog-rails serve: {error}", file=sys.stderr)
        return 1

    import uvicorn

    from rails.server.factory import build_app
    from rails.server.http_protocol import uvicorn_options

    print(f"dialog-rails: serving {', '.join(registry.available())} on "
          f"http://{args.host}:{args.port}{prefix} with {args.workers} worker(s) "
          f"(threads: {threads.describe()})", file=sys.stderr, flush=True)
    log_level = "info" if args.verbose else "warning"
    if args.workers == 1:
        uvicorn.run(build_app(settings, (registry, threads)), host=args.host, port=args.port,
                    log_level=log_level, **uvicorn_options())
        return 0
    # Each worker process builds its own app from the same settings; threads are shared
    # through the SQLite file or Redis.
    import asyncio

    from rails.server.factory import settings_to_environment
    from rails.server.workers import run_workers

    asyncio.run(threads.close())  # this process only supervises the workers
    settings_to_environment(settings)
    try:
        run_workers("rails.server.factory:app_from_environment", args.workers, args.host,
                    args.port, {"log_level": log_level, **uvicorn_options()})
    except OSError as error:
        print(f"dialog-rails serve: {error}", file=sys.stderr)
        return 1
    return 0
