"""Injected faults and server-side rate limits, as the real SDK experiences them (retries, Retry-After, errors)."""

from __future__ import annotations

import pytest
import requests
from databricks.sdk.errors import InternalError
from databricks.sdk.service.iam import WorkspacePermission

from rls_local.scenario import PrincipalRef

# The whole emulator suite runs in seconds: a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

SP0 = PrincipalRef("service_principal", "sp0")


def _statuses(emu, fragment: str) -> list[int]:
    return [r["status"] for r in emu.state()["requests"] if fragment in r["path"]]


def test_transient_503_is_retried(start_emulator, example_doc, account_client, workspace_client):
    # The example scenario's own fault: 503 twice on 1003's workspace SCIM groups.
    emu = start_emulator(example_doc)
    account_client(emu).workspace_assignment.update(
        1003, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN]
    )
    assert [g.display_name for g in workspace_client(emu, 1003).groups.list(filter='displayName eq "admins"')] == [
        "admins"
    ]
    assert _statuses(emu, "/ws/1003/api/2.0/preview/scim/v2/Groups")[:3] == [503, 503, 200]


def test_persistent_503_makes_the_sdk_give_up(start_emulator, example_doc, account_client):
    example_doc["faults"] = [{"workspace_id": 1003, "path_contains": "permissionassignments", "status": 503}]
    emu = start_emulator(example_doc)
    with pytest.raises(TimeoutError):
        list(account_client(emu, retry_timeout_seconds=1).workspace_assignment.list(1003))
    statuses = _statuses(emu, "/workspaces/1003/permissionassignments")
    assert statuses and set(statuses) == {503}
    # Other workspaces are not affected.
    assert len(list(account_client(emu).workspace_assignment.list(1001))) == 2


def test_persistent_500_is_raised_at_once(start_emulator, example_doc, account_client):
    example_doc["faults"] = [{"path_contains": "/scim/v2/Groups", "status": 500}]
    emu = start_emulator(example_doc)
    acct = account_client(emu)
    for _ in range(2):  # no `times`: every matching request fails
        with pytest.raises(InternalError):
            list(acct.groups.list())
    assert _statuses(emu, "/scim/v2/Groups") == [500, 500]


def test_429_retry_after_is_honoured(start_emulator, example_doc, account_client, recording_clock):
    example_doc["faults"] = [{"path_contains": "scim/v2/Groups", "status": 429, "retry_after_s": 2, "times": 1}]
    emu = start_emulator(example_doc)
    groups = list(account_client(emu, clock=recording_clock).groups.list())
    assert len(groups) == 3
    # The SDK sleeps Retry-After plus up to 1 s of jitter; without the header it would sleep 1 + jitter.
    assert len(recording_clock.sleeps) == 1 and 2 <= recording_clock.sleeps[0] < 3
    first, second = [r for r in emu.state()["requests"] if "scim/v2/Groups" in r["path"]][:2]
    assert (first["status"], second["status"]) == (429, 200)
    assert second["start"] - first["start"] >= 2


def test_fault_by_method_only(start_emulator, example_doc, account_client):
    example_doc["faults"] = [{"method": "PUT", "status": 500, "times": 1}]
    emu = start_emulator(example_doc)
    acct = account_client(emu)
    assert len(list(acct.workspace_assignment.list(1001))) == 2
    pid = emu.principal_id(SP0)
    with pytest.raises(InternalError):
        acct.workspace_assignment.update(1001, pid, permissions=[WorkspacePermission.ADMIN])
    acct.workspace_assignment.update(1001, pid, permissions=[WorkspacePermission.ADMIN])
    assert [r["status"] for r in emu.state()["requests"] if r["method"] == "PUT"] == [500, 200]


def test_malformed_success_body(start_emulator, example_doc, account_client):
    example_doc["faults"] = [
        {"path_contains": "/workspaces", "status": 200, "body": '[{"workspace_id": 10', "times": 1}
    ]
    emu = start_emulator(example_doc)
    acct = account_client(emu)
    with pytest.raises(ValueError):  # requests' JSONDecodeError
        list(acct.workspaces.list())
    assert len(list(acct.workspaces.list())) == 4


def test_malformed_error_body(start_emulator, example_doc, account_client):
    example_doc["faults"] = [{"path_contains": "/scim/v2/Users", "status": 502, "body": "<html>bad gateway</html>"}]
    emu = start_emulator(example_doc)
    with pytest.raises(Exception) as err:
        list(account_client(emu).users.list())
    assert not isinstance(err.value, TimeoutError)
    assert _statuses(emu, "/scim/v2/Users") == [502]


def test_rate_limit_answers_429_and_the_sdk_completes(
    start_emulator, example_doc, with_users, account_client, recording_clock
):
    # 0.5 request/s on SCIM lists: every page after the first waits for a token, told by Retry-After: 2.
    emu = start_emulator(with_users(example_doc, 246), page_size=125, rate_limits={"scim_list": 0.5})
    acct = account_client(emu, clock=recording_clock)
    users = list(acct.users.list())
    assert len(users) == 250
    statuses = _statuses(emu, "/scim/v2/Users")
    assert statuses.count(200) == 3  # startIndex 1, 126, 251 (empty)
    assert 429 in statuses
    assert recording_clock.sleeps and all(2 <= s < 3 for s in recording_clock.sleeps)
    # Other families, and the OAuth endpoints, are not limited.
    assert _statuses(emu, "/.well-known") == [200, 200]
    assert _statuses(emu, "/v1/token") == [200]
    assert len(list(acct.workspaces.list())) == 4


def test_workspace_rate_limit_is_per_workspace(start_emulator, example_doc):
    # As on Databricks: one workspace at its limit does not throttle another.
    emu = start_emulator(example_doc, rate_limits={"workspace": 0.2})  # one token, the next in 5 s
    tokens = {wid: emu.access_token(wid) for wid in (1001, 1002)}  # token endpoints are never limited

    def status(wid: int) -> int:
        headers = {"Authorization": f"Bearer {tokens[wid]}"}
        return requests.get(f"{emu.workspace_host(wid)}/api/2.0/preview/scim/v2/Groups", headers=headers).status_code

    # (403 on 1001 when let through: the collector is no member there; the limit is checked first either way)
    throttled = [status(w) == 429 for w in (1001, 1001, 1002, 1002)]
    assert throttled == [False, True, False, True]


def test_oauth_endpoints_are_never_faulted(start_emulator, example_doc, workspace_client):
    # A fault on every request of workspace 1002 hits its APIs, not its discovery or token endpoints:
    # the client is built and authenticates, then the API call fails as injected.
    example_doc["faults"] = [{"workspace_id": 1002, "status": 500}]
    emu = start_emulator(example_doc)
    with pytest.raises(InternalError):
        workspace_client(emu, 1002).current_user.me()
    assert [(r["path"], r["status"]) for r in emu.state()["requests"]] == [
        ("/ws/1002/.well-known/databricks-config", 200),
        ("/ws/1002/oidc/.well-known/oauth-authorization-server", 200),
        ("/ws/1002/oidc/v1/token", 200),
        ("/ws/1002/api/2.0/preview/scim/v2/Me", 500),
    ]
