"""`rls explain` on the tricky scenario, collected by the real collector from the emulated account.

Expectations come from the scenario file (tests/oracle.py and the group graph walked here), never from the code
under test: explain and the collector share the tables, so they must not also share the reasoning checked here.
"""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import oracle
from flow import flow, fresh_schema, load
from rls import tables
from rls.explain import BY_GROUP, ExplainError, Explanation, explain
from rls.sql import quote_name
from rls.sql.structs import from_row
from rls_local.scenario import PrincipalRef, Scenario
from rls_local.warehouse import install_platform

SCENARIO = load("tricky", faults=[])  # faults only slow the collection down; they are tested elsewhere


@pytest.fixture(scope="module")
def collected(warehouse, example_scenario, tmp_path_factory) -> Iterator[Any]:
    result = flow(warehouse, SCENARIO, tmp_path_factory.mktemp("explain"), fresh_schema("explain"), publish=False)
    assert result.collect.outcome == "ok"
    yield result
    install_platform(warehouse, example_scenario)  # flow() switched is_account_group_member to this scenario


@pytest.fixture(scope="module")
def explained(warehouse, collected) -> Callable[[str], Explanation]:
    """explain(), memoised per identity as asked: the tables do not change between these tests."""
    cache: dict[str, Explanation] = {}

    def get(identity: str) -> Explanation:
        if identity not in cache:
            cache[identity] = explain(warehouse, collected.cfg, identity)
        return cache[identity]

    return get


def running(s: Scenario) -> set[int]:
    """Workspaces the collector reads: RUNNING and federated, or onboarded (the oracle's rule)."""
    return oracle.collectable(s)


def chain(s: Scenario, group_id: str, member: PrincipalRef) -> list[str] | None:
    """Shortest nesting path from ``group_id`` down to ``member``: group names, the one holding it first; None when
    ``member`` is not in the group at any depth."""
    queue: deque[tuple[str, list[str]]] = deque([(group_id, [group_id])])
    seen = {group_id}
    while queue:
        gid, path = queue.popleft()
        for m in s.group(gid).members:
            if m == member:
                return [s.group(g).display_name for g in reversed(path)]
            if m.type == "group" and m.id not in seen:
                seen.add(m.id)
                queue.append((m.id, [*path, m.id]))
    return None


def user(s: Scenario, user_name: str) -> PrincipalRef:
    return next(PrincipalRef("user", u.id) for u in s.users if u.user_name.lower() == user_name.lower())


def reasons(explanation, workspace_id: int):
    return next(w for w in explanation.workspaces if w.workspace_id == workspace_id).reasons


def test_every_identity_sees_what_the_oracle_says_and_user_only_workspaces_are_named(collected, explained) -> None:
    admin = oracle.admin_workspaces(SCENARIO)
    user_level = oracle.access(SCENARIO, "USER")
    collector = SCENARIO.service_principal(SCENARIO.collector.id).application_id.lower()
    for ident, spelled in oracle.original_case(SCENARIO).items():
        e = explained(spelled)
        assert set(e.visible) == admin[ident], ident
        not_visible = {w.workspace_id for w in e.workspaces if not w.visible}
        user_ws = set(user_level[ident])
        if ident == collector:
            # USER on 2001 makes it a member, which is all listing the groups needs: never elevated there (least
            # privilege); its real USER row is recorded.
            assert user_ws and not user_ws & set(collected.collect.elevations)
        assert not_visible == user_ws - admin[ident], ident
        assert e.collected == len(running(SCENARIO))
        assert e.unassigned == len(running(SCENARIO) - admin[ident] - user_ws), ident
        json.dumps(e.as_dict())  # --json output is plain JSON


def test_deep_nested_user_gets_the_chain_through_three_groups(explained) -> None:
    deep = user(SCENARIO, "deep@corp.com")
    # the ADMIN assignment deep holds through nesting, found in the scenario
    (wid, expected) = next(
        (a.workspace_id, c)
        for a in SCENARIO.assignments
        if "ADMIN" in a.permissions and a.principal.type == "group" and a.workspace_id in running(SCENARIO)
        if (c := chain(SCENARIO, a.principal.id, deep))
    )
    assert len(expected) == 3
    e = explained("deep@corp.com")
    (reason,) = reasons(e, wid)
    assert reason.level == "ADMIN" and reason.source == tables.VIA_GROUP
    assert list(reason.chain) == expected
    # both paths of the views find it: the user's own row, and the assigned group's row via group_members_flat
    assert BY_GROUP in reason.matched_by and len(reason.matched_by) == 2
    assert " → ".join(["deep@corp.com", *expected, f"ADMIN on {wid}"]) in "\n".join(e.lines())


def test_user_only_identity_is_told_why_it_sees_nothing(explained) -> None:
    ident = "viewer@corp.com"
    user_only = oracle.access(SCENARIO, "USER")[ident]
    assert user_only and not oracle.admin_workspaces(SCENARIO)[ident]
    e = explained(ident)
    assert e.visible == []
    assert {w.workspace_id for w in e.workspaces} == user_only
    assert {w.verdict for w in e.workspaces} == {"not visible: USER only, not ADMIN"}
    text = "\n".join(e.lines())
    assert all(f"{w}" in text for w in user_only) and "USER only, not ADMIN" in text


