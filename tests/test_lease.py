"""The elevation ledger's lease: one collector per ledger, built from create-once files on volume semantics; a ledger
that cannot be written fails the claim (the run's first ledger write), leaving nothing behind."""

from __future__ import annotations

import datetime as dt
import errno
import json
import threading

import pytest

from rls.collect.lease import Lease, LeaseHeld
from rls.collect.ledger import Ledger, LedgerEntry, LedgerError
from rls.doctor.report import DoctorReport
from rls.doctor.unity import check_ledger
from rls_local.warehouse.volume import StrictVolumeFiles

TTL = 600.0


def _run_id(ago: dt.timedelta = dt.timedelta()) -> str:
    return (dt.datetime.now(dt.UTC) - ago).strftime("%Y%m%dT%H%M%SZ-") + "0a1b2c3d"


def _lease(ledger: Ledger, run_id: str, who: str = "sp-a on host-a pid 1") -> Lease:
    return Lease(ledger, run_id, who, TTL)


def test_a_second_run_is_refused_naming_the_holder_until_the_first_releases(tmp_path):
    ledger = Ledger(StrictVolumeFiles(tmp_path))
    first, second = _lease(ledger, "20261207T100000Z-aaaa0001"), _lease(ledger, "20261207T100500Z-bbbb0002", "b")
    # run ids say when a run started; these are written now, so the claims are live whatever the ids say
    first.acquire()
    with pytest.raises(LeaseHeld) as held:
        second.acquire()
    message = str(held.value)
    assert "run 20261207T100000Z-aaaa0001 (sp-a on host-a pid 1)" in message and "\n" not in message
    assert str(tmp_path) in message and "on_lease_held" in message
    assert not (tmp_path / "lease__20261207T100500Z-bbbb0002.json").exists()  # refused before claiming
    first.release()
    assert second.acquire().run_id == "20261207T100500Z-bbbb0002"
    # only create-once files: a claim and a release per run, nothing rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "lease__20261207T100000Z-aaaa0001.json",
        "lease__20261207T100000Z-aaaa0001__released.json",
        "lease__20261207T100500Z-bbbb0002.json",
    ]


def _old_claim(ledger: Ledger, ago: dt.timedelta, suffix: str) -> str:
    """A claim as a run that started ``ago`` wrote it then (claimed at its start, for one ttl); returns its run id."""
    started = dt.datetime.now(dt.UTC) - ago
    run = f"{started:%Y%m%dT%H%M%SZ}-{suffix}"
    record = {"run_id": run, "holder": "x", "acquired_at": started.isoformat(),
              "expires_at": (started + dt.timedelta(seconds=TTL)).isoformat()}  # fmt: skip
    ledger.files.write_new(f"lease__{run}.json", json.dumps(record).encode())
    return run


def test_a_killed_run_s_claim_ends_by_itself(tmp_path):
    ledger = Ledger(StrictVolumeFiles(tmp_path))
    _old_claim(ledger, dt.timedelta(hours=5), "dead0001")  # as the killed run wrote it, never renewed since
    assert _lease(ledger, _run_id()).acquire()


def test_a_claim_cut_short_lives_a_ttl_from_its_run_s_start(tmp_path):
    ledger = Ledger(StrictVolumeFiles(tmp_path))
    recent, old = _run_id(dt.timedelta(minutes=2)), _run_id(dt.timedelta(hours=5))
    ledger.files.write_new(f"lease__{recent}.json", b'{"run_id": ')  # a kill mid-write
    with pytest.raises(LeaseHeld, match="unreadable claim"):
        _lease(ledger, _run_id()).acquire()
    other = Ledger(StrictVolumeFiles(tmp_path / "other"))
    other.files.write_new(f"lease__{old}.json", b"")
    assert _lease(other, _run_id()).acquire()


def test_a_renewed_claim_lives_a_ttl_past_its_last_renewal(tmp_path):
    ledger = Ledger(StrictVolumeFiles(tmp_path))
    _old_claim(ledger, dt.timedelta(hours=1), "long0001")
    assert _lease(ledger, _run_id()).acquire()  # expired: its first ttl is long over
    other = Ledger(StrictVolumeFiles(tmp_path / "renewed"))
    run = _old_claim(other, dt.timedelta(hours=1), "long0001")
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=300)).isoformat()
    other.files.write_new(f"lease__{run}__renewed-7.json", json.dumps({"expires_at": later}).encode())
    other.files.write_new(f"lease__{run}__renewed-8.json", b'{"expi')  # cut short by a kill: never happened
    with pytest.raises(LeaseHeld, match=f"run {run} "):
        _lease(other, _run_id()).acquire()


def test_a_held_lease_is_renewed_on_schedule_while_the_run_works(tmp_path):
    renewed = threading.Event()

    class Watched(StrictVolumeFiles):
        def write_new(self, name: str, data: bytes) -> None:
            super().write_new(name, data)
            if "__renewed-2" in name:
                renewed.set()

    lease = Lease(Ledger(Watched(tmp_path)), _run_id(), "a", ttl_s=0.03)  # renewed every 10 ms
    first = lease.acquire().expires_at
    with lease.kept():
        assert renewed.wait(timeout=30)
    assert lease.claim is not None and lease.claim.expires_at > first
    names = sorted(p.name.split("__", 2)[-1] for p in tmp_path.iterdir())
    assert {"renewed-1.json", "renewed-2.json"} <= set(names)  # each renewal its own create-once file


