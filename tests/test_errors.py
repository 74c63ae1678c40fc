"""Failures an operator will meet first come out as one line naming the problem and the fix."""

from __future__ import annotations

import pytest

from flow import flow, fresh_schema, load
from rls import exitcodes
from rls.collect.clients import Clients
from rls.config import CollectConfig
from rls.errors import explain
from rls.sql.errors import SqlNotFound


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


def test_an_account_that_times_out_during_oauth_says_which_host_and_what_to_do(silent_host) -> None:
    """Was: `default auth: oauth-m2m: Invalid URL 'None'` (the SDK's discovery timed out, then it posted to None)."""
    cfg = CollectConfig(account_host=silent_host, account_id="acc", retry_timeout_s=1, http_timeout_s=1)
    with pytest.raises(Exception) as e:
        Clients(cfg, credentials={"client_id": "id", "client_secret": "secret"})
    line = explain(e.value)
    assert line.startswith("authentication:") and silent_host in line and "collect.http_timeout_s" in line, line
    assert "Invalid URL" not in line and "\n" not in line and "secret" not in line


def test_an_account_call_that_times_out_says_so_and_what_to_do(silent_host) -> None:
    cfg = CollectConfig(account_host=silent_host, account_id="acc", retry_timeout_s=1, http_timeout_s=1)
    with pytest.raises(Exception) as e:
        list(Clients(cfg, token="t", auth_type="pat").account.workspaces.list())
    line = explain(e.value)
    assert line.startswith("timed out:") and "collect.retry_timeout_s" in line and "\n" not in line, line


def test_a_spark_timeout_names_the_sql_side_not_a_py4j_call(warehouse) -> None:
    """A Py4J error says `An error occurred while calling o123.sql`: the line must carry the Java exception."""
    from py4j.protocol import Py4JJavaError

    jvm = warehouse.spark._jvm
    try:  # a real Java exception, raised through Py4J by a JVM call that times out
        jvm.java.util.concurrent.CompletableFuture().get(1, jvm.java.util.concurrent.TimeUnit.MILLISECONDS)
    except Py4JJavaError as e:
        line = explain(e)
    assert line.startswith("timed out: the SQL side") and "TimeoutException" in line and "\n" not in line, line
    assert "o" + "123" not in line and "calling" not in line


def test_an_account_that_never_answers_is_one_line_naming_the_host(silent_host, monkeypatch) -> None:
    """Was: a Py4J stack and `Invalid URL 'None'` (the SDK's OAuth discovery timed out, then it posted to None).
    The real SDK against a real TCP server that accepts and never answers."""
    from rls.collect.account_api import AccountApi
    from rls.collect.clients import Clients
    from rls.config import load_config
    from rls.errors import explain

    monkeypatch.setenv("DATABRICKS_CLIENT_ID", "id")
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", "not-a-secret")
    overrides = {
        "collect.account_host": silent_host,
        "collect.account_id": "acc",
        "collect.http_timeout_s": 1,
        "collect.retry_timeout_s": 2,
    }
    cfg = load_config(None, overrides)
    with pytest.raises(Exception) as raised:
        AccountApi(Clients(cfg.collect)).workspaces()
    line = explain(raised.value)
    assert "\n" not in line and "Invalid URL" not in line and "Traceback" not in line, line
    assert silent_host in line and "collect.http_timeout_s" in line, line


# Refusals and missing objects in the platforms' own words: the hint comes from what the SQL seam names the failure
# (rls.sql.errors), whichever form the exception arrives in.
DATABRICKS_REFUSAL = (
    "[INSUFFICIENT_PERMISSIONS] Insufficient privileges:\n"
    "User does not have SELECT on Table 'main.rls.vw_system_access_audit'. SQLSTATE: 42501"
)


def test_a_refused_select_on_a_view_names_the_readers_grant() -> None:
    from rls.sql.errors import SqlPermissionDenied

    for e in (RuntimeError(DATABRICKS_REFUSAL), SqlPermissionDenied(DATABRICKS_REFUSAL, "INSUFFICIENT_PERMISSIONS")):
        line = explain(e)
        assert "GRANT SELECT ON VIEW `main`.`rls`.`vw_system_access_audit` TO <reader>" in line, line
        assert "publish.grant_select_to" in line and "\n" not in line


def test_a_refused_select_on_a_system_table_names_the_owners_grants() -> None:
    refusal = DATABRICKS_REFUSAL.replace("main.rls.vw_system_access_audit", "system.access.audit")
    line = explain(RuntimeError(refusal))
    assert "USE SCHEMA and SELECT on system.access" in line and "GRANT SELECT ON VIEW" not in line, line


def test_only_a_missing_catalog_gets_the_catalog_hint() -> None:
    catalog = "[CATALOG_NOT_FOUND] The catalog `nope` cannot be found. SQLSTATE: 42P08"
    assert "create the catalog or set `catalog`" in explain(RuntimeError(catalog))
    # a missing table whose name happens to spell the catalog's error class: the class is the table's, no catalog hint
    table = (
        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `main`.`rls`.`catalog_not_found_log` cannot be found. "
        "SQLSTATE: 42P01"
    )
    assert "create the catalog" not in explain(RuntimeError(table))
    # the class carried beside the message (as the seam's typed error holds it), not in the text: still the hint
    bare = SqlNotFound("The catalog `nope` cannot be found.", "CATALOG_NOT_FOUND")
    assert "CATALOG_NOT_FOUND" not in str(bare) and "create the catalog or set `catalog`" in explain(bare)