def test_members_of_a_workspace_admins_group_are_explained_as_local_admins(explained) -> None:
    expected: list[tuple[str, int, list[str]]] = []  # (identity, workspace, chain) from the scenario
    for wid, refs in SCENARIO.workspace_local_admins.items():
        for ref in refs:
            if ref.type == "user" and SCENARIO.user(ref.id).active:
                who = [(SCENARIO.user(ref.id).user_name, [])]
            elif ref.type == "group":
                who = [
                    (u.user_name, c)
                    for u in SCENARIO.users
                    if u.active and (c := chain(SCENARIO, ref.id, PrincipalRef("user", u.id)))
                ]
            else:
                continue
            if wid in running(SCENARIO):  # federated or not: the admins group makes workspace admins everywhere
                expected += [(ident, wid, c) for ident, c in who]
            else:  # not onboarded: not read, never explained as access
                for ident, _ in who:
                    assert wid not in explained(ident).visible
    # the scenario covers a federated workspace, a non-federated one, and a member through a group
    assert {SCENARIO.workspace(w).identity_federated for _, w, _ in expected} == {True, False}
    assert any(c for _, _, c in expected)
    for ident, wid, c in expected:
        e = explained(ident)
        local = [r for r in reasons(e, wid) if r.source == tables.LOCAL_ADMINS]
        assert [list(r.chain) for r in local] == [c]
        assert wid in e.visible
        assert f"local admins group of {wid}" in "\n".join(e.lines())


def test_identity_matches_in_any_case(explained) -> None:
    want = oracle.admin_workspaces(SCENARIO)["mixed.case@corp.com"]
    for asked in ("mixed.case@corp.com", "MIXED.CASE@CORP.COM"):
        e = explained(asked)
        assert set(e.visible) == want
        assert e.known_as == ["Mixed.Case@Corp.COM"]  # as the account spells it


@pytest.fixture
def admins_groups_only(warehouse, collected) -> Iterator[str]:
    """The admins table reduced to its GROUP rows (what is_account_group_member matches), restored afterwards."""
    table = quote_name(collected.cfg.catalog, collected.cfg.schema, tables.ADMINS)
    original = [from_row(tables.AccessRow, r) for r in warehouse.fetch(f"SELECT * FROM {table}")]
    warehouse.save_table(table, [r for r in original if r.principal_type == tables.GROUP], tables.AccessRow)
    yield table
    warehouse.save_table(table, original, tables.AccessRow)


def test_group_rows_alone_are_resolved_through_group_members_flat(warehouse, collected, admins_groups_only) -> None:
    deep = user(SCENARIO, "deep@corp.com")
    want = {
        a.workspace_id
        for a in SCENARIO.assignments
        if "ADMIN" in a.permissions and a.principal.type == "group" and a.workspace_id in running(SCENARIO)
        if chain(SCENARIO, a.principal.id, deep)
    }
    assert want
    e = explain(warehouse, collected.cfg, "Deep@Corp.com")
    assert set(e.visible) == want
    for wid in want:
        (reason,) = [r for r in reasons(e, wid) if r.level == "ADMIN"]
        assert reason.matched_by == (BY_GROUP,)
        assert len(reason.chain) == 3


def test_unknown_identity_and_missing_tables(warehouse, collected) -> None:
    e = explain(warehouse, collected.cfg, "nobody-at-all@example.com")
    assert (e.known_as, e.visible, e.workspaces) == ([], [], [])
    assert e.unassigned == len(running(SCENARIO))
    assert "not found in the tables" in e.lines()[0]
    with pytest.raises(ExplainError, match="run `rls collect` first"):
        explain(warehouse, dataclasses.replace(collected.cfg, schema=fresh_schema("explain_none")), "x@y")


def test_self_level_tables_show_own_rows_in_user_only_workspaces(warehouse, collected) -> None:
    cfg = dataclasses.replace(
        collected.cfg, publish=dataclasses.replace(collected.cfg.publish, access_levels={"query.history": "self"})
    )
    ex = explain(warehouse, cfg, "both@corp.com")  # USER on 2002, ADMIN on 2003 (scenario file)
    user_only = oracle.access(SCENARIO, "USER")["both@corp.com"] - oracle.admin_workspaces(SCENARIO)["both@corp.com"]
    assert user_only
    own = {w.workspace_id: ex.own_rows_in(w) for w in ex.workspaces}
    assert {w for w, t in own.items() if t} == user_only
    assert all(t == ["query.history"] for w, t in own.items() if w in user_only)
    assert "own rows visible in query.history (access level self)" in "\n".join(ex.lines())


def test_explain_lists_only_the_tables_published_here(explained, warehouse, collected) -> None:
    """Per region, explain names the tables whose views this metastore has (issue 29): nothing is published in this
    schema, so none is listed, whatever the registry knows; a view created here is then listed by its scope."""
    e = explained("viewer@corp.com")
    text = "\n".join(e.lines())
    assert e.regional_tables == [] and e.global_tables == []
    assert "regional tables (" not in text and "global tables (" not in text
    cfg = collected.cfg
    for key in ("query.history", "billing.usage"):
        schema, table = key.split(".")
        view = quote_name(cfg.catalog, cfg.schema, f"vw_system_{schema}_{table}")
        warehouse.execute(f"CREATE VIEW {view} AS SELECT * FROM {quote_name('system', schema, table)}")
    try:
        again = explain(warehouse, cfg, "viewer@corp.com")
    finally:
        for key in ("query.history", "billing.usage"):
            schema, table = key.split(".")
            warehouse.execute(f"DROP VIEW {quote_name(cfg.catalog, cfg.schema, f'vw_system_{schema}_{table}')}")
    # facts sheet: query.history regional, billing.usage global
    assert again.regional_tables == ["query.history"] and again.global_tables == ["billing.usage"]
    assert again.as_dict()["regional_tables"] == again.regional_tables