def test_a_run_that_sees_another_claim_land_beside_its_own_withdraws(tmp_path):
    """The other run's claim lands between ours and our second look: ours is withdrawn, and neither holds it."""

    class Interleaved(StrictVolumeFiles):
        def write_new(self, name: str, data: bytes) -> None:
            super().write_new(name, data)
            if name == f"lease__{mine}.json":
                other.ledger.files.write_new(f"lease__{theirs}.json", json.dumps(claim).encode())

    mine, theirs = "20261207T100000Z-mine0001", "20261207T100000Z-them0002"
    now = dt.datetime.now(dt.UTC)
    claim = {"run_id": theirs, "holder": "b", "acquired_at": now.isoformat(),
             "expires_at": (now + dt.timedelta(seconds=TTL)).isoformat()}  # fmt: skip
    ledger = Ledger(Interleaved(tmp_path))
    other = _lease(Ledger(StrictVolumeFiles(tmp_path)), theirs, "b")
    with pytest.raises(LeaseHeld, match=f"run {theirs}"):
        _lease(ledger, mine).acquire()
    assert (tmp_path / f"lease__{mine}__released.json").exists()  # withdrawn: it blocks nobody
    with pytest.raises(LeaseHeld, match=f"run {theirs}"):
        _lease(Ledger(StrictVolumeFiles(tmp_path)), "20261207T100001Z-late0003").acquire()


def test_waiting_takes_the_lease_when_the_holder_releases(tmp_path):
    class ReleasedOnSecondLook(StrictVolumeFiles):
        looks = 0

        def names(self) -> list[str]:
            ReleasedOnSecondLook.looks += 1
            if ReleasedOnSecondLook.looks == 3:  # the holder ends its run while we wait (look 2 saw it held)
                holder.release()
            return super().names()

    holder = _lease(Ledger(StrictVolumeFiles(tmp_path)), "20261207T100000Z-hold0001")
    holder.acquire()
    waiter = _lease(Ledger(ReleasedOnSecondLook(tmp_path)), "20261207T100100Z-wait0002", "b")
    with pytest.raises(LeaseHeld):
        waiter.acquire(wait_s=0)  # refuse: one look
    assert waiter.acquire(wait_s=60, poll_s=0.01).run_id == "20261207T100100Z-wait0002"
    assert ReleasedOnSecondLook.looks == 4  # refused once; then held, released while waiting, claimed, checked


def test_a_full_disk_fails_the_claim_and_leaves_no_file(tmp_path):
    ledger = Ledger(StrictVolumeFiles(tmp_path, capacity_bytes=40))
    with pytest.raises(LedgerError, match="No space left on device") as e:
        _lease(ledger, _run_id()).acquire()
    assert str(tmp_path) in str(e.value) and "\n" not in str(e.value)
    assert list(tmp_path.iterdir()) == []  # created, cut short by ENOSPC, removed: a volume upload leaves nothing
    with pytest.raises(LedgerError, match="No space left on device"):  # an elevate record the same way
        ledger.elevating(LedgerEntry(_run_id(), 1001, "42", None, "now", reason="x" * 100))
    assert list(tmp_path.iterdir()) == [] and ledger.open_entries() == []


def test_the_local_volume_fails_a_write_past_its_capacity_as_a_full_disk_does(tmp_path):
    files = StrictVolumeFiles(tmp_path, capacity_bytes=10)
    files.write_new("a", b"12345678")
    with files.open("b", "xb") as f, pytest.raises(OSError) as e:
        f.write(b"123")
    assert e.value.errno == errno.ENOSPC and (tmp_path / "b").read_bytes() == b"12"  # what fit was written


def test_a_run_whose_lease_is_about_to_expire_may_not_elevate(tmp_path):
    ledger = Ledger(StrictVolumeFiles(tmp_path))
    lease = Lease(ledger, _run_id(), "a", ttl_s=100)
    lease.acquire()
    assert lease.valid_for(0) and not lease.valid_for(60)  # 100 s left, 60 s of margin: 40 s of work fits
    lease.release()
    assert not lease.valid_for(0)


def test_doctor_says_who_holds_the_ledger_and_reads_only(tmp_path):
    ledger = Ledger(StrictVolumeFiles(tmp_path))
    report = DoctorReport("here")
    check_ledger(report, ledger, TTL)
    assert [(c.name, c.status) for c in report.checks] == [("ledger", "ok")]
    running = _lease(ledger, "20261207T100000Z-runs0001")
    running.acquire()
    files = sorted(p.name for p in tmp_path.iterdir())
    report = DoctorReport("here")
    check_ledger(report, ledger, TTL)
    lease = next(c for c in report.checks if c.name == "ledger_lease")
    assert lease.status == "warn" and "run 20261207T100000Z-runs0001 (sp-a on host-a pid 1)" in lease.detail
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # doctor wrote nothing
    running.release()
    report = DoctorReport("here")
    check_ledger(report, ledger, TTL)
    assert [c.name for c in report.checks] == ["ledger"]
