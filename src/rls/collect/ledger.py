"""The elevation ledger: one immutable file per event, so it can live on a Unity Catalog volume.

Volumes support neither direct appends nor random writes (Databricks docs, "Work with files in Unity Catalog
volumes" — limitations of the FUSE paths under ``/Volumes``): a file there is written whole, once. So every event is
its own small file, created once and written in one go. On a volume the files go through the Files API
(:class:`rls.collect.volume_files.FilesApiVolume`: one whole-file upload with ``overwrite=False``, the documented
create-once write), never through FUSE; a local directory (the local stack, or ``collect.elevation_ledger`` outside
``/Volumes``) is :class:`VolumeFiles`, with the same semantics:

    <run_id>__<workspace_id>__<principal_id>__elevate.json     before the PUT that elevates (level and why)
    <run_id>__<workspace_id>__<principal_id>__raised.json      before a PUT that raises that elevation to ADMIN
    <run_id>__<workspace_id>__<principal_id>__restored.json    after the restore (or a repair) succeeded

An ``elevate`` file without its ``restored`` twin is an elevation a killed or cut-off run may have left behind. The
name alone says which workspace and principal it concerns, so even a file cut short by a kill mid-write can be
repaired (its content is then unknown, but the PUT it announced never happened: the PUT waits for the file).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import re
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)

_NAME = re.compile(
    r"^(?P<run>[^_]+(?:_[^_]+)*?)__(?P<wid>\d+)__(?P<pid>[^_]+)__(?P<event>elevate|raised|restored)\.json$"
)


class LedgerError(RuntimeError):
    """The ledger's storage could not be read or written; the message names the path and the reason."""


class LedgerFiles(Protocol):
    """Where the ledger's files live: each created once (FileExistsError if it exists) and written whole; every
    storage failure is an OSError."""

    root: Any

    def write_new(self, name: str, data: bytes) -> None: ...

    def read(self, name: str) -> bytes: ...

    def names(self) -> list[str]: ...


class VolumeFiles:
    """Files of one local directory, used the only way a Unity Catalog volume allows: each created once and written
    whole.

    Everything the ledger stores goes through :meth:`write_new`, :meth:`read` and :meth:`names`; the local stack
    substitutes a subclass that also *refuses* appends and seeks, as a volume does, so a regression fails locally.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _open(self, path: Path, mode: str) -> Any:
        return path.open(mode)

    def write_new(self, name: str, data: bytes) -> None:
        """Create ``name`` (it must not exist) and write ``data`` sequentially; durable when this returns."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / name
        f = self._open(path, "xb")
        try:
            with f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError:
            # Created but not written whole (a full disk): remove it, as a volume's whole-file upload leaves nothing.
            # The write it announced never happens, so nothing is lost; a file left anyway reads as cut short.
            with contextlib.suppress(OSError):
                path.unlink()
            raise

    def read(self, name: str) -> bytes:
        with self._open(self.root / name, "rb") as f:
            return f.read()

    def names(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_file())


@dataclass(frozen=True)
class LedgerEntry:
    run_id: str
    workspace_id: int
    principal_id: str
    previous: list[str] | None  # None: the principal had no assignment
    at: str
    readable: bool = True  # False: the elevate file could not be parsed (cut short): ``previous`` is unknown
    set_to: tuple[str, ...] = ("ADMIN",)  # every level this elevation may have put there (a record before: ADMIN)
    reason: str = ""  # why the elevation was needed


class Ledger:
    def __init__(self, files: LedgerFiles | str | Path) -> None:
        self.files: LedgerFiles = VolumeFiles(files) if isinstance(files, str | Path) else files
        self._lock = threading.Lock()

    @property
    def location(self) -> Any:
        return self.files.root

    def write_file(self, name: str, record: dict, *, once: bool = False) -> None:
        """Create the file ``name`` holding ``record`` (JSON). It may exist already (then it stays as it is) unless
        ``once``. Every storage failure is a :class:`LedgerError` naming the path."""
        data = json.dumps(record, sort_keys=True).encode()
        try:
            with self._lock:
                self.files.write_new(name, data)
        except FileExistsError:
            if once:
                raise LedgerError(f"elevation ledger {self.location}: {name} exists already") from None
        except OSError as e:
            raise LedgerError(f"elevation ledger {self.location}: cannot write {name}: {e.strerror or e}") from None

    def file_names(self) -> list[str]:
        """The ledger's files; raises :class:`LedgerError` when the storage cannot be listed."""
        try:
            return self.files.names()
        except OSError as e:
            raise LedgerError(f"elevation ledger {self.location} cannot be listed: {e.strerror or e}") from None

    def _write(self, entry: LedgerEntry, event: str, record: dict) -> None:
        name = f"{entry.run_id}__{entry.workspace_id}__{entry.principal_id}__{event}.json"
        # one elevation per (run, workspace, principal): never twice; a second "restored" (a repair after a
        # restore) leaves the first, which says it already
        self.write_file(name, {"event": event, **record}, once=event == "elevate")

    def elevating(self, entry: LedgerEntry) -> None:
        """Durably record an elevation before it happens; raises LedgerError (and then nothing may be elevated)."""
        self._write(entry, "elevate", asdict(entry))

    def raised(self, entry: LedgerEntry, permissions: list[str], reason: str) -> None:
        """Durably record, before the PUT, that an open elevation is raised (to ADMIN) and why."""
        record = {"run_id": entry.run_id, "workspace_id": entry.workspace_id, "principal_id": entry.principal_id}
        self._write(entry, "raised", {**record, "permissions": permissions, "reason": reason, "at": now_iso()})

    def restored(self, entry: LedgerEntry, how: str) -> None:
        record = {"run_id": entry.run_id, "workspace_id": entry.workspace_id, "principal_id": entry.principal_id}
        self._write(entry, "restored", {**record, "how": how, "at": now_iso()})

    def open_entries(self) -> list[LedgerEntry]:
        """Elevations recorded without their restore; raises LedgerError when the storage cannot be listed."""
        names = self.file_names()
        parsed = [(m, n) for n in names if (m := _NAME.match(n))]
        restored = {(m["run"], m["wid"], m["pid"]) for m, _ in parsed if m["event"] == "restored"}
        raised = {(m["run"], m["wid"], m["pid"]) for m, _ in parsed if m["event"] == "raised"}
        out = []
        for m, name in parsed:
            key = (m["run"], m["wid"], m["pid"])
            if m["event"] != "elevate" or key in restored:
                continue
            entry = self._entry(m, name)
            if key in raised:  # recorded before its PUT: the raise may or may not have landed
                entry = dataclasses.replace(entry, set_to=(*entry.set_to, "ADMIN"))
            out.append(entry)
        return out

    def _entry(self, m: re.Match, name: str) -> LedgerEntry:
        run_id, wid, pid = m["run"], int(m["wid"]), m["pid"]
        try:
            rec = json.loads(self.files.read(name))
            previous = rec["previous"]
            set_to = rec.get("set_to", ["ADMIN"])
            for field, value in (("previous", previous), ("set_to", set_to)):
                if value is not None and not (isinstance(value, list) and all(isinstance(p, str) for p in value)):
                    raise TypeError(f"{field} is not a list of permissions")
            reason = str(rec.get("reason", ""))
            return LedgerEntry(run_id, wid, pid, previous, str(rec.get("at", "")), True, tuple(set_to), reason)
        except (OSError, ValueError, KeyError, TypeError) as e:
            logger.warning("elevation ledger %s: %s is unreadable (%s)", self.location, name, e)
            return LedgerEntry(run_id, wid, pid, None, "", readable=False)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
