"""The chat page at `/`: static files shipped in the wheel (`rails/server/ui/`), served with a
Content-Security-Policy that allows only this server's own scripts, styles and API, so text a
bot or user writes can never run as code even if it reached the page as markup.

The stylesheet and the scripts are inlined into the page when the routes are built (the
modules joined into one script by `ui_bundle`): a linked stylesheet holds the first paint for
one more request, and modules cost a request per import level. The policy admits the inlined
`<style>` and `<script>` by their SHA-256 (never 'unsafe-inline'), computed from the served
text, so an edited file cannot drift from its hash."""
from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from rails.server.ui_bundle import bundle

UI_DIR = Path(__file__).parent / "ui"
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
STYLESHEET_LINK = '<link rel="stylesheet" href="ui/style.css">'
SCRIPT_TAG = '<script type="module" src="ui/js/main.js"></script>'
POLICY = ("default-src 'none'; script-src 'self' {script_hash}; style-src 'self' {style_hash}; "
          "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
          "frame-ancestors 'none'")


def _etag(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:16]


@lru_cache(maxsize=None)
def _file(relative: str) -> tuple[bytes, str, str] | None:
    """(content, content type, etag) of a file of the page, or None: only known file types
    inside the ui folder are served."""
    path = (UI_DIR / relative).resolve()
    if UI_DIR.resolve() not in path.parents or path.suffix not in CONTENT_TYPES \
            or not path.is_file():
        return None
    content = path.read_bytes()
    return content, CONTENT_TYPES[path.suffix], _etag(content)


def _inline_text(text: str, tag: str) -> tuple[str, str]:
    """(the text as the browser will hash it, the CSP source admitting it)."""
    # The HTML parser turns CR LF into LF before the browser hashes the element's text.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if f"</{tag}" in text.lower():
        raise RuntimeError(f"{UI_DIR}: an inlined <{tag}> must not contain '</{tag}'")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return text, f"'sha256-{digest}'"


@lru_cache(maxsize=None)
def _page() -> tuple[bytes, dict[str, str]]:
    """(index.html with style.css and the bundled scripts inlined, the CSP hashes of both)."""
    html = (UI_DIR / "index.html").read_text("utf-8")
    if html.count(STYLESHEET_LINK) != 1 or html.count(SCRIPT_TAG) != 1:
        raise RuntimeError(f"{UI_DIR}: index.html must link the stylesheet once as "
                           f"{STYLESHEET_LINK!r} and the script once as {SCRIPT_TAG!r}")
    css, style_hash = _inline_text((UI_DIR / "style.css").read_text("utf-8"), "style")
    script, script_hash = _inline_text(bundle(UI_DIR / "js" / "main.js"), "script")
    html = html.replace(STYLESHEET_LINK, f"<style>{css}</style>")
    html = html.replace(SCRIPT_TAG, f'<script type="module">{script}</script>')
    return html.encode("utf-8"), {"style_hash": style_hash, "script_hash": script_hash}


def security_headers() -> dict[str, str]:
    return {"Content-Security-Policy": POLICY.format(**_page()[1]),
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def ui_routes() -> list:
    from starlette.responses import Response
    from starlette.routing import Route

    page_content = _page()[0]
    page_file = (page_content, CONTENT_TYPES[".html"], _etag(page_content))
    headers_of_every_file = security_headers()

    def serve(found: tuple[bytes, str, str] | None, request: Any) -> Response:
        if found is None:
            return Response(status_code=404)
        content, content_type, etag = found
        headers = {**headers_of_every_file, "ETag": f'"{etag}"', "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == f'"{etag}"':
            return Response(status_code=304, headers=headers)
        return Response(content, media_type=content_type, headers=headers)

    async def page(request):
        if not request.url.path.endswith("/"):  # `--prefix /x` reached as /x: the page's
            from starlette.responses import RedirectResponse  # relative links need /x/

            return RedirectResponse(request.url.path + "/", status_code=308)
        return serve(page_file, request)

    async def asset(request):
        return serve(_file(request.path_params["path"]), request)

    return [Route("/", page, methods=["GET"]), Route("/ui/{path:path}", asset, methods=["GET"])]
