"""One collector at a time per elevation ledger: a lease, kept in the ledger's own storage.

Why: a run repairs every open elevation it finds in the ledger before it starts. Two collectors sharing one ledger
(a manual ``databricks bundle run`` during the scheduled one, two deployments pointed at one volume) would each
"repair" the other's live elevations mid-read, and both would then elevate on the same workspaces. So a run holds
the ledger's lease from before the repair to its end; a second run refuses with one line naming the holder, or
waits, as ``collect.on_lease_held`` says.

The storage is a Unity Catalog volume, where a file is created once and written whole (no appends, no rename, no
compare-and-swap: Databricks docs, "Work with files in Unity Catalog volumes"), so the lease is built from
create-once files only:

    lease__<run_id>.json                the claim: who holds it, since when, until when
    lease__<run_id>__renewed-<n>.json   a renewal: until when, now (the holder writes one every ttl/3)
    lease__<run_id>__released.json      its end

A claim lives ``collect.lease_ttl_s`` (10 minutes) past its last renewal, so a killed run blocks the next one for at
most that long. Taking the lease: look for a live claim of another run; if there is none, write ours, then look
again. A live claim of another run seen *after* ours was written means both wrote at about the same time: ours is
withdrawn and the lease counts as held (both may back off; neither elevates next to the other). No clock decides
who wins; only expiry uses the clock. A run stops elevating when its own claim is about to expire (its renewals
failing, say on a full volume).

Writing the claim is also the run's first write to the ledger: a ledger that cannot be written (a full disk, a
missing volume, no WRITE VOLUME) stops the run here, before any elevation.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from rls.collect.ledger import Ledger, LedgerError

logger = logging.getLogger(__name__)

_CLAIM = re.compile(r"^lease__(?P<run>[^_/]+)(?:__(?P<event>released|renewed-\d+))?\.json$")
EXPIRY_MARGIN_S = 60.0  # a run stops elevating this long before its claim expires: the restore must fit in it


_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


def run_started_at(run_id: str) -> dt.datetime | None:
    """When a run started, from its id (``20261207T101500Z-1a2b3c4d``, as the collector names runs)."""
    try:
        return dt.datetime.strptime(run_id.split("-", 1)[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


class LeaseHeld(RuntimeError):
    """Another run holds the ledger's lease; the message names it and what to do."""


@dataclass(frozen=True)
class Claim:
    run_id: str
    holder: str  # who wrote it: the job's identity and where it ran
    acquired_at: dt.datetime
    expires_at: dt.datetime

    def live(self, now: dt.datetime) -> bool:
        return now < self.expires_at

    def describe(self) -> str:
        return (
            f"run {self.run_id} ({self.holder}) since {self.acquired_at:%Y-%m-%d %H:%M:%S}Z, "
            f"until {self.expires_at:%Y-%m-%d %H:%M:%S}Z"
        )


