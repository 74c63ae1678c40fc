"""Temporary workspace-admin elevation of the collector, always undone, with a durable ledger.

Before each PUT the ledger records what the collector's assignment was; after the restore it records that the
restore happened. An entry without its restore marks an elevation a killed or cut-off run left behind; every run
starts by repairing those. A PUT replaces the principal's permissions, so the previous state is restored exactly:
no assignment -> DELETE, USER -> PUT USER.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from databricks.sdk.errors import DatabricksError, NotFound

from rls.collect.account_api import AccountApi
from rls.model.access import Grant
from rls.model.directory import MemberRef
from rls.parallel import describe

logger = logging.getLogger(__name__)

_RESTORE_ATTEMPTS = 4


class RestoreError(RuntimeError):
    """An elevation could not be undone; the ledger keeps it open for the next run to repair."""


@dataclass(frozen=True)
class LedgerEntry:
    run_id: str
    workspace_id: int
    principal_id: str
    previous: list[str] | None  # None: the principal had no assignment
    at: str


class Ledger:
    """Append-only JSON-lines file, flushed and fsynced per line so a killed process leaves a readable trail."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _append(self, record: dict) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record, sort_keys=True) + "\n")
                f.flush()
                os.fsync(f.fileno())

    def elevating(self, entry: LedgerEntry) -> None:
        self._append({"event": "elevate", **asdict(entry)})

    def restored(self, entry: LedgerEntry, how: str) -> None:
        self._append(
            {
                "event": "restored",
                "run_id": entry.run_id,
                "workspace_id": entry.workspace_id,
                "principal_id": entry.principal_id,
                "how": how,
                "at": _now(),
            }
        )

    def open_entries(self) -> list[LedgerEntry]:
        if not self.path.exists():
            return []
        open_: dict[tuple[str, int, str], LedgerEntry] = {}
        for n, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                key = (rec["run_id"], int(rec["workspace_id"]), str(rec["principal_id"]))
                if rec["event"] == "elevate":
                    open_[key] = LedgerEntry(key[0], key[1], key[2], rec["previous"], rec["at"])
                elif rec["event"] == "restored":
                    open_.pop(key, None)
            except (ValueError, KeyError, TypeError):
                # A line cut by a kill mid-write: the elevation it announced may have happened. Refuse to guess.
                raise RuntimeError(f"elevation ledger {self.path} line {n} is unreadable: repair it by hand") from None
        return list(open_.values())


@dataclass
class Repair:
    workspace_id: int
    outcome: str  # restored | already-restored | changed-by-someone-else | failed
    detail: str = ""


class Elevator:
    def __init__(
        self, api: AccountApi, ledger: Ledger, collector: MemberRef, run_id: str, backoff_s: float = 1.0
    ) -> None:
        self.api = api
        self.backoff_s = backoff_s
        self.ledger = ledger
        self.collector = collector
        self.run_id = run_id

    @contextmanager
    def elevated(self, workspace_id: int, previous: Grant | None) -> Iterator[None]:
        """Collector is workspace ADMIN inside the block; outside it has exactly its previous assignment."""
        entry = LedgerEntry(
            self.run_id, workspace_id, self.collector.id, list(previous.permissions) if previous else None, _now()
        )
        self.ledger.elevating(entry)
        try:
            self.api.set_permissions(workspace_id, self.collector.id, ["ADMIN"])
            logger.info("elevated on workspace %s (previous: %s)", workspace_id, entry.previous or "none")
            yield
        finally:
            # Also after a failed PUT: the write may have landed before the connection broke.
            self._restore(entry)

    def _restore(self, entry: LedgerEntry) -> None:
        last: BaseException | None = None
        for attempt in range(_RESTORE_ATTEMPTS):
            try:
                if entry.previous is None:
                    with contextlib.suppress(NotFound):  # nothing there: already what it was
                        self.api.remove_assignment(entry.workspace_id, entry.principal_id)
                    how = "deleted"
                else:
                    self.api.set_permissions(entry.workspace_id, entry.principal_id, entry.previous)
                    how = "put " + ",".join(entry.previous)
                self.ledger.restored(entry, how)
                logger.info("restored workspace %s (%s)", entry.workspace_id, how)
                return
            except DatabricksError as e:
                last = e
                time.sleep(self.backoff_s * 2**attempt)  # back-off between attempts, not synchronisation
        raise RestoreError(
            f"could not restore the collector's assignment on workspace {entry.workspace_id} "
            f"(previous: {entry.previous or 'none'}): {describe(last) if last else 'unknown'}; "
            "the elevation ledger keeps it and the next run repairs it"
        )

    def repair(self) -> list[Repair]:
        """Undo elevations that an earlier run left behind."""
        out = []
        for entry in self.ledger.open_entries():
            try:
                current = next(
                    (g for g in self.api.grants(entry.workspace_id) if g.principal.id == entry.principal_id), None
                )
                now = sorted(current.permissions) if current else None
                if now == sorted(entry.previous or []) or (now is None and entry.previous is None):
                    self.ledger.restored(entry, "found already restored")
                    out.append(Repair(entry.workspace_id, "already-restored"))
                elif now == ["ADMIN"]:
                    self._restore(entry)
                    out.append(Repair(entry.workspace_id, "restored", f"previous: {entry.previous or 'none'}"))
                else:
                    self.ledger.restored(entry, f"left as found: {now}")
                    out.append(Repair(entry.workspace_id, "changed-by-someone-else", f"found {now}"))
            except (DatabricksError, RestoreError) as e:
                out.append(Repair(entry.workspace_id, "failed", describe(e)))
        return out


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()
