"""`dialog-rails actions-server`: serve the actions of config folders and modules over HTTP."""
from __future__ import annotations

import argparse
import os
import secrets
import sys
from typing import Any

from rails.actions.wire import TOKEN_ENV
from rails.errors import RailsError

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "actions-server", help="serve actions over HTTP for `actions_server_url`",
        description="Serve the actions of config folders (actions.py, actions/) and Python "
                    "modules over HTTP (POST /v1/actions/run, GET /v1/actions/list, "
                    "GET /health), and organisations' declared LLM actions (POST/GET "
                    "/v1/actions, GET/PUT/DELETE /v1/actions/NAME, with X-Org-Id), run with "
                    "the served configs' models. Needs the `server` extra (starlette, "
                    "uvicorn).")
    parser.add_argument("--config", action="append", default=[], metavar="PATH",
                        help="config folder whose actions to serve (repeatable; default: the "
                             "current directory)")
    parser.add_argument("--module", action="append", default=[], metavar="MOD",
                        help="importable module whose @action members to serve (repeatable)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--token", default=None,
                        help=f"require `Authorization: Bearer TOKEN` (default: ${TOKEN_ENV}; "
                             "without either, a random token is made and printed)")
    parser.add_argument("--no-auth", action="store_true",
                        help="serve without a token: anyone who can reach the port can run "
                             "the actions (prints a warning)")
    parser.add_argument("--max-body", type=int, default=1024 * 1024, metavar="BYTES",
                        help="largest request body accepted (default: 1 MiB)")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                        help="longest an action may run (default: 30)")
    parser.add_argument("--threads", type=int, default=32, metavar="N",
                        help="worker threads for synchronous actions (default: 32)")
    parser.add_argument("--header-timeout", type=float, default=None, metavar="SECONDS",
                        help="a request's headers must arrive within this time (default 10)")
    parser.add_argument("--body-timeout", type=float, default=None, metavar="SECONDS",
                        help="a request's body must arrive within this time (default 30)")
    parser.add_argument("--max-connections", type=int, default=None, metavar="N",
                        help="open connections; more are answered 503 (default 1000)")
    parser.add_argument("--actions-db", metavar="FILE", default=None,
                        help="SQLite file keeping organisations' declared actions (default: a "
                             "file under ~/.local/share/dialog-rails named after the served "
                             "folders)")
    parser.add_argument("--redis-url", metavar="URL", default=None,
                        help="keep declared actions in Redis instead, shared by several "
                             "servers")
    parser.add_argument("--log-level", default="info",
                        choices=["critical", "error", "warning", "info", "debug"])
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from rails.server.actions_server import build_dispatcher, create_app

    token = args.token or os.environ.get(TOKEN_ENV) or None
    if token is not None and args.no_auth:
        print("dialog-rails actions-server: --no-auth contradicts the configured token "
              f"(--token or ${TOKEN_ENV}); drop one of them", file=sys.stderr)
        return 2
    try:
        dispatcher = build_dispatcher(args.config, args.module,
                                      include_cwd=not args.config and not args.module)
    except FileNotFoundError as error:
        print(f"dialog-rails actions-server: {error}", file=sys.stderr)
        return 2
    if dispatcher.import_errors:
        for where, error in dispatcher.import_errors:
            print(f"dialog-rails actions-server: cannot import {where}: "
                  f"{type(error).__name__}: {error}", file=sys.stderr)
        return 1
    try:
        declared = _declared_registry(args, dispatcher)
    except (RailsError, ValueError) as error:
        print(f"dialog-rails actions-server: {error}", file=sys.stderr)
        return 2
    if not dispatcher.names():
        print("dialog-rails actions-server: no actions in the served folders; organisations "
              "can declare theirs (POST /v1/actions)", file=sys.stderr)
    if args.no_auth:
        reach = ("any process on this machine" if args.host in _LOOPBACK
                 else f"anyone who can reach {args.host}")
        print(f"dialog-rails actions-server: warning: --no-auth: {reach} can run the actions",
              file=sys.stderr)
    elif token is None:
        # Never unauthenticated by accident: a token for this run, shown once, to hand to the
        # engine (which reads the same variable).
        token = secrets.token_urlsafe(24)
        print("dialog-rails actions-server: no token configured (--token or "
              f"${TOKEN_ENV}); requests need this one for this run:\n"
              f"  export {TOKEN_ENV}={token}\n"
              "set it where the engine runs (or actions_server.token in config.yml); "
              "--no-auth serves without a token", file=sys.stderr, flush=True)
    try:
        import uvicorn
    except ImportError:
        print("dialog-rails actions-server: needs uvicorn and starlette: "
              "pip install 'dialog-rails[server]'", file=sys.stderr)
        return 1
    if args.threads < 1 or args.max_body < 1 or args.timeout <= 0:
        print("dialog-rails actions-server: --threads, --max-body and --timeout must be "
              "positive", file=sys.stderr)
        return 2
    app = create_app(dispatcher, token=token, max_body=args.max_body, timeout=args.timeout,
                     threads=args.threads, declared=declared)
    print(f"dialog-rails actions-server: {len(dispatcher.names())} action(s) on "
          f"http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    from rails.server.http_protocol import configure, uvicorn_options

    try:
        configure(header_timeout=args.header_timeout, body_timeout=args.body_timeout,
                  max_connections=args.max_connections)
    except ValueError as error:
        print(f"dialog-rails actions-server: {error}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                access_log=args.log_level == "debug", **uvicorn_options())
    return 0


def _declared_registry(args: argparse.Namespace, dispatcher: Any) -> Any:
    """Organisations' declared actions, run with the models of the served configs."""
    from rails.actions.declared.registry import DeclaredActionRegistry
    from rails.actions.declared.store import open_action_store
    from rails.server.declared_actions import default_actions_db, load_served_models

    models = load_served_models(dispatcher, args.config)
    if args.redis_url:
        from rails.server.threads_redis import check_reachable

        check_reachable(args.redis_url)
    store = open_action_store(redis_url=args.redis_url,
                              sqlite_path=args.actions_db or default_actions_db(args.config))
    print(f"dialog-rails actions-server: declared actions in {store.describe()}; models: "
          f"{', '.join(sorted(models)) or 'none'}", file=sys.stderr, flush=True)
    return DeclaredActionRegistry(store, models)


def main(argv: list[str] | None = None) -> int:
    """Run the sub-command on its own (`python -m rails.cli.actions_server ...`)."""
    parser = argparse.ArgumentParser(prog="dialog-rails")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["actions-server", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
