"""`serve --workers N` listens on one SO_REUSEPORT socket per worker."""
from __future__ import annotations

import socket

import pytest

from rails.server.workers import bind_sockets


def test_every_worker_socket_is_bound_to_the_same_port():
    sockets = bind_sockets("127.0.0.1", 0, 3)
    try:
        ports = {sock.getsockname()[1] for sock in sockets}
        assert len(ports) == 1 and ports != {0}
        assert all(sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


def test_a_taken_address_is_named():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            bind_sockets("127.0.0.1", port, 2)
    finally:
        taken.close()
