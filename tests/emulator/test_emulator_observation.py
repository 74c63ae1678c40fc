"""Observing the emulator (state, request log, wait_for_request), its options and the standalone entry point."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading

import pytest
import requests
from databricks.sdk import AccountClient
from databricks.sdk.config import Config
from databricks.sdk.service.iam import WorkspacePermission

from rls.emulator import Emulator, EmulatorOptions, run_standalone
from rls.scenario import PrincipalRef, ScenarioError

# The whole emulator suite runs in seconds: a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

SP0 = PrincipalRef("service_principal", "sp0")


def test_state_endpoint_needs_no_token_and_is_not_logged(emu, acct, account_client):
    acct.workspace_assignment.update(1001, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN])
    anonymous = account_client(emu, token="wrong")
    served = anonymous.api_client.do("GET", "/_emulator/state")
    assert served == emu.state()
    assert {"workspace_id": 1001, "principal": SP0.to_json(), "permissions": ["ADMIN"]} in served["assignments"]
    assert [(r["method"], r["status"]) for r in served["requests"]] == [("GET", 404), ("PUT", 200), ("GET", 404)]
    put = served["requests"][1]
    assert set(put) == {"method", "path", "status", "workspace_id", "start", "duration_ms"}
    assert put["workspace_id"] == 1001
    assert served["requests"][0]["workspace_id"] is None


def test_wait_for_request_blocks_until_a_match(start_emulator, example_doc, account_client):
    example_doc["faults"] = []
    emu = start_emulator(example_doc, latency_ms=(150, 150))
    acct = account_client(emu)
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


def test_lifecycle(example_doc):
    from rls.scenario import parse_scenario

    emu = Emulator(parse_scenario(example_doc))
    with pytest.raises(RuntimeError):
        _ = emu.url
    emu.start()
    url, token = emu.url, emu.token
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and emu.workspace_host(1001) == url + "/ws/1001"
    # A short retry budget: the SDK retries refused connections for 300 s by default.
    cfg = Config(host=url, account_id=emu.account_id, token=token, auth_type="pat", retry_timeout_seconds=1)
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
    code = f"from rls.emulator import run_standalone; run_standalone({str(path)!r}, 0)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        fields = dict(re.findall(r"(\w+)=(\S+)", line))
        assert fields["account_id"] == example_doc["account_id"]
        client = AccountClient(
            config=Config(host=fields["url"], account_id=fields["account_id"], token=fields["token"], auth_type="pat")
        )
        assert [w.workspace_id for w in client.workspaces.list()] == [1001, 1002, 1003, 1004]
        state = client.api_client.do("GET", "/_emulator/state")
        assert [r["status"] for r in state["requests"]] == [404, 200]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
