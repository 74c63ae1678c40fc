"""Workspace APIs of the emulator (``/ws/{id}/…``): membership and admin gates, Unity Catalog, driven through the SDK.

The example scenario: sp0 (the collector) is metastore admin of ms-east (1001, 1002), a local admin of non-federated
1002, USER on 1003 (ms-west, no metastore admin), and nothing on 1001.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from databricks.sdk.errors import BadRequest, NotFound, PermissionDenied
from databricks.sdk.service.catalog import CatalogIsolationMode, WorkspaceBindingBindingType
from databricks.sdk.service.iam import WorkspacePermission

from rls_local.scenario import PrincipalRef

# The whole emulator suite runs in seconds: a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

SP0 = PrincipalRef("service_principal", "sp0")
SP0_APP = "11111111-aaaa-bbbb-cccc-000000000000"
ADMINS_FILTER = 'displayName eq "admins"'
V1_EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "example.json"


def test_membership_then_admin(emu, acct, workspace_client):
    ws = workspace_client(emu, 1001)
    with pytest.raises(PermissionDenied) as err:
        ws.current_user.me()  # not a member: no assignment, not a local admin
    assert "member of workspace 1001" in str(err.value)
    acct.workspace_assignment.update(1001, emu.principal_id(SP0), permissions=[WorkspacePermission.USER])
    assert ws.current_user.me().user_name == SP0_APP
    # A member lists the groups with their members (PR #4995); reading one by id needs workspace admin.
    (admins,) = ws.groups.list(filter=ADMINS_FILTER)
    assert {emu.principal_ref(m.value) for m in admins.members} == {PrincipalRef("group", "g1")}
    with pytest.raises(PermissionDenied):
        ws.groups.get(admins.id)
    acct.workspace_assignment.update(1001, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN])
    assert ws.groups.get(admins.id).display_name == "admins"
    acct.workspace_assignment.delete(1001, emu.principal_id(SP0))
    with pytest.raises(PermissionDenied):
        ws.current_user.me()
    statuses = [r["status"] for r in emu.state()["requests"] if r["path"].startswith("/ws/1001/api/")]
    assert statuses == [403, 200, 200, 200, 403, 200, 403]  # the group list is two pages (the second empty)


def test_workspace_admin_does_not_widen_catalogs(emu, acct, workspace_client):
    # sp0 is USER on 1003; ms-west has no metastore admin and its only catalog is bob's.
    ws = workspace_client(emu, 1003)
    assert list(ws.catalogs.list()) == []
    (admins,) = ws.groups.list(filter=ADMINS_FILTER)
    with pytest.raises(PermissionDenied):
        ws.groups.get(admins.id)
    acct.workspace_assignment.update(1003, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN])
    assert ws.groups.get(admins.id).display_name == "admins"
    assert list(ws.catalogs.list()) == []  # still nothing: workspace admin changes nothing in Unity Catalog
    with pytest.raises(PermissionDenied):
        ws.catalogs.get("ml")
    with pytest.raises(NotFound):
        ws.catalogs.get("nope")


def test_member_through_nested_groups_with_cycle(start_emulator, example_doc, workspace_client):
    # g1 (ADMIN on 1001) contains g2, g2 contains g1 back: sp0 placed in g2 is an admin through the cycle.
    example_doc["faults"] = []
    example_doc["groups"][1]["members"].append({"type": "service_principal", "id": "sp0"})
    emu = start_emulator(example_doc)
    (admins,) = workspace_client(emu, 1001).groups.list(filter=ADMINS_FILTER)
    assert {emu.principal_ref(m.value) for m in admins.members} == {PrincipalRef("group", "g1")}


def test_member_through_a_user_group_assignment(start_emulator, example_doc, workspace_client):
    # g3 "analysts" has USER on 1001: a member of g3 may call, but is no admin.
    example_doc["faults"] = []
    example_doc["groups"][2]["members"].append({"type": "service_principal", "id": "sp0"})
    emu = start_emulator(example_doc)
    ws = workspace_client(emu, 1001)
    assert ws.current_user.me().user_name == SP0_APP
    (admins,) = ws.groups.list(filter=ADMINS_FILTER)  # a member lists the groups
    with pytest.raises(PermissionDenied):
        ws.groups.get(admins.id)  # an admin-only read


def test_inactive_collector_is_never_a_member(start_emulator, example_doc, workspace_client):
    example_doc["faults"] = []
    example_doc["service_principals"][0]["active"] = False
    emu = start_emulator(example_doc)  # still a local admin of 1002 and USER on 1003
    for wid in (1002, 1003):
        with pytest.raises(PermissionDenied):
            workspace_client(emu, wid).current_user.me()


def test_non_federated_workspace_needs_onboarding(start_emulator, example_doc, workspace_client):
    example_doc["faults"] = []
    example_doc["workspace_local_admins"]["1002"] = [{"type": "user", "id": "u3"}]  # sp0 not onboarded
    emu = start_emulator(example_doc)
    with pytest.raises(PermissionDenied):
        workspace_client(emu, 1002).current_user.me()


def test_local_admins_through_an_account_group(start_emulator, example_doc, workspace_client):
    example_doc["faults"] = []
    example_doc["groups"].append(
        {"id": "ops", "display_name": "ops", "members": [{"type": "service_principal", "id": "sp0"}]}
    )
    example_doc["workspace_local_admins"]["1002"] = [{"type": "user", "id": "u3"}, {"type": "group", "id": "ops"}]
    emu = start_emulator(example_doc)
    ws = workspace_client(emu, 1002)
    (admins,) = ws.groups.list(filter=ADMINS_FILTER)
    members = {(emu.principal_ref(m.value), m.ref.split("/")[0]) for m in admins.members}
    assert members == {(PrincipalRef("user", "u3"), "Users"), (PrincipalRef("group", "ops"), "Groups")}
    assert ws.groups.get(admins.id).display_name == "admins"
    assert list(ws.groups.list(filter='displayName eq "users"')) == []
    with pytest.raises(NotFound):
        ws.groups.get("42")


def test_admin_assignments_join_the_admins_group(emu, acct, workspace_client):
    acct.workspace_assignment.update(1003, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN])
    acct.workspace_assignment.update(
        1003, emu.principal_id(PrincipalRef("user", "u3")), permissions=[WorkspacePermission.USER]
    )
    (admins,) = workspace_client(emu, 1003).groups.list(filter=ADMINS_FILTER)
    # u1: local admin; u2: ADMIN in the scenario; sp0: elevated; u3 (USER) is not there.
    assert {emu.principal_ref(m.value) for m in admins.members} == {
        PrincipalRef("user", "u1"),
        PrincipalRef("user", "u2"),
        SP0,
    }
    assert {m.display for m in admins.members} == {"Alice@Example.com", "bob@example.com", "rls-collector"}


def test_metastore_admin_lists_every_catalog(emu, workspace_client):
    # sp0 administers ms-east: both its catalogs, the ISOLATED one bound to 1002 only included (metastore-wide).
    catalogs = list(workspace_client(emu, 1002).catalogs.list())
    assert [(c.name, c.owner, c.isolation_mode, c.metastore_id) for c in catalogs] == [
        ("main", "sales-admins", CatalogIsolationMode.OPEN, "ms-east"),
        ("hr", "carol@example.com", CatalogIsolationMode.ISOLATED, "ms-east"),
    ]


def test_metastore_admin_through_a_group(start_emulator, example_doc, workspace_client):
    example_doc["faults"] = []
    example_doc["metastores"][1]["admin"] = {"type": "group", "id": "g1"}
    example_doc["groups"][1]["members"].append({"type": "service_principal", "id": "sp0"})  # sp0 in g2 in g1
    emu = start_emulator(example_doc)
    assert [c.name for c in workspace_client(emu, 1003).catalogs.list()] == ["ml"]


def test_catalogs_owned_or_usable(start_emulator, example_doc, workspace_client):
    example_doc["faults"] = []
    example_doc["groups"][1]["members"].append({"type": "service_principal", "id": "sp0"})  # sp0 in g2, g2 in g1
    example_doc["metastores"][1]["catalogs"] = [
        {"name": "mine", "owner": SP0_APP.upper(), "isolation_mode": "OPEN"},  # owner compared ignoring case
        {"name": "teams", "owner": "SALES-ADMINS", "isolation_mode": "OPEN"},  # g1, reached through g2 -> g1
        {"name": "granted", "owner": "x@example.com", "use_catalog": [{"type": "service_principal", "id": "sp0"}]},
        {"name": "via_group", "owner": "x@example.com", "use_catalog": [{"type": "group", "id": "g2"}]},
        {"name": "other", "owner": "x@example.com", "use_catalog": [{"type": "group", "id": "g3"}]},
        {"name": "iso", "owner": "platform", "isolation_mode": "ISOLATED", "bindings": [1004]},
    ]
    emu = start_emulator(example_doc)
    ws = workspace_client(emu, 1003)
    # iso is bound to 1004 only: listed through 1003 with include_unbound alone (sp0 owns it through a group)
    assert [c.name for c in ws.catalogs.list()] == ["mine", "teams", "granted", "via_group"]
    assert [c.name for c in ws.catalogs.list(include_unbound=True)] == ["mine", "teams", "granted", "via_group", "iso"]
    assert ws.catalogs.get("GRANTED").name == "granted"
    with pytest.raises(PermissionDenied):
        ws.catalogs.get("other")


def test_catalogs_paging(start_emulator, example_doc, workspace_client):
    example_doc["faults"] = []
    names = [f"cat{i:02d}" for i in range(7)]
    example_doc["metastores"][0]["catalogs"] = [{"name": n, "owner": "sales-admins"} for n in names]
    emu = start_emulator(example_doc, page_size=3)
    ws = workspace_client(emu, 1002)

    catalogs = list(ws.catalogs.list())
    assert [c.name for c in catalogs] == names
    assert {c.metastore_id for c in catalogs} == {"ms-east"}
    assert all(c.full_name == c.name and c.catalog_type.value == "MANAGED_CATALOG" for c in catalogs)
    pages = [r["path"] for r in emu.state()["requests"] if "unity-catalog/catalogs" in r["path"]]
    assert len(pages) == 3  # 3 + 3 + 1 with a server page of 3
    assert "page_token" not in pages[0] and all("page_token=" in p for p in pages[1:])

    assert [c.name for c in ws.catalogs.list(max_results=2)] == names
    assert ws.catalogs.get("cat03").name == "cat03"


def test_catalog_bindings(start_emulator, example_doc, workspace_client):
    example_doc["faults"] = []
    example_doc["metastores"][1]["catalogs"].append(
        {"name": "lab", "owner": SP0_APP, "isolation_mode": "ISOLATED", "bindings": [1003, 1004]}
    )
    emu = start_emulator(example_doc)
    east, west = workspace_client(emu, 1002), workspace_client(emu, 1003)
    # Metastore admin of ms-east: may read any of its catalogs' bindings.
    assert [(b.workspace_id, b.binding_type) for b in east.workspace_bindings.get_bindings("catalog", "hr")] == [
        (1002, WorkspaceBindingBindingType.BINDING_TYPE_READ_WRITE)
    ]
    assert east.workspace_bindings.get("hr").workspaces == [1002]
    assert list(east.workspace_bindings.get_bindings("catalog", "main")) == []
    # ms-west: no metastore admin; sp0 owns lab, not bob's ml.
    assert [b.workspace_id for b in west.workspace_bindings.get_bindings("catalog", "lab")] == [1003, 1004]
    assert west.workspace_bindings.get("lab").workspaces == [1003, 1004]
    with pytest.raises(PermissionDenied):
        list(west.workspace_bindings.get_bindings("catalog", "ml"))
    with pytest.raises(PermissionDenied):
        west.workspace_bindings.get("ml")
    with pytest.raises(NotFound):
        west.workspace_bindings.get("nope")


def test_current_metastore_assignment(emu, workspace_client):
    current = workspace_client(emu, 1002).metastores.current()
    assert (current.metastore_id, current.workspace_id) == ("ms-east", 1002)
    assert workspace_client(emu, 1003).metastores.current().metastore_id == "ms-west"


def test_workspace_without_metastore(start_emulator, workspace_client):
    # Format v1: a non-federated workspace has no metastore at all.
    v1 = json.loads(V1_EXAMPLE.read_text())
    v1["faults"] = []
    v1["workspace_local_admins"]["1002"].append({"type": "service_principal", "id": "sp0"})
    emu = start_emulator(v1)
    ws = workspace_client(emu, 1002)
    with pytest.raises(NotFound) as err:
        list(ws.catalogs.list())
    assert err.value.error_code == "METASTORE_DOES_NOT_EXIST"
    with pytest.raises(NotFound):
        ws.metastores.current()


def test_not_running_and_unknown_workspaces(emu, acct, workspace_client):
    acct.workspace_assignment.update(1004, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN])
    with pytest.raises(BadRequest) as err:
        list(workspace_client(emu, 1004).catalogs.list())
    assert err.value.error_code == "INVALID_STATE"
    # An unknown workspace has no host metadata and no token endpoint: the client cannot even authenticate.
    with pytest.raises(ValueError):
        workspace_client(emu, 4242, retry_timeout_seconds=1)


def test_me_is_the_collector(emu, workspace_client):
    me = workspace_client(emu, 1002).current_user.me()
    assert me.user_name == SP0_APP
    assert me.id == str(emu.principal_id(SP0))
