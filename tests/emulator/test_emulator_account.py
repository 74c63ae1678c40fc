"""Account APIs of the emulator, driven through the real databricks-sdk."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from databricks.sdk.errors import BadRequest, NotFound
from databricks.sdk.service.iam import WorkspacePermission
from databricks.sdk.service.provisioning import WorkspaceStatus

from rls_local.scenario import PrincipalRef

# The whole emulator suite runs in seconds: a hang must fail fast, not after the global 600 s.
pytestmark = pytest.mark.timeout(60)

ACC = "00000000-0000-0000-0000-000000000001"
V1_EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "example.json"


def test_workspaces_list_and_get(acct):
    workspaces = list(acct.workspaces.list())
    assert [(w.workspace_id, w.workspace_name, w.workspace_status) for w in workspaces] == [
        (1001, "sales-prod", WorkspaceStatus.RUNNING),
        (1002, "legacy", WorkspaceStatus.RUNNING),
        (1003, "ml-dev", WorkspaceStatus.RUNNING),
        (1004, "new-ws", WorkspaceStatus.PROVISIONING),
    ]
    # A workspace's region is its metastore's.
    assert [w.aws_region for w in workspaces] == ["us-east-1", "us-east-1", "us-west-2", "us-west-2"]
    assert all(w.deployment_name == w.workspace_name for w in workspaces)
    assert workspaces[3].workspace_status_message
    assert acct.workspaces.get(1003).workspace_name == "ml-dev"
    with pytest.raises(NotFound):
        acct.workspaces.get(4242)


def test_metastores_and_their_assignments(acct):
    metastores = list(acct.metastores.list())
    assert [(m.metastore_id, m.name, m.region) for m in metastores] == [
        ("ms-east", "ms-east", "us-east-1"),
        ("ms-west", "ms-west", "us-west-2"),
    ]
    info = acct.metastores.get("ms-east").metastore_info
    assert (info.metastore_id, info.region, info.owner) == (
        "ms-east",
        "us-east-1",
        "11111111-aaaa-bbbb-cccc-000000000000",
    )
    assert acct.metastores.get("ms-west").metastore_info.owner is None  # no metastore admin in the scenario
    with pytest.raises(NotFound):
        acct.metastores.get("ms-nowhere")
    assert list(acct.metastore_assignments.list("ms-west")) == [1003, 1004]
    # Federated or not, a workspace in a metastore has an assignment (non-federated 1002 is in ms-east).
    for wid, mid in [(1001, "ms-east"), (1002, "ms-east"), (1003, "ms-west")]:
        assignment = acct.metastore_assignments.get(wid).metastore_assignment
        assert (assignment.workspace_id, assignment.metastore_id) == (wid, mid)


def test_no_metastore_is_404(start_emulator, account_client):
    v1 = json.loads(V1_EXAMPLE.read_text())  # format v1: non-federated 1002 has no metastore
    emu = start_emulator(v1)
    acct = account_client(emu)
    with pytest.raises(NotFound) as err:
        acct.metastore_assignments.get(1002)
    assert err.value.error_code == "METASTORE_DOES_NOT_EXIST"
    assert acct.metastore_assignments.get(1001).metastore_assignment.metastore_id == "ms-1001"


def test_non_federated_workspace_refuses_assignment_apis(acct, emu):
    pid = emu.principal_id(PrincipalRef("service_principal", "sp0"))
    calls = [
        lambda: list(acct.workspace_assignment.list(1002)),
        lambda: acct.workspace_assignment.update(1002, pid, permissions=[WorkspacePermission.ADMIN]),
        lambda: acct.workspace_assignment.delete(1002, pid),
        lambda: acct.workspace_assignment.get(1002),
    ]
    for call in calls:
        with pytest.raises(BadRequest) as err:
            call()
        assert err.value.error_code == "BAD_REQUEST"
        assert str(err.value) == "Permission assignment APIs are not available for this workspace."
    assert [a for a in emu.state()["assignments"] if a["workspace_id"] == 1002] == []
    writes = [r for r in emu.state()["requests"] if "/workspaces/1002/permissionassignments" in r["path"]]
    assert [r["status"] for r in writes] == [400, 400, 400, 400]


def test_scim_paging_across_pages(start_emulator, example_doc, with_users, account_client):
    emu = start_emulator(with_users(example_doc, 250), page_size=100)
    users = list(account_client(emu).users.list())
    assert len(users) == 254
    assert len({u.id for u in users}) == 254
    assert {u.user_name for u in users} >= {"Alice@Example.com", "user0000@example.com", "user0249@example.com"}
    pages = [r for r in emu.state()["requests"] if "/scim/v2/Users" in r["path"]]
    queries = [parse_qs(urlsplit(r["path"]).query) for r in pages]
    # The SDK asks for 10000 per page; the server clamps to 100 and the SDK stops at the empty page.
    assert [q["startIndex"][0] for q in queries] == ["1", "101", "201", "255"]
    assert all(q["count"] == ["10000"] for q in queries)
    assert all(r["status"] == 200 for r in pages)


def test_user_and_service_principal_resources(acct, emu):
    users = {u.user_name: u for u in acct.users.list()}
    alice = users["Alice@Example.com"]
    assert alice.id == str(emu.principal_id(PrincipalRef("user", "u1")))
    assert alice.active is True and users["dave@example.com"].active is False
    assert [e.value for e in alice.emails] == ["Alice@Example.com"]
    assert alice.display_name == "Alice@Example.com"
    sps = {s.application_id: s for s in acct.service_principals.list()}
    assert sps["22222222-aaaa-bbbb-cccc-000000000000"].display_name == "etl-bot"
    got = acct.service_principals.get(sps["22222222-aaaa-bbbb-cccc-000000000000"].id)
    assert got.application_id == "22222222-aaaa-bbbb-cccc-000000000000"
    assert acct.users.get(alice.id).user_name == "Alice@Example.com"


def test_scim_filters_and_attributes(acct):
    assert [u.user_name for u in acct.users.list(filter='userName eq "ALICE@example.com"')] == ["Alice@Example.com"]
    sp = list(acct.service_principals.list(filter='applicationId eq "11111111-aaaa-bbbb-cccc-000000000000"'))
    assert [s.display_name for s in sp] == ["rls-collector"]
    assert [g.display_name for g in acct.groups.list(filter='displayName eq "analysts"')] == ["analysts"]
    assert list(acct.groups.list(filter='displayName eq "nobody"')) == []
    both = acct.users.list(filter='userName sw "bob" or (userName co "carol" and active eq true)')
    assert sorted(u.user_name for u in both) == ["bob@example.com", "carol@example.com"]
    slim = list(acct.users.list(attributes="userName"))
    assert len(slim) == 4 and all(u.id and u.user_name and u.display_name is None for u in slim)
    no_mail = list(acct.users.list(excluded_attributes="emails"))
    assert all(not u.emails and u.user_name for u in no_mail)
    with pytest.raises(BadRequest):
        list(acct.users.list(filter='userName zz "x"'))


def test_group_members_only_via_get(acct, emu):
    listed = list(acct.groups.list())
    assert sorted(g.display_name for g in listed) == ["analysts", "platform", "sales-admins"]
    assert all(not g.members for g in listed)
    by_name = {g.display_name: g for g in listed}
    platform = acct.groups.get(by_name["platform"].id)
    members = {(m.ref.split("/")[0], emu.principal_ref(m.value), m.display) for m in platform.members}
    assert members == {
        ("ServicePrincipals", PrincipalRef("service_principal", "sp1"), "etl-bot"),
        ("Groups", PrincipalRef("group", "g1"), "sales-admins"),
    }
    assert all(m.ref.endswith("/" + m.value) for m in platform.members)
    analysts = acct.groups.get(by_name["analysts"].id)
    assert {emu.principal_ref(m.value) for m in analysts.members} == {
        PrincipalRef("user", "u2"),
        PrincipalRef("user", "u4"),
    }


def test_scim_get_unknown_is_scim_not_found(acct, emu):
    with pytest.raises(NotFound) as err:
        acct.users.get("123")
    assert err.value.error_code == "SCIM_404"
    group_id = str(emu.principal_id(PrincipalRef("group", "g1")))
    with pytest.raises(NotFound):
        acct.users.get(group_id)  # a group id is not a user


def test_permission_assignments_list_shape(acct, emu):
    items = list(acct.workspace_assignment.list(1003))
    got = {
        (a.principal.principal_id, a.principal.user_name, a.principal.service_principal_name, tuple(a.permissions))
        for a in items
    }
    assert got == {
        (emu.principal_id(PrincipalRef("user", "u2")), "bob@example.com", None, (WorkspacePermission.ADMIN,)),
        (
            emu.principal_id(PrincipalRef("service_principal", "sp0")),
            None,
            "11111111-aaaa-bbbb-cccc-000000000000",
            (WorkspacePermission.USER,),
        ),
    }
    group_items = list(acct.workspace_assignment.list(1001))
    assert {(a.principal.group_name, a.principal.display_name) for a in group_items} == {
        ("sales-admins", "sales-admins"),
        ("analysts", "analysts"),
    }


def test_permission_assignment_round_trip(acct, emu):
    initial = emu.state()["assignments"]
    sp0 = PrincipalRef("service_principal", "sp0")
    pid = emu.principal_id(sp0)

    # New assignment on 1001, then removed: back to the initial state.
    put = acct.workspace_assignment.update(1001, pid, permissions=[WorkspacePermission.ADMIN])
    assert put.principal.principal_id == pid and put.permissions == [WorkspacePermission.ADMIN]
    added = {"workspace_id": 1001, "principal": sp0.to_json(), "permissions": ["ADMIN"]}
    assert emu.state()["assignments"] == [*initial, added]
    assert any(a.principal.principal_id == pid for a in acct.workspace_assignment.list(1001))
    acct.workspace_assignment.delete(1001, pid)
    assert emu.state()["assignments"] == initial

    # Existing USER assignment on 1003: elevated, then restored exactly.
    acct.workspace_assignment.update(1003, pid, permissions=[WorkspacePermission.ADMIN])
    elevated = [a for a in emu.state()["assignments"] if a["workspace_id"] == 1003 and a["principal"]["id"] == "sp0"]
    assert elevated == [{"workspace_id": 1003, "principal": sp0.to_json(), "permissions": ["ADMIN"]}]
    acct.workspace_assignment.update(1003, pid, permissions=[WorkspacePermission.USER])
    assert emu.state()["assignments"] == initial

    writes = [r for r in emu.state()["requests"] if r["method"] in ("PUT", "DELETE")]
    assert [(r["method"], r["status"], r["workspace_id"]) for r in writes] == [
        ("PUT", 200, 1001),
        ("DELETE", 200, 1001),
        ("PUT", 200, 1003),
        ("PUT", 200, 1003),
    ]


def test_assignment_errors(acct, emu):
    pid = emu.principal_id(PrincipalRef("user", "u1"))
    with pytest.raises(NotFound):
        acct.workspace_assignment.delete(1003, pid)  # u1 has nothing on 1003
    with pytest.raises(NotFound):
        acct.workspace_assignment.update(1003, 999, permissions=[WorkspacePermission.USER])
    with pytest.raises(NotFound):
        acct.workspace_assignment.update(4242, pid, permissions=[WorkspacePermission.USER])
    initial_len = len(emu.state()["assignments"])
    # An empty permission list removes the assignment, as the API documents.
    u2 = emu.principal_id(PrincipalRef("user", "u2"))
    acct.workspace_assignment.update(1003, u2, permissions=[])
    assert len(emu.state()["assignments"]) == initial_len - 1


def test_wrong_account_id_is_not_found(emu, account_client):
    # The account's OIDC discovery is per account id: a wrong one fails before any API call.
    with pytest.raises(ValueError):
        account_client(emu, account_id="ffffffff-0000-0000-0000-000000000000")
    assert any(
        r["status"] == 404 and "/oidc/accounts/ffffffff-0000-0000-0000-000000000000/" in r["path"]
        for r in emu.state()["requests"]
    )


def test_principal_ids_are_stable_and_distinct(start_emulator, example_doc):
    one = start_emulator(example_doc)
    example_doc["users"].reverse()
    two = start_emulator(example_doc)
    refs = [PrincipalRef("user", f"u{i}") for i in range(1, 5)] + [PrincipalRef("group", "g1")]
    assert [one.principal_id(r) for r in refs] == [two.principal_id(r) for r in refs]
    assert len({one.principal_id(r) for r in refs}) == len(refs)
    assert one.principal_ref(one.principal_id(refs[0])) == refs[0]
    assert one.principal_ref("not-a-number") is None
    assert one.account_id == ACC


def test_concurrent_clients(emu, acct):
    # A collector works on several workspaces at once: writes and reads interleave on one shared state.
    ids = [emu.principal_id(PrincipalRef("user", u)) for u in ("u1", "u2", "u3", "u4")]
    initial = emu.state()["assignments"]

    def elevate_and_restore(job: tuple[int, int]) -> int:
        wid, pid = job
        acct.workspace_assignment.update(wid, pid, permissions=[WorkspacePermission.ADMIN])
        seen = {a.principal.principal_id for a in acct.workspace_assignment.list(wid)}
        acct.workspace_assignment.delete(wid, pid)
        return pid if pid in seen else -1

    jobs = [(1001, pid) for pid in ids]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(elevate_and_restore, jobs))
        users = list(pool.map(lambda _: len(list(acct.users.list())), range(8)))
    assert results == ids
    assert users == [4] * 8
    assert emu.state()["assignments"] == initial
    assert all(r["status"] in (200, 404) for r in emu.state()["requests"])
