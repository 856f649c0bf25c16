"""`serve --workers N`: uvicorn's supervisor (signals, health checks, replacing a dead worker,
SIGHUP restarts), with a listening socket of its own for each worker.

uvicorn's workers all accept from one socket, and Linux wakes the worker that started waiting
last, which is the one that just finished a request: with 10 client connections all 10 went
to one worker in two runs of three, and 50 once split 50/0, so one core served everything.
Here every worker's socket is bound to the address with SO_REUSEPORT and the kernel spreads
new connections over them by a hash of the client's address and port. Worker i always serves
socket i (a replacement too), and the supervisor keeps the sockets open, so connections that
arrive while a worker is being replaced wait in its socket's queue instead of failing."""
from __future__ import annotations

import logging
import socket
from typing import Optional

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

log = logging.getLogger("uvicorn.error")


def bind_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """`count` sockets bound to (host, port) with SO_REUSEPORT; with port 0, all on the port
    the first one got. Raises OSError naming the address when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            port = sock.getsockname()[1]
            sock.set_inheritable(True)
    except OSError as error:
        for sock in sockets:
            sock.close()
        raise OSError(error.errno, f"cannot listen on {host}:{port}: {error.strerror}") \
            from error
    return sockets


class WorkerPerSocket(Multiprocess):
    """Multiprocess, except that worker i is always started on socket i."""

    def _start(self, slot: int) -> Process:
        process = Process(self.config, [self.sockets[slot]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._start(slot) for slot in range(len(self.sockets))]

    def keep_subprocess_alive(self) -> None:
        for slot, process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # dead or hung
            process.join()
            if process.exitcode == STARTUP_FAILURE:  # the next one would fail alike
                log.error("worker [%s] failed to start; stopping", process.pid)
                self.should_exit.set()
                return
            log.info("worker [%s] died; starting another on its socket", process.pid)
            self.processes[slot] = self._start(slot)

    def restart_all(self) -> None:
        """Each worker in turn: its replacement serves before the old one stops."""
        for slot, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._start(slot)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck,
                                        self.should_exit):
                new.kill()
                new.join()
                log.error("worker [%s] was not ready in time; keeping [%s]", new.pid, old.pid)
                return
            old.terminate()
            old.join()
            self.processes[slot] = new

    def handle_ttin(self) -> None:
        host, port = self.sockets[0].getsockname()[:2]
        self.sockets.extend(bind_sockets(host, port, 1))
        self.processes.append(self._start(len(self.sockets) - 1))
        self.processes_num = len(self.processes)
        log.info("SIGTTIN: %d workers", self.processes_num)

    def handle_ttou(self) -> None:
        if len(self.processes) <= 1:
            log.info("SIGTTOU: one worker left, keeping it")
            return
        process = self.processes.pop()
        process.terminate()
        process.join()
        # Closed once its worker has gone, so the kernel stops routing connections to it.
        self.sockets.pop().close()
        self.processes_num = len(self.processes)
        log.info("SIGTTOU: %d workers", self.processes_num)


def run_workers(app: str, count: int, host: str, port: int,
                options: Optional[dict] = None) -> None:
    """Serves the app factory `app` (an import string) from `count` worker processes."""
    config = Config(app, factory=True, workers=count, host=host, port=port, **(options or {}))
    sockets = bind_sockets(host, port, count)
    try:
        WorkerPerSocket(config, sockets).run()
    finally:
        for sock in sockets:
            sock.close()
