"""How the collector resolves workspace-local groups in `admins` from one SCIM list (no Spark, no HTTP): the list
answers are built with the SDK's own ``Group.from_dict``, as the SDK hands them to the collector."""

from __future__ import annotations

from typing import Any

from databricks.sdk.service.iam import Group

from rls.collect.workspace_groups import listed, split_admins
from rls.model.directory import GROUP, SERVICE_PRINCIPAL, USER, MemberRef


def _group(gid: str, name: str, members: list[str], resource_type: str = "WorkspaceGroup") -> Any:
    refs = [{"value": m.split("/")[1], "$ref": m} for m in members]
    return Group.from_dict({"id": gid, "displayName": name, "meta": {"resourceType": resource_type}, "members": refs})


def _split(admins: list[str], *groups: Any):
    listing = {g.id: listed(g) for g in groups}
    kinds = {"Users": USER, "ServicePrincipals": SERVICE_PRINCIPAL, "Groups": GROUP}
    refs = [MemberRef(kinds[m.split("/")[0]], m.split("/")[1]) for m in admins]
    return split_admins(refs, listing, 7)


def test_nested_local_groups_at_any_depth_each_member_once_with_its_shortest_chain() -> None:
    direct, local = _split(
        ["Groups/a", "Users/u0", "Groups/acct"],
        _group("a", "outer", ["Groups/b", "Users/u1"]),
        _group("b", "middle", ["Groups/c", "ServicePrincipals/s1"]),
        _group("c", "inner", ["Groups/a", "Users/u3", "Users/u1"]),  # back to outer: a cycle; u1 again, deeper
    )
    # account principals and groups stay members of admins as they are; the local group is expanded
    assert direct == [MemberRef(USER, "u0"), MemberRef(GROUP, "acct")]
    assert [(w.member.id, w.via) for w in local.ways] == [
        ("u1", "outer"),
        ("s1", "outer > middle"),
        ("u3", "outer > middle > inner"),
    ]
    assert local.problems == []


def test_two_local_groups_in_admins_give_the_shorter_chain() -> None:
    _, local = _split(
        ["Groups/deep", "Groups/near"],
        _group("deep", "deep", ["Groups/mid"]),
        _group("mid", "mid", ["Users/u1"]),
        _group("near", "near", ["Users/u1"]),
    )
    assert [(w.member.id, w.via) for w in local.ways] == [("u1", "near")]


def test_what_cannot_be_resolved_is_reported_and_the_rest_still_counts() -> None:
    _, local = _split(
        ["Groups/a", "Groups/bad"],
        _group("a", "ops", ["Users/u1", "Groups/acct", "Groups/404"]),
        _group("acct", "account-team", ["Users/u2"], resource_type="Group"),
        _group("bad", "broken", ["Robots/9"]),
    )
    assert [(w.member.id, w.via) for w in local.ways] == [("u1", "ops")]
    assert len(local.problems) == 3 and all(p.startswith("workspace 7: local group admins > ") for p in local.problems)
    text = " | ".join(local.problems)
    assert "admins > broken" in text and "Robots/9" in text
    assert "member group acct is an account group" in text and "member group 404 is in none" in text


def test_a_local_group_listed_without_members_adds_nobody() -> None:
    # The SDK reads an absent "members" as []: nothing is added, nothing guessed.
    silent = Group.from_dict({"id": "s", "displayName": "silent", "meta": {"resourceType": "WorkspaceGroup"}})
    direct, local = _split(["Groups/s"], silent)
    assert direct == [] and local.ways == [] and local.problems == []
