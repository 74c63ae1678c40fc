"""A local directory that behaves like a Unity Catalog volume: files are written whole, sequentially, once.

Volumes support neither direct appends nor random writes (Databricks docs, "Work with files in Unity Catalog
volumes", limitations of ``/Volumes`` FUSE paths). The local stack refuses them the same way, so code that would
fail on a volume — an append-mode log, a seek to patch a file — fails in the tests first.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any, BinaryIO

from rls.collect.ledger import VolumeFiles

_REFUSED = "not supported on a Unity Catalog volume (no direct appends or random writes)"


def _refuse(what: str, path: Path) -> OSError:
    return OSError(errno.EOPNOTSUPP, f"{what}: {_REFUSED}", str(path))


class _SequentialWriter:
    """A write handle that only goes forward: seek, tell-and-rewrite and truncate are refused. ``room``: bytes the
    volume has left (None: unbounded); a write past it fails as a full disk does, after what fit was written."""

    def __init__(self, f: BinaryIO, path: Path, room: int | None = None) -> None:
        self._f = f
        self._path = path
        self._room = room

    def write(self, data: bytes) -> int:
        if self._room is not None and len(data) > self._room:
            self._f.write(data[: self._room])
            self._f.flush()
            self._room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self._path))
        if self._room is not None:
            self._room -= len(data)
        return self._f.write(data)

    def flush(self) -> None:
        self._f.flush()

    def fileno(self) -> int:
        return self._f.fileno()

    def close(self) -> None:
        self._f.close()

    def seek(self, *_: Any) -> int:
        raise _refuse("seek", self._path)

    def truncate(self, *_: Any) -> int:
        raise _refuse("truncate", self._path)

    def __enter__(self) -> _SequentialWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class StrictVolumeFiles(VolumeFiles):
    """:class:`VolumeFiles` that refuses what a volume refuses. ``capacity_bytes``: the storage under it holds this
    much (None: unbounded), so a full disk can be met locally: the file is created, the write fails with ENOSPC."""

    def __init__(self, root: str | Path, capacity_bytes: int | None = None) -> None:
        super().__init__(root)
        self.capacity_bytes = capacity_bytes

    def _room(self) -> int | None:
        if self.capacity_bytes is None:
            return None
        used = sum(p.stat().st_size for p in self.root.iterdir() if p.is_file()) if self.root.exists() else 0
        return max(self.capacity_bytes - used, 0)

    def open(self, name: str, mode: str) -> Any:
        return self._open(self.root / name, mode)

    def _open(self, path: Path, mode: str) -> Any:
        if "a" in mode or "+" in mode:
            raise _refuse(f"open with mode {mode!r}", path)
        if "r" in mode:
            return path.open(mode)
        return _SequentialWriter(path.open(mode), path, self._room())
