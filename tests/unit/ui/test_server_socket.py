"""The socket ``nbtrack ui`` listens on."""

from __future__ import annotations

import socket

from nbtrack.ui.server import bind


def test_the_listening_socket_says_tcp_so_asyncio_turns_nagle_off() -> None:
    # asyncio sets TCP_NODELAY on an accepted connection only when the socket's proto is
    # IPPROTO_TCP; with proto 0 every keep-alive response after a connection's first
    # waited ~40 ms (Nagle against the client's delayed ACK)
    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[1] != 0
    finally:
        sock.close()
