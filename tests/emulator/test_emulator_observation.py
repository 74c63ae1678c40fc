"""Observing the emulator (state, request log, wait_for_request), its options and the standalone entry point."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from databricks.sdk import AccountClient
from databricks.sdk.config import Config
from databricks.sdk.service.iam import WorkspacePermission

from rls_local.emulator import Emulator, EmulatorOptions, run_standalone
from rls_local.scenario import PrincipalRef, ScenarioError

# The whole emulator suite runs in seconds: a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

SP0 = PrincipalRef("service_principal", "sp0")


def test_state_endpoint_needs_no_token_and_is_not_logged(emu, acct):
    acct.workspace_assignment.update(1001, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN])
    served = requests.get(f"{emu.url}/_emulator/state", timeout=10).json()
    assert served == emu.state()
    assert {"workspace_id": 1001, "principal": SP0.to_json(), "permissions": ["ADMIN"]} in served["assignments"]
    acc = emu.account_id
    assert [(r["method"], r["path"], r["status"]) for r in served["requests"]] == [
        ("GET", "/.well-known/databricks-config", 200),
        ("GET", f"/oidc/accounts/{acc}/.well-known/oauth-authorization-server", 200),
        ("POST", f"/oidc/accounts/{acc}/v1/token", 200),
        (
            "PUT",
            f"/api/2.0/accounts/{acc}/workspaces/1001/permissionassignments/principals/{emu.principal_id(SP0)}",
            200,
        ),
    ]
    put = served["requests"][-1]
    assert set(put) == {"method", "path", "status", "workspace_id", "start", "duration_ms", "user_agent", "body"}
    assert put["workspace_id"] == 1001
    # A write keeps its body (what was asked for); reads and token requests keep none.
    assert json.loads(put["body"]) == {"permissions": ["ADMIN"]}
    assert all(r["body"] is None for r in served["requests"][:-1])
    assert served["requests"][0]["workspace_id"] is None
    assert emu.client_secret not in json.dumps(served)


def test_wait_for_request_blocks_until_a_match(start_emulator, example_doc, account_client):
    example_doc["faults"] = []
    emu = start_emulator(example_doc, latency_ms=(150, 150))
    acct = account_client(emu)
    list(acct.workspaces.list())  # authenticates: the PUT below is then the only request
    before = len(emu.state()["requests"])
    worker = threading.Thread(
        target=acct.workspace_assignment.update,
        args=(1001, emu.principal_id(SP0)),
        kwargs={"permissions": [WorkspacePermission.ADMIN]},
    )
    worker.start()
    got = emu.wait_for_request(lambda r: r["method"] == "PUT", timeout=10)
    worker.join()
    assert got["status"] == 200 and got["path"].endswith(f"/principals/{emu.principal_id(SP0)}")
    assert got["duration_ms"] >= 150  # the latency option applied
    assert len(emu.state()["requests"]) == before + 1
    with pytest.raises(TimeoutError):
        emu.wait_for_request(lambda r: r["method"] == "DELETE", timeout=0.2)
    # start_index skips what was already seen.
    with pytest.raises(TimeoutError):
        emu.wait_for_request(lambda r: r["method"] == "PUT", timeout=0.1, start_index=before + 1)


def test_options_are_validated():
    with pytest.raises(ValueError, match=r"rate_limits\.bogus"):
        EmulatorOptions(rate_limits={"bogus": 1})
    with pytest.raises(ValueError, match="latency_ms"):
        EmulatorOptions(latency_ms=(5, 1))
    with pytest.raises(ValueError, match="page_size"):
        EmulatorOptions(page_size=0)
    with pytest.raises(ValueError, match="token_ttl_s"):
        EmulatorOptions(token_ttl_s=0)
    with pytest.raises(ValueError, match="assignment_propagation_s"):
        EmulatorOptions(assignment_propagation_s=float("nan"))


def test_lifecycle(example_doc):
    from rls_local.scenario import parse_scenario

    emu = Emulator(parse_scenario(example_doc))
    with pytest.raises(RuntimeError):
        _ = emu.url
    with pytest.raises(RuntimeError):
        _ = emu.client_secret
    emu.start()
    url = emu.url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and emu.workspace_host(1001) == url + "/ws/1001"
    # A short retry budget: the SDK retries refused connections for 300 s by default.
    cfg = Config(
        host=url,
        account_id=emu.account_id,
        client_id=emu.client_id,
        client_secret=emu.client_secret,
        auth_type="oauth-m2m",
        retry_timeout_seconds=1,
    )
    client = AccountClient(config=cfg)
    assert len(list(client.workspaces.list())) == 4
    emu.stop()
    with pytest.raises(TimeoutError) as err:  # nobody serves any more, not even the kept-alive socket
        list(client.workspaces.list())
    assert isinstance(err.value.__cause__, requests.ConnectionError)
    emu.stop()  # idempotent


def test_bad_scenario_names_the_key(tmp_path, example_doc):
    del example_doc["workspaces"][1]["workspace_name"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(example_doc))
    with pytest.raises(ScenarioError) as err:
        run_standalone(path, 0)
    message = str(err.value)
    assert "workspaces[1].workspace_name" in message and "\n" not in message
    with pytest.raises(ScenarioError, match=r"workspaces\[1\]\.workspace_name"):
        Emulator(example_doc)


def test_standalone_serves_until_interrupted(tmp_path, example_doc):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(example_doc))
    creds_path = tmp_path / "creds" / "credentials.json"
    creds_path.parent.mkdir()
    creds_path.write_text("stale")
    creds_path.chmod(0o644)  # an existing, readable file: narrowed to 0600 before the secret goes in
    code = (
        "from rls_local.emulator import run_standalone; "
        f"run_standalone({str(path)!r}, 0, credentials_file={str(creds_path)!r})"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        fields = dict(re.findall(r"(\w+)=(\S+)", line))
        assert fields["account_id"] == example_doc["account_id"]
        assert fields["credentials"] == str(creds_path)
        assert stat.S_IMODE(os.stat(creds_path).st_mode) == 0o600
        creds = json.loads(creds_path.read_text())
        assert set(creds) == {"host", "account_id", "client_id", "client_secret"}
        assert creds["host"] == fields["url"] and creds["client_id"] == "11111111-aaaa-bbbb-cccc-000000000000"
        assert creds["client_secret"] not in line
        client = AccountClient(
            config=Config(
                host=creds["host"],
                account_id=creds["account_id"],
                client_id=creds["client_id"],
                client_secret=creds["client_secret"],
                auth_type="oauth-m2m",
            )
        )
        assert [w.workspace_id for w in client.workspaces.list()] == [1001, 1002, 1003, 1004]
        state = requests.get(f"{creds['host']}/_emulator/state", timeout=10).json()
        assert [r["status"] for r in state["requests"]] == [200, 200, 200, 200]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert creds["client_secret"] not in proc.stdout.read() + proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_standalone_default_credentials_file_is_private(tmp_path, example_doc):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(example_doc))
    code = f"from rls_local.emulator import run_standalone; run_standalone({str(path)!r}, 0)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        fields = dict(re.findall(r"(\w+)=(\S+)", proc.stdout.readline()))
        creds_path = Path(fields["credentials"])
        assert stat.S_IMODE(os.stat(creds_path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(creds_path.parent).st_mode) == 0o700
        assert json.loads(creds_path.read_text())["host"] == fields["url"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