class Lease:
    """The lease of ``ledger`` for run ``run_id``: :meth:`acquire` before the repair, :meth:`release` at the end."""

    def __init__(self, ledger: Ledger, run_id: str, holder: str, ttl_s: float) -> None:
        self.ledger = ledger
        self.run_id = run_id
        self.holder = holder
        self.ttl_s = ttl_s
        self.claim: Claim | None = None
        self._renewals = 0

    def acquire(self, wait_s: float = 0.0, poll_s: float = 5.0) -> Claim:
        """Take the lease, waiting up to ``wait_s`` for another run's to end; raises :class:`LeaseHeld` (held) or
        :class:`LedgerError` (the ledger cannot be read or written)."""
        deadline = time.monotonic() + wait_s
        while True:
            other = self._live_other()
            if other is None:
                mine = self._write_claim()
                other = self._live_other()
                if other is None:
                    self.claim = mine
                    logger.info("ledger lease taken by run %s until %s", self.run_id, mine.expires_at.isoformat())
                    return mine
                self._write_release()  # both claimed at about the same time: withdraw ours
            if time.monotonic() + poll_s > deadline:
                raise LeaseHeld(
                    f"elevation ledger {self.ledger.location} is held by {other.describe()}: another collector is "
                    "running; let it finish (a dead run's lease ends at the time shown) — "
                    "collect.on_lease_held: wait makes a run wait for it"
                )
            logger.info("ledger lease held by %s; waiting", other.describe())
            time.sleep(poll_s)  # polling another process's files: nothing to wait on but time

    def renew(self) -> None:
        """Extend the lease by a ttl from now (a new create-once file); raises :class:`LedgerError`."""
        if self.claim is None:
            return
        self._renewals += 1
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.ttl_s)
        self._write(f"lease__{self.run_id}__renewed-{self._renewals}.json", {"expires_at": expires.isoformat()})
        self.claim = dataclasses.replace(self.claim, expires_at=expires)

    @contextlib.contextmanager
    def kept(self) -> Iterator[None]:
        """Renew the lease every ttl/3 while the block runs. A failed renewal is logged and renewing goes on: if the
        claim lapses, :meth:`valid_for` says so and no further elevation starts."""
        if self.claim is None:  # not held (a dry run): nothing to renew
            yield
            return
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.ttl_s / 3):  # a timer, not synchronisation: renew on schedule until stopped
                try:
                    self.renew()
                except LedgerError as e:
                    logger.warning("ledger lease of run %s not renewed: %s", self.run_id, e)

        thread = threading.Thread(target=beat, name="rls-lease", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def valid_for(self, seconds: float) -> bool:
        """Whether this run still holds the lease ``seconds`` from now (plus the expiry margin)."""
        if self.claim is None:
            return False
        left = (self.claim.expires_at - dt.datetime.now(dt.UTC)).total_seconds()
        return left > seconds + EXPIRY_MARGIN_S

    def release(self) -> None:
        """End the lease (idempotent). A failure is logged: the claim then expires on its own."""
        if self.claim is None:
            return
        try:
            self._write_release()
        except LedgerError as e:
            logger.warning("ledger lease of run %s not released (it expires at %s): %s", self.run_id,
                           self.claim.expires_at.isoformat(), e)  # fmt: skip
        self.claim = None

    # ---- storage ------------------------------------------------------------------------------------------------
    def _claims(self) -> list[Claim]:
        names = self.ledger.file_names()
        matched = [m for n in names if (m := _CLAIM.match(n))]
        released = {m["run"] for m in matched if m["event"] == "released"}
        renewals: dict[str, list[str]] = {}
        for m in matched:
            if m["event"] and m["event"].startswith("renewed"):
                renewals.setdefault(m["run"], []).append(m.string)
        out = []
        for m in matched:
            if m["event"] or m["run"] in released:
                continue
            claim = self._read_claim(m.string, m["run"])
            for name in renewals.get(m["run"], []):
                expires = self._read_renewal(name)
                if expires is not None and expires > claim.expires_at:
                    claim = dataclasses.replace(claim, expires_at=expires)
            out.append(claim)
        return out

    def _read_renewal(self, name: str) -> dt.datetime | None:
        """A renewal's expiry; one cut short (a kill mid-write) never happened."""
        try:
            return dt.datetime.fromisoformat(json.loads(self.ledger.files.read(name))["expires_at"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _read_claim(self, name: str, run_id: str) -> Claim:
        try:
            rec = json.loads(self.ledger.files.read(name))
            return Claim(
                run_id,
                str(rec["holder"]),
                dt.datetime.fromisoformat(rec["acquired_at"]),
                dt.datetime.fromisoformat(rec["expires_at"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as e:
            # A claim cut short (a kill mid-write) or damaged: the run id it is named by starts with the run's start
            # time, which bounds its lifetime; a name without one keeps the lease until a person removes the file.
            logger.warning("elevation ledger %s: lease claim %s is unreadable (%s)", self.ledger.location, name, e)
            started = run_started_at(run_id)
            if started is None:
                return Claim(run_id, f"unreadable claim {name}: remove it if no collector runs", _NEVER, _NEVER)
            return Claim(run_id, "unreadable claim", started, started + dt.timedelta(seconds=self.ttl_s))

    def _live_other(self) -> Claim | None:
        now = dt.datetime.now(dt.UTC)
        live = [c for c in self._claims() if c.run_id != self.run_id and c.live(now)]
        return min(live, key=lambda c: c.acquired_at, default=None)

    def _write_claim(self) -> Claim:
        now = dt.datetime.now(dt.UTC)
        claim = Claim(self.run_id, self.holder, now, now + dt.timedelta(seconds=self.ttl_s))
        record = {
            "run_id": claim.run_id,
            "holder": claim.holder,
            "acquired_at": claim.acquired_at.isoformat(),
            "expires_at": claim.expires_at.isoformat(),
        }
        self._write(f"lease__{self.run_id}.json", record)
        return claim

    def _write_release(self) -> None:
        record = {"run_id": self.run_id, "released_at": dt.datetime.now(dt.UTC).isoformat()}
        self._write(f"lease__{self.run_id}__released.json", record)

    def _write(self, name: str, record: dict) -> None:
        self.ledger.write_file(name, record)  # written already (a release after a withdrawal): it says the same


def live_claim(ledger: Ledger, ttl_s: float) -> Claim | None:
    """The claim that holds ``ledger``'s lease now, if any (read only: for ``rls doctor``)."""
    return Lease(ledger, "", "", ttl_s)._live_other()
