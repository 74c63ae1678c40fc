"""The elevation ledger on a volume, written the documented way: whole-file uploads through the Files API with
``overwrite=False`` (create once), driven through the real databricks-sdk against a local Files API server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from databricks.sdk import WorkspaceClient

from rls.collect.ledger import Ledger, LedgerEntry, LedgerError
from rls.collect.volume_files import FilesApiVolume
from rls_local.files_api import FilesApiServer

ROOT = "/Volumes/main/rls/rls_state/elevation-ledger"


@pytest.fixture
def fs(tmp_path) -> Iterator[FilesApiServer]:
    with FilesApiServer(tmp_path) as server:
        yield server


def _ledger(fs: FilesApiServer, root: str = ROOT) -> Ledger:
    return Ledger(FilesApiVolume(lambda: WorkspaceClient(host=fs.url, token=fs.token).files, root))


def _entry(wid: int = 1001, previous: list[str] | None = None) -> LedgerEntry:
    return LedgerEntry("20261201T000000Z-abc", wid, "42", previous, "2026-12-01T00:00:00+00:00")


def test_every_event_is_one_whole_file_created_once(fs):
    fs.create_volume("main", "rls", "rls_state")
    ledger = _ledger(fs)
    assert ledger.open_entries() == []  # no directory yet: nothing was ever elevated
    a, b = _entry(1001, ["USER"]), _entry(1003)
    ledger.elevating(a)
    ledger.elevating(b)
    with pytest.raises(LedgerError, match="exists already"):
        ledger.elevating(a)  # the same elevation twice: refused by the platform, not by a local check
    assert {(e.workspace_id, tuple(e.previous or ())) for e in ledger.open_entries()} == {(1001, ("USER",)), (1003, ())}
    ledger.restored(a, "put USER")
    ledger.restored(a, "found already restored")  # a repair after a restore: the first record stands
    assert [e.workspace_id for e in _ledger(fs).open_entries()] == [1003]  # a later run's fresh client sees the same
    stored = fs.local(f"{ROOT}/20261201T000000Z-abc__1001__42__restored.json")
    assert stored is not None and json.loads(stored.read_bytes())["how"] == "put USER"
    writes = [r for r in fs.requests if r["method"] != "GET"]
    files = [r for r in writes if r["path"].startswith("/api/2.0/fs/files/")]
    assert {r["method"] for r in files} == {"PUT"} and all(r["query"] == {"overwrite": "false"} for r in files)
    assert len(files) == 5  # 2 elevations + the refused duplicate + 2 restores: one request per whole file
    assert {r["path"] for r in writes if r["path"].startswith("/api/2.0/fs/directories/")} == {
        f"/api/2.0/fs/directories{ROOT}"
    }


def test_a_missing_volume_is_a_ledger_error_and_is_never_created(fs):
    ledger = _ledger(fs)
    with pytest.raises(LedgerError, match="cannot write") as e:
        ledger.elevating(_entry())
    assert ROOT in str(e.value) and "\n" not in str(e.value)
    assert ledger.open_entries() == []  # listing a volume that does not exist: nothing recorded
    assert not any(fs.root.iterdir())  # nothing was created, not even a directory
    assert not any(r["method"] == "PUT" and r["path"].startswith("/api/2.0/fs/files/") for r in fs.requests)


def test_only_paths_inside_a_volume_are_accepted():
    with pytest.raises(ValueError, match="not a directory inside a volume"):
        FilesApiVolume(lambda: None, "/Volumes/main/rls")
    with pytest.raises(ValueError, match="not a directory inside a volume"):
        FilesApiVolume(lambda: None, "/dbfs/tmp/ledger")
