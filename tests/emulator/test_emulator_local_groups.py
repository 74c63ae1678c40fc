"""Workspace-local groups (scenario v3) and the catalog listing flags, as the emulator serves them to the real SDK.

Scenario: tests/data/scenarios/local_groups.json (workspace 3001: legacy-ops > night-shift > deep-bench > legacy-ops,
a cycle, in `admins`; 3002: the collector onboarded through a local group; ISOLATED catalog `hr` bound to 3003).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from databricks.sdk.errors import NotFound
from databricks.sdk.service.iam import WorkspacePermission

from rls_local.scenario import PrincipalRef

pytestmark = pytest.mark.timeout(60)

SCENARIO = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "local_groups.json"
SP0 = PrincipalRef("service_principal", "sp0")


@pytest.fixture
def doc() -> dict:
    return json.loads(SCENARIO.read_text())


def _admin_of_3001(emu, acct) -> None:
    acct.workspace_assignment.update(3001, emu.principal_id(SP0), permissions=[WorkspacePermission.ADMIN])


def test_the_workspace_list_holds_admins_and_the_local_groups_with_members(start_emulator, doc, account_client,
                                                                           workspace_client):  # fmt: skip
    emu = start_emulator(doc)
    acct = account_client(emu)
    _admin_of_3001(emu, acct)
    ws = workspace_client(emu, 3001)
    groups = {g.display_name: g for g in ws.groups.list(attributes="id,displayName,members,meta")}
    assert set(groups) == {"admins", "legacy-ops", "night-shift", "deep-bench", "not-admins"}
    assert {g.meta.resource_type for g in groups.values()} == {"WorkspaceGroup"}
    ids = {name: g.id for name, g in groups.items()}
    # a local group member is written Groups/<its workspace id>, like an account group
    admins_refs = {m.ref for m in groups["admins"].members}
    assert f"Groups/{ids['legacy-ops']}" in admins_refs
    assert {m.ref for m in groups["deep-bench"].members} >= {f"Groups/{ids['legacy-ops']}"}  # the cycle
    assert [m.ref.split("/")[0] for m in groups["night-shift"].members] == ["ServicePrincipals", "Groups"]
    # local ids are not account ids: the account answers 404 for them, as the platform does
    for name in ("legacy-ops", "night-shift"):
        with pytest.raises(NotFound):
            acct.groups.get(ids[name])
    # the filter the collector used before still answers the admins group only; reading one by id works too
    assert [g.display_name for g in ws.groups.list(filter='displayName eq "admins"')] == ["admins"]
    assert ws.groups.get(ids["night-shift"]).display_name == "night-shift"


def test_local_group_ids_differ_per_workspace_and_paging_covers_them(start_emulator, doc, account_client,
                                                                    workspace_client):  # fmt: skip
    emu = start_emulator(doc, page_size=2)
    _admin_of_3001(emu, account_client(emu))
    on_3001 = {g.display_name: g.id for g in workspace_client(emu, 3001).groups.list()}
    assert len(on_3001) == 5  # 2 + 2 + 1 with a server page of 2
    # wg1 names a group in 3001 and another in 3002: different groups, different ids
    on_3002 = {g.display_name: g.id for g in workspace_client(emu, 3002).groups.list()}
    assert set(on_3002) == {"admins", "onboarding"}
    assert on_3002["onboarding"] != on_3001["legacy-ops"] and on_3002["admins"] != on_3001["admins"]


def test_a_local_group_in_admins_makes_its_members_admins(start_emulator, doc, workspace_client):
    # 3002 is not identity-federated: sp0 is there only through the local group `onboarding` in `admins`
    emu = start_emulator(doc)
    ws = workspace_client(emu, 3002)
    assert ws.current_user.me().user_name == "00000000-0000-0000-0000-00000000c011"
    assert [g.display_name for g in ws.groups.list(filter='displayName eq "admins"')] == ["admins"]


def test_catalogs_hide_unbound_and_browse_only_ones_unless_asked(start_emulator, doc, workspace_client):
    # sp0 (USER on 3001) owns main and hr (ISOLATED, bound to 3003 only) and holds BROWSE only on peek
    emu = start_emulator(doc)
    ws = workspace_client(emu, 3001)
    assert [c.name for c in ws.catalogs.list()] == ["main"]
    assert [c.name for c in ws.catalogs.list(include_unbound=True)] == ["main", "hr"]
    both = list(ws.catalogs.list(include_unbound=True, include_browse=True))
    assert [(c.name, bool(c.browse_only)) for c in both] == [("main", False), ("hr", False), ("peek", True)]


def test_unbound_catalogs_are_listed_only_to_who_may_change_the_bindings(start_emulator, doc, workspace_client):
    # "Effective only if the user has permission to update the catalog-workspace binding" (CatalogsAPI.list)
    doc["metastores"][0]["catalogs"][1]["owner"] = "someone-else@corp.com"
    doc["metastores"][0]["catalogs"][1]["use_catalog"] = [{"type": "service_principal", "id": "sp0"}]
    emu = start_emulator(doc)
    ws = workspace_client(emu, 3001)
    assert [c.name for c in ws.catalogs.list(include_unbound=True)] == ["main"]
