"""Settings that reach the application from `serve`/`server` flags (worker processes rebuild
the app from the same settings)."""
from __future__ import annotations

import asyncio

import httpx

from rails.server.factory import ServerSettings, build_app


def test_disable_chat_ui_reaches_the_app(tmp_path, served_configs):
    for chat_ui in (True, False):
        settings = ServerSettings(config_path=str(served_configs), chat_ui=chat_ui,
                                  threads_db=str(tmp_path / f"t{chat_ui}.sqlite3"))
        assert build_app(settings).state.chat_ui is chat_ui


def test_prefix_moves_every_route(tmp_path, served_configs):
    settings = ServerSettings(config_path=str(served_configs), prefix="/rails/",
                              threads_db=str(tmp_path / "t.sqlite3"))
    app = build_app(settings)

    async def get(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x") as client:
            return await client.get(path)

    assert asyncio.run(get("/rails/health")).json() == {"status": "ok"}
    assert asyncio.run(get("/rails/v1/models")).status_code == 200
    missing = asyncio.run(get("/v1/models"))
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"


def test_a_prefix_must_start_with_a_slash(tmp_path, served_configs):
    import pytest

    settings = ServerSettings(config_path=str(served_configs), prefix="rails",
                              threads_db=str(tmp_path / "t.sqlite3"))
    with pytest.raises(ValueError, match="must start with '/'"):
        build_app(settings)
