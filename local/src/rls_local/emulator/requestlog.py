"""The request log: every API call the emulator answered, observable while it runs.

Tests and other processes wait on it (``wait_for``) instead of sleeping: appends notify a Condition.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    """Path with the query string, as received."""
    status: int
    workspace_id: int | None
    start: float
    """Unix time at which the request arrived."""
    duration_ms: float
    user_agent: str | None = None
    """The ``User-Agent`` header: who the caller says it is (the SDK names the product, e.g. ``rls/0.1.0``)."""
    body: str | None = None
    """The request body of a write (PUT, POST, PATCH, DELETE) outside the OAuth endpoints; None for reads."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._entries: list[LoggedRequest] = []

    def append(self, entry: LoggedRequest) -> None:
        with self._cond:
            self._entries.append(entry)
            self._cond.notify_all()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._cond:
            return [e.to_json() for e in self._entries]

    def __len__(self) -> int:
        with self._cond:
            return len(self._entries)

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float, start_index: int = 0
    ) -> dict[str, Any]:
        """First logged request (from ``start_index`` on) that satisfies ``predicate``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        scanned = start_index
        with self._cond:
            while True:
                while scanned < len(self._entries):
                    entry = self._entries[scanned].to_json()
                    scanned += 1
                    if predicate(entry):
                        return entry
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no matching request logged within {timeout}s ({len(self._entries)} seen)")
                self._cond.wait(remaining)
