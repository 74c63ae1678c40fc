"""The elevation ledger on volume semantics: one immutable file per event, storage failures reported, never fatal."""

from __future__ import annotations

import errno
import json

import pytest

from rls.collect.ledger import Ledger, LedgerEntry, LedgerError
from rls_local.warehouse.volume import StrictVolumeFiles


def _entry(run: str = "20261201T000000Z-abc", wid: int = 1001, previous: list[str] | None = None) -> LedgerEntry:
    return LedgerEntry(run, wid, "42", previous, "2026-12-01T00:00:00+00:00")


def test_local_volume_refuses_appends_seeks_and_truncates(tmp_path):
    files = StrictVolumeFiles(tmp_path)
    (tmp_path / "log.jsonl").write_bytes(b"{}\n")
    for mode in ("a", "ab", "r+b", "w+b"):
        with pytest.raises(OSError) as e:
            files.open("log.jsonl", mode)
        assert e.value.errno == errno.EOPNOTSUPP
    with files.open("new.json", "xb") as f:
        f.write(b"x")
        with pytest.raises(OSError) as e:
            f.seek(0)
        assert e.value.errno == errno.EOPNOTSUPP
        with pytest.raises(OSError):
            f.truncate(0)
    assert (tmp_path / "new.json").read_bytes() == b"x"


def test_an_elevation_is_open_until_its_restore_is_recorded(tmp_path):
    ledger = Ledger(StrictVolumeFiles(tmp_path / "ledger"))
    assert ledger.open_entries() == []  # no directory yet: nothing was ever elevated
    a, b = _entry(wid=1001, previous=["USER"]), _entry(wid=1003)
    ledger.elevating(a)
    ledger.elevating(b)
    assert {(e.workspace_id, tuple(e.previous or ())) for e in ledger.open_entries()} == {(1001, ("USER",)), (1003, ())}
    ledger.restored(a, "put USER")
    ledger.restored(a, "found already restored")  # a repair after a restore: the first record stands
    assert [e.workspace_id for e in ledger.open_entries()] == [1003]
    ledger.restored(b, "deleted")
    assert ledger.open_entries() == []
    # every event is its own whole file: nothing was appended to anything
    assert sorted(p.name.rsplit("__", 1)[1] for p in (tmp_path / "ledger").iterdir()) == [
        "elevate.json",
        "elevate.json",
        "restored.json",
        "restored.json",
    ]


def test_the_same_elevation_is_never_recorded_twice(tmp_path):
    ledger = Ledger(StrictVolumeFiles(tmp_path))
    ledger.elevating(_entry())
    with pytest.raises(LedgerError, match="exists already"):
        ledger.elevating(_entry())


def test_a_record_cut_short_is_reported_as_unreadable_not_fatal(tmp_path):
    ledger = Ledger(StrictVolumeFiles(tmp_path))
    ledger.elevating(_entry(wid=1001, previous=["USER"]))
    cut = next(tmp_path.iterdir())
    cut.write_bytes(cut.read_bytes()[:10])  # a kill mid-write
    [entry] = ledger.open_entries()
    assert (entry.workspace_id, entry.principal_id, entry.readable) == (1001, "42", False)
    assert entry.previous is None


def test_a_record_with_a_wrong_shape_is_unreadable(tmp_path):
    ledger = Ledger(StrictVolumeFiles(tmp_path))
    ledger.elevating(_entry())
    f = next(tmp_path.iterdir())
    f.write_text(json.dumps({"event": "elevate", "previous": "ADMIN"}))
    assert [e.readable for e in ledger.open_entries()] == [False]


def test_storage_failures_raise_a_ledger_error_naming_the_path(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    ledger = Ledger(StrictVolumeFiles(blocker / "ledger"))
    with pytest.raises(LedgerError, match="cannot write") as e:
        ledger.elevating(_entry())
    assert str(blocker) in str(e.value)
    unlistable = Ledger(StrictVolumeFiles(blocker))
    with pytest.raises(LedgerError, match="cannot be listed"):
        unlistable.open_entries()


def test_a_least_privilege_elevation_left_behind_is_repaired_whatever_level_it_reached(tmp_path, example_scenario):
    """A killed run leaves an elevation open: USER raised to ADMIN on 1001 (no assignment before), ADMIN on 1003
    (USER before). The next run's repair knows both levels from the ledger and restores each exactly."""
    from rls.collect.account_api import AccountApi
    from rls.collect.elevation import Elevator
    from rls.model.directory import SERVICE_PRINCIPAL, MemberRef
    from rls_local.context import clients_for, local_config
    from rls_local.emulator import Emulator

    s = example_scenario
    with Emulator(s) as emu:
        api = AccountApi(clients_for(local_config(s, emu, tmp_path), emu))
        pid = str(emu.principal_id(s.collector))
        before = sorted(
            (a["workspace_id"], a["permissions"])
            for a in emu.state()["assignments"]
            if a["principal"] == s.collector.to_json()
        )
        ledger = Ledger(StrictVolumeFiles(tmp_path / "ledger"))
        killed = "20261201T000000Z-dead"
        e1001 = LedgerEntry(killed, 1001, pid, None, "t", set_to=("USER",), reason="not a member")
        ledger.elevating(e1001)
        api.set_permissions(1001, pid, ["USER"])
        ledger.raised(e1001, ["ADMIN"], "the list hid its members")
        api.set_permissions(1001, pid, ["ADMIN"])
        ledger.elevating(LedgerEntry(killed, 1003, pid, ["USER"], "t", set_to=("ADMIN",), reason="hidden"))
        api.set_permissions(1003, pid, ["ADMIN"])
        # an elevate record written before this change (no set_to): it meant ADMIN
        old = {"event": "elevate", "run_id": "20261130T000000Z-old", "workspace_id": 1001, "principal_id": pid}
        ledger.files.write_new(
            f"20261130T000000Z-old__1001__{pid}__elevate.json", json.dumps({**old, "previous": None}).encode()
        )
        assert {(e.workspace_id, e.set_to) for e in ledger.open_entries()} == {
            (1001, ("USER", "ADMIN")),
            (1003, ("ADMIN",)),
            (1001, ("ADMIN",)),
        }
        repairs = Elevator(api, ledger, MemberRef(SERVICE_PRINCIPAL, pid), "20261202T000000Z-next").repair()
        # Oldest first: the old record finds ADMIN (its level) and deletes it; the killed run's 1001 record then
        # finds it already as it was; 1003 gets its USER back.
        assert sorted((r.workspace_id, r.outcome) for r in repairs) == [
            (1001, "already-restored"),
            (1001, "restored"),
            (1003, "restored"),
        ]
        after = sorted(
            (a["workspace_id"], a["permissions"])
            for a in emu.state()["assignments"]
            if a["principal"] == s.collector.to_json()
        )
        assert after == before and ledger.open_entries() == []
