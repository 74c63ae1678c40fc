"""The HTTP plumbing of the emulator: a threading server that can drop its keep-alive connections, and a handler
that hands every request to :meth:`rls_local.emulator.server.Emulator.handle`."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from rls_local.emulator.protocol import Response


class Emulator(Protocol):
    """What the server hands requests to (:class:`rls_local.emulator.server.Emulator`, which imports this module)."""

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response: ...


logger = logging.getLogger(__name__)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], emulator: Emulator) -> None:
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                conn.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps the SDK's pooled connections alive across calls; every answer carries Content-Length.
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment: with Nagle and delayed ACKs, two small writes cost ~40 ms per call.
    disable_nagle_algorithm = True
    wbufsize = -1
    server: Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        try:
            resp = self.server.emulator.handle(self.command, self.path, dict(self.headers.items()), body)
        except Exception:  # a bug must not kill the connection thread silently
            logger.exception("emulator pipeline failed")
            resp = Response(500, json.dumps({"error_code": "INTERNAL_ERROR", "message": "emulator bug"}).encode())
        self.send_response(resp.status)
        for key, value in resp.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("http: " + format, *args)
