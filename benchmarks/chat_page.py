"""First paint of the chat page on loopback, in headless Chromium (Debian's `chromium`).

What a user sees: the first contentful paint of `/` counted from the start of the navigation,
with a cold cache (a fresh browser context per load: no cache, no open connection), the page's
real Content-Security-Policy in force (a load that violates it, or paints unstyled, fails the
run), the server a real `dialog-rails serve` process. Beside it, in the same rounds and in a
shuffled order (this machine is shared and noisy, so only figures of one run compare): a
one-line page from a stdlib server, the floor no page can beat here; and with
`--baseline-tree DIR`, the page as another checkout (e.g. `git worktree add /tmp/old main`)
serves it. Also printed: when the config list is filled (the page's first API call done).
Goal: first paint < 100 ms.

    python benchmarks/chat_page.py [--loads 30] [--baseline-tree DIR]

What holds the paint (Chromium traces on this machine): frames come at 60 Hz, so a paint lands
on the floor's frame or one or two frames (16.7 ms each) later. Before the first frame the
renderer parses the page, computes style (3-4 ms) and layout (3-7 ms), and Chromium's autofill
scans the form controls at DOMContentLoaded and load (6-9 ms; the floor has none to scan).
So the server inlines what a paint would wait for: the stylesheet (a linked one cost a request:
median 186 -> 168 ms beside a floor of 110 ms on a busy machine) and the five ES modules joined
into one script, which starts its work after the first frame (quiet machine, same rounds:
86/100/102 ms against 92/104/102 for five linked modules, configs listed 25-30 ms sooner).
Fonts, the <dialog>s, fetchpriority and an external bundle made no measurable difference.
"""
from __future__ import annotations

import argparse
import http.server
import os
import random
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
# Resolves with the paint entry even when it came before the call (buffered). A function run
# through the DevTools protocol, not a string the page evaluates: the CSP forbids eval.
FIRST_PAINT = """() => new Promise((resolve) => new PerformanceObserver((list, observer) => {
  const entry = list.getEntries().find((e) => e.name === 'first-contentful-paint');
  if (entry) { observer.disconnect(); resolve(entry.startTime); }
}).observe({ type: 'paint', buffered: true }))"""
STYLED = "() => getComputedStyle(document.body).display === 'flex'"  # the page's own CSS applied


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_floor_server() -> http.server.ThreadingHTTPServer:
    class Plain(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            body = (b"<!doctype html><title>x</title><p>dialog-rails</p>" if self.path == "/"
                    else b"")
            self.send_response(200 if body else 404)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Plain)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_chat_server(tree: Path, scratch: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    server = subprocess.Popen(
        [sys.executable, "-m", "rails", "serve", "--config-dir", str(ROOT / "config_examples"),
         "--threads-db", os.path.join(scratch, f"threads-{port}.db"), "--port", str(port)],
        cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.05)
    server.terminate()
    raise SystemExit(f"the server of {tree} did not start")


def load(browser, url: str, chat_page: bool) -> tuple[float, float | None]:
    """(first contentful paint, ms until the config list is filled) of one cold load."""
    context = browser.new_context()
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    started = time.perf_counter()
    page.goto(url)
    ready = None
    if chat_page:
        page.locator("#config option").first.wait_for(state="attached")
        ready = (time.perf_counter() - started) * 1000
    paint = page.evaluate(FIRST_PAINT)
    styled = page.evaluate(STYLED) if chat_page else True
    context.close()
    if violations or not styled:
        raise SystemExit(f"{url}: {violations or 'the page painted without its stylesheet'}")
    return paint, ready


def summary(name: str, paints: list[float]) -> str:
    quartiles = statistics.quantiles(paints, n=4)
    return (f"  {name:28s} median {statistics.median(paints):5.0f} ms   "
            f"p25 {quartiles[0]:5.0f}   p75 {quartiles[2]:5.0f}   worst {max(paints):5.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=30, help="cold loads of each page")
    parser.add_argument("--baseline-tree", type=Path,
                        help="another checkout whose page is measured in the same rounds")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    servers = []
    with tempfile.TemporaryDirectory() as scratch:
        floor = start_floor_server()
        try:
            targets = {"one-line page (floor)": (f"http://127.0.0.1:{floor.server_address[1]}/",
                                                 False)}
            trees = [("chat page", ROOT)]
            if args.baseline_tree:
                trees.append((f"chat page of {args.baseline_tree}", args.baseline_tree.resolve()))
            for name, tree in trees:
                process, base = start_chat_server(tree, scratch)
                servers.append(process)
                targets[name] = (base + "/?config=store_support", True)
            paints = {name: [] for name in targets}
            ready = {name: [] for name in targets}
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                                     args=ARGS)
                for name, (url, chat_page) in targets.items():
                    load(browser, url, chat_page)  # warm the browser and servers, not counted
                for _ in range(args.loads):
                    order = list(targets)
                    random.shuffle(order)
                    for name in order:
                        time.sleep(0.2)  # the last context's renderer has exited
                        paint, filled = load(browser, *targets[name])
                        paints[name].append(paint)
                        if filled is not None:
                            ready[name].append(filled)
                browser.close()
        finally:
            floor.shutdown()
            for process in servers:
                process.terminate()
                process.wait()
    ui = ROOT / "rails/server/ui"
    size = sum(path.stat().st_size for path in ui.rglob("*") if path.is_file())
    print(f"chat page: {size / 1024:.1f} KiB in all (html, css, js); {args.loads} cold loads "
          f"of each page, interleaved")
    print("first contentful paint (goal for the chat page: < 100 ms):")
    floor_paints = paints["one-line page (floor)"]
    for name, values in paints.items():
        line = summary(name, values)
        if values is not floor_paints:
            above = statistics.median(a - b for a, b in zip(values, floor_paints))
            line += f"   above the floor in the same round: median {above:+.0f}"
        print(line)
    for name, values in ready.items():
        if values:
            print(f"configs listed (first API call done), {name}: median "
                  f"{statistics.median(values):.0f} ms")


if __name__ == "__main__":
    main()
