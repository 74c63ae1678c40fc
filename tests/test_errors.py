"""Failures an operator will meet first come out as one line naming the problem and the fix."""

from __future__ import annotations

import pytest

from flow import flow, fresh_schema, load
from rls import exitcodes
from rls.collect.clients import Clients
from rls.config import CollectConfig
from rls.errors import explain


def test_missing_credentials_name_the_fix(monkeypatch, tmp_path) -> None:
    for var in (
        "DATABRICKS_TOKEN",
        "DATABRICKS_CLIENT_ID",
        "DATABRICKS_CLIENT_SECRET",
        "DATABRICKS_CONFIG_PROFILE",
        "DATABRICKS_HOST",
        "DATABRICKS_USERNAME",
        "DATABRICKS_PASSWORD",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.databrickscfg
    cfg = CollectConfig(account_host="http://127.0.0.1:9", account_id="acc", retry_timeout_s=1, http_timeout_s=1)
    with pytest.raises(ValueError) as e:
        Clients(cfg)
    line = explain(e.value)
    assert line.startswith("authentication:") and "DATABRICKS_CLIENT_ID" in line and "\n" not in line


def test_collector_that_is_not_account_admin_is_told_so(warehouse, tmp_path) -> None:
    s = load("example", faults=[{"path_contains": "/workspaces", "method": "GET", "status": 403}])
    result = flow(warehouse, s, tmp_path, fresh_schema(), overrides={"collect.retry_timeout_s": 2.0})
    assert result.collect.exit_code == exitcodes.ERROR
    assert "not an account admin" in result.collect.errors[0]
