"""The chat page at `/`: static files shipped in the wheel (`rails/server/ui/`), served with a
Content-Security-Policy that allows only this server's own scripts, styles and API, so text a
bot or user writes can never run as code even if it reached the page as markup."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

UI_DIR = Path(__file__).parent / "ui"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@lru_cache(maxsize=None)
def _file(relative: str) -> tuple[bytes, str, str] | None:
    """(content, content type, etag) of a file of the page, or None: only known file types
    inside the ui folder are served."""
    path = (UI_DIR / relative).resolve()
    if UI_DIR.resolve() not in path.parents or path.suffix not in CONTENT_TYPES \
            or not path.is_file():
        return None
    content = path.read_bytes()
    return content, CONTENT_TYPES[path.suffix], hashlib.sha256(content).hexdigest()[:16]


def ui_routes() -> list:
    from starlette.responses import Response
    from starlette.routing import Route

    def serve(relative: str, request: Any) -> Response:
        found = _file(relative)
        if found is None:
            return Response(status_code=404)
        content, content_type, etag = found
        headers = {**SECURITY_HEADERS, "ETag": f'"{etag}"', "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == f'"{etag}"':
            return Response(status_code=304, headers=headers)
        return Response(content, media_type=content_type, headers=headers)

    async def page(request):
        if not request.url.path.endswith("/"):  # `--prefix /x` reached as /x: the page's
            from starlette.responses import RedirectResponse  # relative links need /x/

            return RedirectResponse(request.url.path + "/", status_code=308)
        return serve("index.html", request)

    async def asset(request):
        return serve(request.path_params["path"], request)

    return [Route("/", page, methods=["GET"]), Route("/ui/{path:path}", asset, methods=["GET"])]
