"""Workspace APIs of the emulator (``/ws/{id}/…``) and their admin gate, driven through the real databricks-sdk."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import BadRequest, NotFound, PermissionDenied
from databricks.sdk.service.iam import WorkspacePermission

from rls.scenario import PrincipalRef

# The whole emulator suite runs in seconds: a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

SP0 = PrincipalRef("service_principal", "sp0")
ADMINS_FILTER = 'displayName eq "admins"'


def test_forbidden_until_elevated(emu, acct, workspace_client):
    ws = workspace_client(emu, 1001)
    with pytest.raises(PermissionDenied):
        list(ws.catalogs.list())
    acct.workspace_assignment.update(1001, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN])
    assert [c.name for c in ws.catalogs.list()] == ["main"]
    acct.workspace_assignment.delete(1001, emu.principal_id(SP0))
    with pytest.raises(PermissionDenied):
        list(ws.groups.list(filter=ADMINS_FILTER))
    statuses = [r["status"] for r in emu.state()["requests"] if r["path"].startswith("/ws/1001/api/")]
    assert statuses == [403, 200, 403]


def test_user_permission_is_not_admin(emu, acct, workspace_client):
    # sp0 has USER on 1003: still forbidden, until that assignment becomes ADMIN.
    ws = workspace_client(emu, 1003)
    with pytest.raises(PermissionDenied):
        list(ws.catalogs.list())
    acct.workspace_assignment.update(1003, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN])
    assert [c.name for c in ws.catalogs.list()] == ["ml"]


def test_admin_through_nested_groups_with_cycle(start_emulator, example_doc, workspace_client):
    # g1 (ADMIN on 1001) contains g2, g2 contains g1 back: sp0 placed in g2 is an admin through the cycle.
    example_doc["faults"] = []
    example_doc["groups"][1]["members"].append({"type": "service_principal", "id": "sp0"})
    emu = start_emulator(example_doc)
    assert [c.owner for c in workspace_client(emu, 1001).catalogs.list()] == ["sales-admins"]


def test_inactive_collector_is_never_admin(start_emulator, example_doc, workspace_client):
    example_doc["faults"] = []
    example_doc["service_principals"][0]["active"] = False
    example_doc["assignments"].append(
        {"workspace_id": 1001, "principal": {"type": "service_principal", "id": "sp0"}, "permissions": ["ADMIN"]}
    )
    emu = start_emulator(example_doc)
    with pytest.raises(PermissionDenied):
        list(workspace_client(emu, 1001).catalogs.list())


def test_local_admins_group(start_emulator, example_doc, account_client, workspace_client):
    # The collector is a local admin of non-federated 1002 through an account group listed there.
    example_doc["faults"] = []
    example_doc["groups"].append(
        {"id": "ops", "display_name": "ops", "members": [{"type": "service_principal", "id": "sp0"}]}
    )
    example_doc["workspace_local_admins"]["1002"].append({"type": "group", "id": "ops"})
    emu = start_emulator(example_doc)
    acct, ws = account_client(emu), workspace_client(emu, 1002)

    (admins,) = ws.groups.list(filter=ADMINS_FILTER)
    assert admins.display_name == "admins"
    members = {(emu.principal_ref(m.value), m.ref.split("/")[0]) for m in admins.members}
    assert members == {(PrincipalRef("user", "u3"), "Users"), (PrincipalRef("group", "ops"), "Groups")}

    # An ADMIN assignment through the account API joins the group; USER does not.
    acct.workspace_assignment.update(
        1002, emu.principal_id(PrincipalRef("user", "u1")), permissions=[WorkspacePermission.ADMIN]
    )
    acct.workspace_assignment.update(
        1002, emu.principal_id(PrincipalRef("user", "u2")), permissions=[WorkspacePermission.USER]
    )
    again = ws.groups.get(admins.id)
    assert {emu.principal_ref(m.value) for m in again.members} == {
        PrincipalRef("user", "u3"),
        PrincipalRef("group", "ops"),
        PrincipalRef("user", "u1"),
    }
    assert list(ws.groups.list(filter='displayName eq "users"')) == []
    with pytest.raises(NotFound):
        ws.groups.get("42")


def test_elevated_collector_shows_in_admins_group(emu, acct, workspace_client):
    acct.workspace_assignment.update(1001, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN])
    (admins,) = workspace_client(emu, 1001).groups.list(filter=ADMINS_FILTER)
    assert {emu.principal_ref(m.value) for m in admins.members} == {PrincipalRef("group", "g1"), SP0}
    assert {m.display for m in admins.members} == {"sales-admins", "rls-collector"}


def test_catalogs_paging(start_emulator, example_doc, account_client, workspace_client):
    example_doc["faults"] = []
    names = [f"cat{i:02d}" for i in range(7)]
    example_doc["catalogs"]["1001"] = [{"name": n, "owner": "sales-admins"} for n in names]
    emu = start_emulator(example_doc, page_size=3)
    account_client(emu).workspace_assignment.update(
        1001, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN]
    )
    ws = workspace_client(emu, 1001)

    catalogs = list(ws.catalogs.list())
    assert [c.name for c in catalogs] == names
    metastore = account_client(emu).metastore_assignments.get(1001).metastore_assignment.metastore_id
    assert {c.metastore_id for c in catalogs} == {metastore}
    assert all(c.full_name == c.name and c.catalog_type.value == "MANAGED_CATALOG" for c in catalogs)
    pages = [r["path"] for r in emu.state()["requests"] if "unity-catalog/catalogs" in r["path"]]
    assert len(pages) == 3  # 3 + 3 + 1 with a server page of 3
    assert "page_token" not in pages[0] and all("page_token=" in p for p in pages[1:])

    assert [c.name for c in ws.catalogs.list(max_results=2)] == names
    assert ws.catalogs.get("cat03").name == "cat03"


def test_catalogs_on_non_federated_workspace(start_emulator, example_doc, workspace_client):
    example_doc["faults"] = []
    example_doc["workspace_local_admins"]["1002"].append({"type": "service_principal", "id": "sp0"})
    emu = start_emulator(example_doc)
    with pytest.raises(NotFound) as err:
        list(workspace_client(emu, 1002).catalogs.list())
    assert err.value.error_code == "METASTORE_DOES_NOT_EXIST"


def test_not_running_and_unknown_workspaces(emu, acct, workspace_client):
    acct.workspace_assignment.update(1004, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN])
    with pytest.raises(BadRequest) as err:
        list(workspace_client(emu, 1004).catalogs.list())
    assert err.value.error_code == "INVALID_STATE"
    with pytest.raises(NotFound):
        list(workspace_client(emu, 4242).catalogs.list())


def test_me_is_the_collector(start_emulator, example_doc, workspace_client):
    example_doc["faults"] = []
    example_doc["workspace_local_admins"]["1002"].append({"type": "service_principal", "id": "sp0"})
    emu = start_emulator(example_doc)
    me = workspace_client(emu, 1002).current_user.me()
    assert me.user_name == "11111111-aaaa-bbbb-cccc-000000000000"
    assert me.id == str(emu.principal_id(SP0))
