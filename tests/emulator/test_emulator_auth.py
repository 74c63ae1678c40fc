"""OAuth M2M against the emulator: discovery, the client-credentials token endpoint, scoped and expiring tokens."""

from __future__ import annotations

import time

import pytest
import requests
from databricks.sdk.errors import PermissionDenied

from rls_local.scenario import PrincipalRef

# The whole emulator suite runs in seconds: a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

ACC = "00000000-0000-0000-0000-000000000001"
SP0_APP = "11111111-aaaa-bbbb-cccc-000000000000"
UNAUTHENTICATED = {"error_code": "UNAUTHENTICATED", "message": "Invalid access token."}


def _get(emu, path: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(emu.url + path, headers=headers, timeout=10)


def test_discovery_documents_need_no_token(emu):
    account = _get(emu, "/.well-known/databricks-config").json()
    # An accounts host serves every account: the placeholder stays, the client substitutes its account id.
    assert account == {"oidc_endpoint": f"{emu.url}/oidc/accounts/{{account_id}}"}
    workspace = _get(emu, "/ws/1002/.well-known/databricks-config").json()
    assert workspace == {"oidc_endpoint": f"{emu.url}/ws/1002/oidc", "workspace_id": "1002"}
    acc_doc = _get(emu, f"/oidc/accounts/{ACC}/.well-known/oauth-authorization-server").json()
    assert acc_doc["token_endpoint"] == f"{emu.url}/oidc/accounts/{ACC}/v1/token"
    assert acc_doc["authorization_endpoint"].startswith(f"{emu.url}/oidc/accounts/{ACC}/")
    ws_doc = _get(emu, "/ws/1002/oidc/.well-known/oauth-authorization-server").json()
    assert ws_doc["token_endpoint"] == f"{emu.url}/ws/1002/oidc/v1/token"
    assert _get(emu, "/ws/4242/.well-known/databricks-config").status_code == 404
    assert _get(emu, "/.well-known/openid-configuration").status_code == 404


def test_the_sdk_authenticates_through_the_token_endpoint(emu, account_client, workspace_client):
    assert len(list(account_client(emu).workspaces.list())) == 4
    assert workspace_client(emu, 1002).current_user.me().user_name == SP0_APP
    paths = [(r["method"], r["path"], r["status"]) for r in emu.state()["requests"]]
    assert paths == [
        ("GET", "/.well-known/databricks-config", 200),
        ("GET", f"/oidc/accounts/{ACC}/.well-known/oauth-authorization-server", 200),
        ("POST", f"/oidc/accounts/{ACC}/v1/token", 200),
        ("GET", f"/api/2.0/accounts/{ACC}/workspaces", 200),
        ("GET", "/ws/1002/.well-known/databricks-config", 200),
        ("GET", "/ws/1002/oidc/.well-known/oauth-authorization-server", 200),
        ("POST", "/ws/1002/oidc/v1/token", 200),
        ("GET", "/ws/1002/api/2.0/preview/scim/v2/Me", 200),
    ]
    assert emu.client_id == SP0_APP


def test_user_collector_client_id_is_its_user_name(start_emulator, example_doc, workspace_client):
    example_doc["collector"] = {"type": "user", "id": "u3"}  # carol: a local admin of 1002
    emu = start_emulator(example_doc)
    assert emu.client_id == "carol@example.com"
    assert workspace_client(emu, 1002).current_user.me().user_name == "carol@example.com"


def test_wrong_client_credentials(emu, account_client):
    with pytest.raises(ValueError, match="invalid_client: Client authentication failed"):
        list(account_client(emu, client_secret="not-the-secret").workspaces.list())
    with pytest.raises(ValueError, match="invalid_client"):
        list(account_client(emu, client_id="someone-else").workspaces.list())
    token_url = f"{emu.url}/oidc/accounts/{ACC}/v1/token"
    resp = requests.post(token_url, data={"grant_type": "client_credentials"}, timeout=10)
    assert resp.status_code == 401
    assert resp.json() == {"error": "invalid_client", "error_description": "Client authentication failed"}
    # client_secret_post works too; an unsupported grant is a 400.
    form = {"grant_type": "password", "client_id": emu.client_id, "client_secret": emu.client_secret}
    resp = requests.post(token_url, data=form, timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "unsupported_grant_type"
    form["grant_type"] = "client_credentials"
    ok = requests.post(token_url, data=form, timeout=10).json()
    assert ok["token_type"] == "Bearer" and ok["expires_in"] == 3600 and ok["access_token"]
    assert [r["status"] for r in emu.state()["requests"] if r["path"].endswith("/v1/token")] == [
        401,
        401,
        401,
        400,
        200,
    ]


def test_no_static_token_and_no_garbage(emu):
    assert not hasattr(emu, "token")
    for token in (None, "garbage", emu.client_secret):
        resp = _get(emu, f"/api/2.0/accounts/{ACC}/workspaces", token)
        assert (resp.status_code, resp.json()) == (401, UNAUTHENTICATED)


def test_tokens_are_scoped(emu):
    account, ws1002, ws1003 = emu.access_token(), emu.access_token(1002), emu.access_token(1003)
    assert _get(emu, f"/api/2.0/accounts/{ACC}/workspaces", account).status_code == 200
    assert _get(emu, "/ws/1002/api/2.0/preview/scim/v2/Me", ws1002).status_code == 200
    assert _get(emu, "/ws/1003/api/2.0/preview/scim/v2/Me", ws1003).status_code == 200
    for path, token in [
        ("/ws/1002/api/2.0/preview/scim/v2/Me", account),  # an account token on a workspace
        (f"/api/2.0/accounts/{ACC}/workspaces", ws1002),  # a workspace token on the account
        ("/ws/1003/api/2.0/preview/scim/v2/Me", ws1002),  # another workspace's token
    ]:
        resp = _get(emu, path, token)
        assert (resp.status_code, resp.json()) == (401, UNAUTHENTICATED), path


def test_tokens_expire(start_emulator, example_doc, fake_clock):
    emu = start_emulator(example_doc, token_ttl_s=60, clock=fake_clock)
    token = emu.access_token()
    path = f"/api/2.0/accounts/{ACC}/workspaces"
    fake_clock.advance(59.9)
    assert _get(emu, path, token).status_code == 200
    fake_clock.advance(0.1)
    assert _get(emu, path, token).status_code == 401
    assert _get(emu, path, emu.access_token()).status_code == 200


def test_the_sdk_refreshes_short_lived_tokens(start_emulator, example_doc, account_client, workspace_client):
    # The SDK counts a token as expired 40 s before its expiry, so with 0.3 s tokens it fetches one per call;
    # the calls span several lifetimes and all succeed, while the server does expire the old tokens.
    emu = start_emulator(example_doc, token_ttl_s=0.3)
    first = emu.access_token()
    acct, ws = account_client(emu), workspace_client(emu, 1002)
    start = time.monotonic()
    calls = 0
    while time.monotonic() - start < 1.5 or calls < 10:
        assert len(list(acct.workspaces.list())) == 4
        assert ws.current_user.me().user_name == SP0_APP
        calls += 2
    log = emu.state()["requests"]
    assert _get(emu, f"/api/2.0/accounts/{ACC}/workspaces", first).status_code == 401
    api = [r for r in log if "/api/" in r["path"]]
    assert len(api) == calls and {r["status"] for r in api} == {200}
    assert len([r for r in log if r["path"].endswith("/v1/token")]) >= calls


def test_rotated_secret_cannot_refresh(start_emulator, example_doc, account_client, workspace_client):
    emu = start_emulator(example_doc)  # one-hour tokens: the SDK keeps the one it has
    acct = account_client(emu)
    assert len(list(acct.workspaces.list())) == 4
    old = emu.client_secret
    assert emu.rotate_secret() == emu.client_secret != old
    assert len(list(acct.workspaces.list())) == 4  # an issued token lives on until it expires
    with pytest.raises(ValueError, match="invalid_client"):
        list(account_client(emu, client_secret=old).workspaces.list())
    short = start_emulator(example_doc, token_ttl_s=0.5)  # the SDK refreshes before every call
    acct = account_client(short)
    assert len(list(acct.workspaces.list())) == 4
    short.rotate_secret()
    with pytest.raises(ValueError, match="invalid_client"):
        list(acct.workspaces.list())


def test_membership_is_checked_after_authentication(emu, workspace_client):
    # 1001: a valid token for the workspace, but the collector is not a member there.
    token = emu.access_token(1001)
    resp = _get(emu, "/ws/1001/api/2.0/preview/scim/v2/Me", token)
    assert resp.status_code == 403 and resp.json()["error_code"] == "PERMISSION_DENIED"
    with pytest.raises(PermissionDenied):
        workspace_client(emu, 1001).current_user.me()
    assert emu.principal_ref(emu.principal_id(PrincipalRef("user", "u1"))) == PrincipalRef("user", "u1")
