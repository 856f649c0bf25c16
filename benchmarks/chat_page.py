"""First paint of the chat page on loopback, in headless Chromium (Debian's `chromium`).

Starts `dialog-rails serve` over config_examples/, loads `/` N times in fresh browser
contexts (nothing cached) and prints the median and worst first contentful paint and the
time until the config list is filled (the first API call done), beside the same figure for a
one-line HTML page (the floor of this browser on this machine). Goal: first paint < 100 ms.

    python benchmarks/chat_page.py [--loads 20]
"""
from __future__ import annotations

import argparse
import http.server
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def first_paint(page) -> float:
    return page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime")


def floor_paints(browser, loads: int) -> list[float]:
    """First paint of a one-line page from a stdlib server: what no page can beat here."""
    class Plain(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><title>x</title><p>dialog-rails</p>"
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Plain)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    paints = []
    for _ in range(loads):
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length")
        paints.append(first_paint(page))
        context.close()
    server.shutdown()
    return paints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=20)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as scratch:
        server = subprocess.Popen(
            [sys.executable, "-m", "rails", "serve", "--config-dir", str(ROOT / "config_examples"),
             "--threads-db", os.path.join(scratch, "threads.db"), "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    if httpx.get(base + "/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.05)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                                     args=ARGS)
                paints, ready = [], []
                for _ in range(args.loads):
                    context = browser.new_context(bypass_csp=True)  # to read the timings
                    page = context.new_page()
                    started = time.perf_counter()
                    page.goto(base + "/?config=store_support")
                    page.locator("#config option").first.wait_for(state="attached")
                    ready.append((time.perf_counter() - started) * 1000)
                    paints.append(first_paint(page))
                    context.close()
                floor = floor_paints(browser, args.loads)
                browser.close()
        finally:
            server.terminate()
            server.wait()
    size = sum(path.stat().st_size for path in (ROOT / "rails/server/ui").rglob("*")
               if path.is_file())
    print(f"chat page: {size / 1024:.1f} KiB in all (html, css, js), {args.loads} cold loads")
    print(f"first contentful paint: median {statistics.median(paints):.0f} ms, "
          f"worst {max(paints):.0f} ms (goal: < 100 ms); a one-line page: median "
          f"{statistics.median(floor):.0f} ms, worst {max(floor):.0f} ms")
    print(f"configs listed (first API call done): median {statistics.median(ready):.0f} ms")


if __name__ == "__main__":
    main()
