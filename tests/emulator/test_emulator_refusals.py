"""How the emulated workspaces refuse the collector, driven through the real SDK: the scenario's
``non_member_answer``, a workspace's ``network_refusal`` (Private Link, IP access list) and ``list_members_for``.

The example scenario: sp0 (the collector) is a local admin of non-federated 1002, USER on 1003, nothing on 1001.
"""

from __future__ import annotations

import re

import pytest
import requests
from databricks.sdk.errors import PermissionDenied, PrivateLinkValidationError, Unauthenticated
from databricks.sdk.service.iam import WorkspacePermission

from rls_local.emulator.ids import workspace_group_id
from rls_local.scenario import PrincipalRef, ScenarioError, parse_scenario

pytestmark = pytest.mark.timeout(60)

SP0 = PrincipalRef("service_principal", "sp0")
ADMINS_FILTER = 'displayName eq "admins"'
GROUPS = "/api/2.0/preview/scim/v2/Groups"


def _causes(e: BaseException | None) -> list[BaseException]:
    out = []
    while e is not None:
        out.append(e)
        e = e.__cause__
    return out


def _as_the_collector_builds_it(emu, workspace_client, wid: int):
    """With the discovery URL set explicitly, as ``rls.collect.clients.Clients.workspace`` does (without it the SDK
    swallows a failed host-metadata probe and fails later on a missing URL)."""
    return workspace_client(
        emu, wid, discovery_url=f"{emu.workspace_host(wid)}/oidc/.well-known/oauth-authorization-server"
    )


def _doc(example_doc, **top):
    example_doc["faults"] = []
    example_doc.update(top)
    return example_doc


def test_a_non_member_gets_403_by_default(start_emulator, example_doc, workspace_client):
    emu = start_emulator(_doc(example_doc))
    with pytest.raises(PermissionDenied) as err:
        workspace_client(emu, 1001).current_user.me()
    assert not isinstance(err.value, PrivateLinkValidationError)


def test_a_non_member_gets_401_when_the_scenario_says_so(start_emulator, example_doc, workspace_client, account_client):
    emu = start_emulator(_doc(example_doc, non_member_answer="401"))
    ws = workspace_client(emu, 1001)
    with pytest.raises(Unauthenticated):
        ws.current_user.me()
    account_client(emu).workspace_assignment.update(1001, emu.principal_id(SP0), permissions=[WorkspacePermission.USER])
    assert ws.current_user.me()  # the same client, once a member


def test_a_non_member_is_refused_at_the_token_endpoint(start_emulator, example_doc, workspace_client, account_client):
    emu = start_emulator(_doc(example_doc, non_member_answer="token_error"))
    ws = workspace_client(emu, 1001)
    with pytest.raises(ValueError, match=r"^invalid_client: "):
        ws.current_user.me()
    token_posts = [r for r in emu.state()["requests"] if r["path"] == "/ws/1001/oidc/v1/token"]
    assert [r["status"] for r in token_posts] == [401]
    assert workspace_client(emu, 1003).current_user.me()  # a member gets its token as before
    account_client(emu).workspace_assignment.update(1001, emu.principal_id(SP0), permissions=[WorkspacePermission.USER])
    assert ws.current_user.me()  # a failed token request is not remembered: the next call asks again


def test_private_link_is_the_sdks_private_link_error(start_emulator, example_doc, workspace_client):
    example_doc["workspaces"][2]["network_refusal"] = "private_link"  # 1003, where sp0 is a member
    emu = start_emulator(_doc(example_doc))
    # Building a client runs OIDC discovery, which the front end refuses too: the SDK wraps its error.
    with pytest.raises(ValueError) as err:
        _as_the_collector_builds_it(emu, workspace_client, 1003)
    causes = _causes(err.value)
    assert any(isinstance(c, PrivateLinkValidationError) for c in causes), causes
    # Any path of that workspace, with or without a token, lands on the login page the SDK looks for.
    resp = requests.get(f"{emu.url}/ws/1003{GROUPS}", timeout=10)
    assert resp.status_code == 200 and resp.url == f"{emu.url}/login.html?error=private-link-validation-error"


def test_an_ip_access_list_refusal_is_a_403_with_the_platforms_words(start_emulator, example_doc, workspace_client):
    example_doc["workspaces"][2]["network_refusal"] = "ip_acl"
    emu = start_emulator(_doc(example_doc))
    token = emu.access_token(1001)  # another workspace: its door is open
    resp = requests.get(f"{emu.url}/ws/1003{GROUPS}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert resp.status_code == 403
    body = resp.json()
    assert body["error_code"] == 403 and "is blocked by Databricks IP ACL for workspace: 1003" in body["message"]
    # Through the SDK (its OIDC discovery meets the refusal first): a PermissionDenied that only its words tell
    # apart from "not a member".
    with pytest.raises(ValueError) as err:
        _as_the_collector_builds_it(emu, workspace_client, 1003)
    assert [c for c in _causes(err.value) if isinstance(c, PermissionDenied) and "IP ACL" in str(c)]


def test_members_list_groups_with_members_admins_read_by_id(start_emulator, example_doc, workspace_client):
    emu = start_emulator(_doc(example_doc))
    ws = workspace_client(emu, 1003)  # sp0 is USER there
    (admins,) = ws.groups.list(filter=ADMINS_FILTER)
    assert admins.members
    with pytest.raises(PermissionDenied):
        ws.groups.get(admins.id)


def test_a_workspace_may_list_members_to_admins_only(start_emulator, example_doc, workspace_client, account_client):
    example_doc["workspaces"][2]["list_members_for"] = "admins"
    emu = start_emulator(_doc(example_doc))
    ws = workspace_client(emu, 1003)
    query = {"filter": ADMINS_FILTER, "attributes": "id,displayName,members"}
    (listed,) = ws.api_client.do("GET", GROUPS, query=query)["Resources"]
    assert "members" not in listed and listed["id"] == workspace_group_id(1003, "admins")
    account_client(emu).workspace_assignment.update(
        1003, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN]
    )
    (listed,) = ws.api_client.do("GET", GROUPS, query=query)["Resources"]
    assert listed["members"]


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [
        ("", "non_member_answer", "404"),
        ("workspaces[0].", "network_refusal", "vpn"),
        ("workspaces[0].", "list_members_for", "all"),
    ],
)
def test_bad_access_keys_name_the_key(example_doc, where, key, value):
    if where:
        example_doc["workspaces"][0][key] = value
    else:
        example_doc[key] = value
    with pytest.raises(ScenarioError, match=re.escape(f"key '{where}{key}': must be one of")):
        parse_scenario(example_doc)
