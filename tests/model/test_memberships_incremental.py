"""Memberships flattened in two rounds (before and after the elevations) equal one flattening at the end."""

from __future__ import annotations

from rls.collect.rows import Memberships
from rls.model.directory import GROUP, USER, Directory, MemberRef, Principal
from rls.model.memberships import flatten_all


def _directory() -> Directory:
    d = Directory()
    d.users = {f"u{i}": Principal(USER, f"u{i}", f"u{i}@x.com", active=i != 3) for i in range(5)}
    d.groups = {g: Principal(GROUP, g, g.upper()) for g in ("a", "b", "c", "local")}
    return d


def _members() -> dict[str, list[MemberRef]]:
    u = lambda i: MemberRef(USER, f"u{i}")  # noqa: E731
    g = lambda i: MemberRef(GROUP, i)  # noqa: E731
    return {"a": [u(0), g("b")], "b": [u(1), g("c")], "c": [u(2), u(3), g("a")], "local": [u(4), g("c")]}


def test_two_rounds_equal_one_and_a_group_read_late_refreshes_what_reaches_it() -> None:
    full = _members()
    d = _directory()
    d.members = {k: v for k, v in full.items() if k in ("a", "b")}  # c could not be read in the first round
    m = Memberships(d, "run")
    m.add(set(d.members))
    assert {r.member_name for r in m.rows if r.group_id == "a"} == {"u0@x.com", "u1@x.com", "C", "B"}
    d.members = dict(full)  # c read later, with the local admins group
    m.add(set(d.members))

    once = Memberships(_directory(), "run")
    once.directory.members = dict(full)
    once.add(set(full))
    assert m.flat == flatten_all(once.directory, set(full))
    assert sorted(m.rows) == sorted(once.rows)
    in_a = {r.member_name: r.active for r in m.rows if r.group_id == "a"}
    assert in_a == {"u0@x.com": True, "u1@x.com": True, "u2@x.com": True, "u3@x.com": False, "B": True, "C": True}
