"""What the collector relies on inside databricks-sdk, beyond its public API: fails when an SDK release changes it.

pyproject.toml bounds databricks-sdk to the release these tests pass with; widening the bound starts here.
"""

from __future__ import annotations

import contextlib
import inspect

import pytest
import requests
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.config import Config
from databricks.sdk.errors import Unauthenticated

from rls import __version__
from rls.collect.account_api import AccountApi
from rls.collect.clients import Clients
from rls.collect.ratelimit import LimitedAdapter
from rls.config import CollectConfig
from rls_local.context import clients_for, local_config
from rls_local.emulator import Emulator
from rls_local.scenario import Scenario


def _offline_config() -> Config:
    # Port 9 (discard) on loopback: the host-metadata probe fails at once and the SDK falls back to this config.
    return Config(host="http://127.0.0.1:9", account_id="acc", token="t", auth_type="pat", retry_timeout_seconds=1)


def test_the_requests_session_every_call_passes_through_is_where_the_limiter_mounts():
    client = AccountClient(config=_offline_config())
    session = client.api_client._api_client._session
    assert isinstance(session, requests.Session)


def test_clients_mount_the_rate_limiter_on_account_and_workspace_clients():
    cfg = CollectConfig(account_host="http://127.0.0.1:9", account_id="acc", retry_timeout_s=1)
    clients = Clients(cfg, token="t", auth_type="pat", retry_timeout_seconds=1)
    for client in (clients.account, clients.workspace(7, "ws7")):
        adapter = client.api_client._api_client._session.get_adapter("http://127.0.0.1:9/api")
        assert isinstance(adapter, LimitedAdapter)


def test_config_knows_the_attributes_the_collector_sets():
    names = {a.name for a in Config.attributes()}
    # discovery_url: repointed at each workspace's own OIDC endpoint; product: the User-Agent names rls.
    assert {"discovery_url", "workspace_id", "account_id", "client_id", "client_secret"} <= names
    cfg = Config(
        host="http://127.0.0.1:9",
        token="t",
        auth_type="pat",
        retry_timeout_seconds=1,
        product="rls",
        product_version="1",
    )
    assert "rls/1" in cfg.user_agent


def test_every_call_of_the_collectors_clients_names_the_product_in_its_user_agent(example_scenario: Scenario, tmp_path):
    with Emulator(example_scenario) as emu:
        cfg = local_config(example_scenario, emu, tmp_path)
        api = AccountApi(clients_for(cfg, emu))  # the clients the job's collector builds (OAuth M2M, as in prod)
        workspace = api.workspaces()[0]
        with contextlib.suppress(Exception):  # what it answers does not matter here, only what the request says
            api.catalogs(workspace)
        # API calls only: the SDK's own configuration and OAuth probes (/.well-known, /oidc) are sent before the
        # config's product applies (databricks-sdk 0.162: "unknown/0.0.0", token POSTs plain python-requests).
        calls = [r for r in emu.state()["requests"] if "/api/" in r["path"]]
    assert {r["workspace_id"] is not None for r in calls} == {True, False}  # account and workspace clients
    assert all(f"rls/{__version__}" in (r["user_agent"] or "") for r in calls), [r["user_agent"] for r in calls]


def test_workspace_calls_carry_the_workspaces_own_token_and_the_sdks_copied_account_token_is_refused(
    example_scenario: Scenario, tmp_path
):
    """The one token path of rls.collect.clients: a workspace call uses a token from that workspace's endpoint. What
    SDK 0.162's ``AccountClient.get_workspace_client()`` would send instead (an account token, its discovery URL
    copied) is refused by the local account, so a drift to it fails here."""
    with Emulator(example_scenario) as emu:
        clients = clients_for(local_config(example_scenario, emu, tmp_path), emu)
        assert clients.workspace(1003, "ml-dev").current_user.me().user_name == example_scenario.collector_identity
        posts = [r["path"] for r in emu.state()["requests"] if r["method"] == "POST"]
        assert posts == ["/ws/1003/oidc/v1/token"]  # the workspace's endpoint, not the account's
        # get_workspace_client(), step by step (it needs a cloud hostname): copy, new host, no account id, init.
        config = clients.account.config.deep_copy()
        config.host, config.account_id, config.workspace_id = emu.workspace_host(1003), None, "1003"
        config.init_auth()
        with pytest.raises(Unauthenticated):
            WorkspaceClient(config=config).current_user.me()
    # ...and the SDK still builds it that way; if this changes, revisit the token path in rls.collect.clients.
    source = inspect.getsource(AccountClient.get_workspace_client)
    assert "deep_copy()" in source and "discovery_url" not in source
