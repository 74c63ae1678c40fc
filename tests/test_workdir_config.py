"""A local workdir remembers (a copy of) the config it was made with.

Before, `rls collect|publish|run --workdir W` without `--config` ran with the defaults: the demo's `self` views
silently reverted to `admin` and `rls verify` failed. A `--config` with other content wins and is announced;
the commands that write the workdir adopt it for later ones.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from inprocess import Ran
from rls import exitcodes
from rls.config import ConfigError, load_config
from rls_local.context import local_config
from rls_local.local import SETTINGS_FILE, workdir_config, write_local_files
from rls_local.scenario import load_scenario

EXAMPLE = Path(__file__).parent / "data" / "scenarios" / "example.json"
SELF = "publish:\n  access_levels: {query.history: self}\n"


def made_with(tmp_path: Path, text: str | None) -> Path:
    """A workdir whose settings were written as a local collect writes them, with config ``text``."""
    workdir = tmp_path / "w"
    config = None
    if text is not None:
        config = tmp_path / "made-with.yml"
        config.write_text(text, encoding="utf-8")
    write_local_files(workdir, load_config(config), load_scenario(EXAMPLE), {}, config)
    return workdir


def level(source) -> str:
    return load_config(source).publish.access_levels.get("query.history", "admin")


def test_without_config_the_remembered_copy_is_used_even_after_the_file_moved(tmp_path: Path) -> None:
    workdir = made_with(tmp_path, SELF)
    (tmp_path / "made-with.yml").rename(tmp_path / "moved.yml")
    assert level(workdir_config(workdir, None, remember=True)) == "self"


def test_a_fresh_workdir_runs_with_what_is_given(tmp_path: Path) -> None:
    given = tmp_path / "c.yml"
    given.write_text(SELF, encoding="utf-8")
    assert level(workdir_config(tmp_path / "fresh", given, remember=True)) == "self"
    assert level(workdir_config(tmp_path / "fresh", None, remember=True)) == "admin"


def test_another_config_is_adopted_and_said(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    workdir = made_with(tmp_path, SELF)
    other = tmp_path / "defaults.yml"
    other.write_text("# nothing set\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="rls_local.local"):
        assert level(workdir_config(workdir, other, remember=True)) == "admin"
    assert f"now uses config {other}" in caplog.text
    assert level(workdir_config(workdir, None, remember=True)) == "admin"  # remembered from now on


def test_a_config_that_does_not_load_is_never_remembered(tmp_path: Path) -> None:
    workdir = made_with(tmp_path, SELF)
    bad = tmp_path / "bad.yml"
    bad.write_text("collect: {workspace_concurrency: 0}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"collect\.workspace_concurrency"):
        workdir_config(workdir, bad, remember=True)
    assert level(workdir_config(workdir, None, remember=True)) == "self"


def test_a_reading_command_uses_another_config_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    workdir = made_with(tmp_path, SELF)
    other = tmp_path / "defaults.yml"
    other.write_text("{}\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="rls_local.local"):
        assert level(workdir_config(workdir, other, remember=False)) == "admin"
    assert "this command runs with" in caplog.text
    assert level(workdir_config(workdir, None, remember=False)) == "self"


def test_the_same_content_elsewhere_is_no_change(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    workdir = made_with(tmp_path, SELF)
    copy = tmp_path / "copy.yml"
    copy.write_text(SELF, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="rls_local.local"):
        assert level(workdir_config(workdir, copy, remember=True)) == "self"
    assert caplog.text == ""


def test_an_old_workdir_whose_config_file_is_gone_says_what_to_do(tmp_path: Path) -> None:
    workdir = tmp_path / "old"
    workdir.mkdir()
    settings = {"catalog": "main", "schema": "rls", "account_id": "a", "config": str(tmp_path / "gone.yml")}
    (workdir / SETTINGS_FILE).write_text(json.dumps(settings), encoding="utf-8")
    with pytest.raises(ConfigError, match="no longer exists: pass --config"):
        workdir_config(workdir, None, remember=True)


@pytest.mark.timeout(1200)  # three commands, each reading the workdir afresh (one Spark session: this process's)
def test_publish_and_verify_without_config_keep_the_self_views(
    tmp_path: Path, rls_in_process: Callable[..., Ran]
) -> None:
    rls = rls_in_process  # each command is `main` as the console script runs it; what it remembers is on disk
    config = tmp_path / "self.yml"
    # two views are enough: the self-level one and an admin-level one (each process publishes and checks them all)
    config.write_text(SELF + "  include: [access.audit, query.history]\n", encoding="utf-8")
    workdir = tmp_path / "w"
    made = rls("run", "--workdir", str(workdir), "--scenario", str(EXAMPLE), "--config", str(config), "--json")
    assert made.returncode == exitcodes.OK, made.stderr[-3000:]
    config.rename(tmp_path / "moved.yml")  # the workdir keeps a copy: the original may move
    again = rls("publish", "--workdir", str(workdir), "--json")
    assert again.returncode == exitcodes.OK, again.stderr[-3000:]
    results = {r["source"]: r for r in json.loads(again.stdout)["publish"]["results"]}
    assert results["query.history"]["status"] == "unchanged", results["query.history"]
    assert {r["status"] for r in results.values()} <= {"unchanged", "skipped"}
    checked = rls("verify", "--workdir", str(workdir), "--json")
    assert checked.returncode == exitcodes.OK, checked.stdout[-3000:] + checked.stderr[-2000:]


class _Emulator:  # what local_config reads of the emulator: its addresses
    url = "http://127.0.0.1:1"

    def workspace_host(self, workspace_id: int) -> str:
        return f"http://127.0.0.1:1/ws/{workspace_id}"


def test_a_local_run_keeps_the_config_file_s_retry_timeout(tmp_path: Path) -> None:
    scenario = load_scenario(EXAMPLE)
    given = tmp_path / "retry.yml"
    given.write_text("collect:\n  retry_timeout_s: 2\n", encoding="utf-8")
    assert local_config(scenario, _Emulator(), tmp_path, given).collect.retry_timeout_s == 2
    # without it, the local default (below production's 300 s)
    assert local_config(scenario, _Emulator(), tmp_path, None).collect.retry_timeout_s == 120
