"""A local Files API (``/api/2.0/fs``) over Unity Catalog volumes: what the ledger's production storage talks to.

The real ``databricks-sdk`` (``WorkspaceClient.files``) talks to it over HTTP unchanged. As strict as the platform
for what the ledger relies on (SDK ``FilesAPI`` docstrings; docs, "Files API" and "Work with files in Unity Catalog
volumes"):

- a path lives in a **volume** that must exist (``/Volumes/<catalog>/<schema>/<volume>/…``; :meth:`FilesApiServer.
  create_volume` stands for ``CREATE VOLUME``): anything else is 404 ``NOT_FOUND``; nothing here creates a volume;
- ``PUT /fs/files{path}?overwrite=false`` on an existing file is 409 ``ALREADY_EXISTS`` (the create-once guarantee);
  an upload is the whole file, visible only once complete (written beside it, then moved in place);
- ``PUT /fs/directories{path}`` is ``mkdir -p`` (idempotent); ``GET`` lists it (404 when missing); ``GET
  /fs/files{path}`` downloads; there is no append and no partial write in the API at all.

Every request is logged (method, path, query) so a test can prove what was sent. Bearer-token auth: one token,
generated at start, anything else is 401.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_FILES, _DIRS = "/api/2.0/fs/files", "/api/2.0/fs/directories"


class FilesApiServer:
    """``with FilesApiServer(root) as fs: WorkspaceClient(host=fs.url, token=fs.token).files…``"""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.token = secrets.token_hex(16)
        self.requests: list[dict[str, Any]] = []
        self._volumes: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def create_volume(self, catalog: str, schema: str, volume: str) -> None:
        self._volumes.add((catalog.lower(), schema.lower(), volume.lower()))

    def __enter__(self) -> FilesApiServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ---- the API --------------------------------------------------------------------------------------------------
    def local(self, path: str) -> Path | None:
        """Where ``/Volumes/c/s/v/rest`` is stored, or None when it is in no existing volume."""
        parts = PurePosixPath(path).parts
        if len(parts) < 5 or parts[:2] != ("/", "Volumes") or ".." in parts:
            return None
        if tuple(p.lower() for p in parts[2:5]) not in self._volumes:
            return None
        return self.root.joinpath(*parts[2:])

    def answer(self, method: str, url: str, body: bytes) -> tuple[int, bytes, str]:
        split = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        with self._lock:
            self.requests.append({"method": method, "path": unquote(split.path), "query": query})
        for prefix, kind in ((_FILES, "file"), (_DIRS, "dir")):
            if split.path.startswith(prefix + "/"):
                where = self.local(unquote(split.path[len(prefix) :]))
                if where is None:
                    return _error(404, "NOT_FOUND", "the path is not in an existing volume")
                with self._lock:
                    return (self._file if kind == "file" else self._dir)(method, where, query, body)
        return _error(404, "ENDPOINT_NOT_FOUND", f"no such endpoint: {split.path}")

    def _file(self, method: str, where: Path, query: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        if method in ("GET", "HEAD"):
            if not where.is_file():
                return _error(404, "NOT_FOUND", "file not found")
            return 200, where.read_bytes() if method == "GET" else b"", "application/octet-stream"
        if method == "PUT":
            if where.is_dir():
                return _error(409, "ALREADY_EXISTS", "a directory has this path")
            if where.exists() and query.get("overwrite", "true").lower() == "false":
                return _error(409, "ALREADY_EXISTS", f"the file {where.name} already exists")
            where.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root)  # whole file or nothing: written aside, then moved in place
            with os.fdopen(fd, "wb") as f:
                f.write(body)
            os.replace(tmp, where)
            return 204, b"", "application/json"
        if method == "DELETE" and where.is_file():
            where.unlink()
            return 204, b"", "application/json"
        return _error(405, "BAD_REQUEST", f"{method} is not supported on files")

    def _dir(self, method: str, where: Path, query: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        if method == "PUT":
            if where.is_file():
                return _error(409, "ALREADY_EXISTS", "a file has this path")
            where.mkdir(parents=True, exist_ok=True)
            return 204, b"", "application/json"
        if method == "GET":
            if not where.is_dir():
                return _error(404, "NOT_FOUND", "directory not found")
            contents = [
                {"path": str(PurePosixPath("/Volumes", *p.relative_to(self.root).parts)), "name": p.name,
                 "is_directory": p.is_dir(), **({"file_size": p.stat().st_size} if p.is_file() else {})}
                for p in sorted(where.iterdir())
            ]  # fmt: skip
            return 200, json.dumps({"contents": contents}).encode(), "application/json"
        if method == "DELETE" and where.is_dir():
            shutil.rmtree(where) if query.get("recursive") == "true" else where.rmdir()
            return 204, b"", "application/json"
        return _error(405, "BAD_REQUEST", f"{method} is not supported on directories")


def _error(status: int, code: str, message: str) -> tuple[int, bytes, str]:
    return status, json.dumps({"error_code": code, "message": message}).encode(), "application/json"


def _handler(server: FilesApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:  # the request log is the server's, not stderr
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.startswith("/.well-known/"):
                status, out, kind = 404, b"{}", "application/json"
            elif self.headers.get("Authorization") != f"Bearer {server.token}":
                status, out, kind = _error(401, "UNAUTHENTICATED", "invalid access token")
            else:
                status, out, kind = server.answer(self.command, self.path, body)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(out)

        do_GET = do_PUT = do_DELETE = do_HEAD = _serve

    return Handler
