"""The chat page in a real headless Chromium (Debian's `chromium`, driven by Playwright)
against `dialog-rails serve` as a real process on loopback. A failing test saves a screenshot
under its temporary directory and names it in the failure."""
from __future__ import annotations

import os
import shutil

import pytest

from tests.server_processes import ServerProcess

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable = None
    if executable is None:
        reason = "no chromium on PATH or no playwright: .ci/run installs both"
        if os.environ.get("CI"):
            pytest.fail(reason)  # CI must really run the browser tests
        pytest.skip(reason)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    page = getattr(item, "_chat_page", None)
    if report.when == "call" and report.failed and page is not None:
        path = item.funcargs["tmp_path"] / "failure.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            report.sections.append(("screenshot", f"the page at the failure: {path}"))
            report.longrepr = f"{report.longrepr}\n\nscreenshot of the page: {path}"
        except Exception as error:  # the browser may be the thing that failed
            report.sections.append(("screenshot", f"no screenshot: {error}"))


@pytest.fixture
def page(browser, request, tmp_path):
    context = browser.new_context()
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    request.node._chat_page = opened
    opened.errors = errors
    yield opened
    context.close()


@pytest.fixture
def serve(tmp_path):
    """Starts `dialog-rails serve` over a config folder: serve(root, *extra_args)."""
    started: list[ServerProcess] = []

    def start(root, *args: str, env=None) -> ServerProcess:
        server = ServerProcess(["--config-dir", str(root), "--threads-db",
                                str(tmp_path / f"threads{len(started)}.sqlite3"), *args],
                               env=env).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
