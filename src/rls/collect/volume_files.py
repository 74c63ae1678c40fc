"""The elevation ledger's storage on a Unity Catalog volume, written the documented way: the Files API.

Volumes over FUSE (``open("/Volumes/…")``) refuse appends and random writes, and whether ``O_EXCL`` and ``fsync``
behave there is documented nowhere (facts sheet, "Corrections, round 2"). The Files API is the documented whole-file
write: ``WorkspaceClient.files.upload(path, contents, overwrite=False)`` (``PUT /api/2.0/fs/files{path}?overwrite=
false``, SDK ``FilesAPI.upload``: "If false, an error will be returned if the path points to an existing file") is
the create-once guarantee the ledger relies on (one ``elevate`` record per elevation), and an upload is one request
carrying the whole file. ``create_directory`` is ``mkdir -p`` inside an existing volume: it never creates a volume
(``collect`` runs ``CREATE VOLUME IF NOT EXISTS``; ``publish`` creates none).

Every failure is an ``OSError`` to the ledger (the SDK's ``DatabricksError`` is one); an existing file is a
``FileExistsError``, whatever the server's error code for the 409 (``ALREADY_EXISTS`` / ``RESOURCE_ALREADY_EXISTS``).
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from databricks.sdk.errors import NotFound, ResourceConflict

logger = logging.getLogger(__name__)


class FilesApiVolume:
    """One directory of a volume (``/Volumes/<catalog>/<schema>/<volume>/…``) through the Files API.

    ``files``: a ``WorkspaceClient().files``, or a callable returning one, so that building the ledger needs no
    credentials until it is used (a publish-only run never touches it)."""

    def __init__(self, files: Any | Callable[[], Any], root: str) -> None:
        if not root.startswith("/Volumes/") or len(PurePosixPath(root).parts) < 5:
            raise ValueError(
                f"not a directory inside a volume: {root!r} (expected /Volumes/<catalog>/<schema>/<volume>/…)"
            )
        self.root = PurePosixPath(root)
        self._files = files
        self._client: Any = None
        self._lock = threading.Lock()
        self._directory_ready = False

    @property
    def files(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._files() if callable(self._files) else self._files
            return self._client

    def _path(self, name: str) -> str:
        return str(self.root / name)

    def write_new(self, name: str, data: bytes) -> None:
        """Create ``name`` with ``data``, whole, in one request; FileExistsError if it exists already."""
        if not self._directory_ready:
            self.files.create_directory(str(self.root))  # idempotent; refused when the volume does not exist
            self._directory_ready = True
        try:
            self.files.upload(self._path(name), io.BytesIO(data), overwrite=False)
        except ResourceConflict as e:  # 409: ALREADY_EXISTS / RESOURCE_ALREADY_EXISTS
            raise FileExistsError(f"{self._path(name)} exists already ({e})") from None

    def read(self, name: str) -> bytes:
        return bytes(self.files.download(self._path(name)).contents.read())

    def names(self) -> list[str]:
        try:
            entries = list(self.files.list_directory_contents(str(self.root)))
        except NotFound:
            return []  # never written to: nothing was ever elevated
        return sorted(str(e.name or PurePosixPath(str(e.path)).name) for e in entries if not e.is_directory)
