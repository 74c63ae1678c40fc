"""The views filter as promised: for every identity and every published view, the workspaces it sees equal those
computed here, independently, from a hand-written account. Real local Spark; is_account_group_member is the
platform's (the warehouse's emulation, nested groups expanded), never the tool's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from publish_helpers import WORKSPACES, admin_row, config, ddl, write_admins

from rls.publish import STATIC_TABLES, publish
from rls.sql.quoting import quote_name
from rls_local.scenario import Scenario, parse_scenario

CATALOG = "main"
SCHEMA = "pub_oracle"
SCHEMA_OPS = "pub_oracle_ops"

# The account, written once; both the platform's group memberships and the expected visibility derive from it.
USERS = {"Mixed.Case@Example.COM": True, "lower@example.com": True, "nested@example.com": True,
         "gone@example.com": False, "outsider@example.com": True, "ops@example.com": True}  # fmt: skip
SP_DIRECT = "ABCDEF00-1111-2222-3333-444455556666"
SP_BOT = "77777777-aaaa-bbbb-cccc-dddddddddddd"
GROUPS = {  # name -> members ("user:…", "sp:…", "group:…")
    "ws3-admins": ["group:inner"],
    "inner": ["user:nested@example.com", f"sp:{SP_BOT}", "user:gone@example.com", "group:ws3-admins"],  # a cycle
    "account-ops": ["user:ops@example.com"],
}
DIRECT = [(1001, "Mixed.Case@Example.COM"), (1002, "lower@example.com"), (1004, "lower@example.com"),
          (1004, "nested@example.com")]  # fmt: skip
DIRECT_SP = [(1002, SP_DIRECT)]
GROUP_ASSIGNMENTS = [(1003, "ws3-admins")]
# Identities as the platform may spell them in current_user(): cases differ from the admins table on purpose.
IDENTITIES = ["mixed.case@example.com", "LOWER@example.com", "nested@example.com", SP_DIRECT.lower(), SP_BOT,
              "gone@example.com", "outsider@example.com", "ops@example.com"]  # fmt: skip


def _scenario() -> Scenario:
    users = [{"id": f"u{i}", "user_name": n, "active": a} for i, (n, a) in enumerate(USERS.items())]
    uid = {u["user_name"]: u["id"] for u in users}
    sps = [{"id": "s1", "application_id": SP_DIRECT, "display_name": "direct"},
           {"id": "s2", "application_id": SP_BOT, "display_name": "bot"}]  # fmt: skip
    sid = {SP_DIRECT: "s1", SP_BOT: "s2"}

    def ref(member: str) -> dict[str, str]:
        kind, name = member.split(":", 1)
        if kind == "user":
            return {"type": "user", "id": uid[name]}
        return {"type": "service_principal", "id": sid[name]} if kind == "sp" else {"type": "group", "id": name}

    groups = [{"id": g, "display_name": g, "members": [ref(m) for m in ms]} for g, ms in GROUPS.items()]
    workspaces = [{"workspace_id": int(w), "workspace_name": f"ws{w}", "deployment_name": f"ws{w}"} for w in WORKSPACES]
    return parse_scenario({
        "account_id": "acc-pub", "users": users, "service_principals": sps, "groups": groups, "workspaces": workspaces,
        "collector": {"type": "service_principal", "id": "s1"},
    })  # fmt: skip


def expected_admin_workspaces(identity: str) -> set[str]:
    """Independent of the tool: direct assignments by case-insensitive identity, groups by transitive membership
    of active principals (a cycle ends where it loops)."""
    ident = identity.lower()
    active = {n.lower() for n, a in USERS.items() if a} | {SP_DIRECT.lower(), SP_BOT.lower()}
    out = {str(w) for w, who in DIRECT + DIRECT_SP if who.lower() == ident}
    for w, group in GROUP_ASSIGNMENTS:
        stack, seen, members = [group], set(), set()
        while stack:
            g = stack.pop()
            if g not in seen:
                seen.add(g)
                for m in GROUPS[g]:
                    kind, name = m.split(":", 1)
                    if kind == "group":
                        stack.append(name)
                    else:
                        members.add(name.lower())
        if ident in members & active:
            out.add(str(w))
    return out


@pytest.fixture(scope="module")
def oracle_account(warehouse, example_scenario) -> Iterator[None]:
    from rls_local.warehouse import install_platform

    install_platform(warehouse, _scenario())
    rows = [admin_row(w, user=u) for w, u in DIRECT] + [admin_row(w, sp=s) for w, s in DIRECT_SP]
    rows += [admin_row(w, group=g) for w, g in GROUP_ASSIGNMENTS]  # the group's own row: user_name NULL
    for schema in (SCHEMA, SCHEMA_OPS):
        write_admins(warehouse, CATALOG, schema, rows)
    yield
    install_platform(warehouse, example_scenario)


@pytest.fixture(scope="module")
def published(warehouse, oracle_account):
    report = publish(warehouse, config(CATALOG, SCHEMA))
    assert report.exit_code == 0, report.to_json()
    return report


def visible(warehouse, views: list[str], schema: str, identity: str | None) -> dict[str, set[str | None]]:
    """workspace_ids each view shows to ``identity`` (None: read the sources themselves) — one query for all."""
    # no GROUP BY: the rows are few, and an aggregate per view costs a shuffle stage each (2x slower locally)
    parts = [
        f"SELECT {i} AS v, workspace_id FROM {quote_name(CATALOG, schema, v) if identity else v}"
        for i, v in enumerate(views)
    ]
    out: dict[str, set[str | None]] = {v: set() for v in views}
    if identity is None:
        rows = warehouse.fetch(" UNION ALL ".join(parts))
    else:
        with warehouse.as_identity(identity):
            rows = warehouse.fetch(" UNION ALL ".join(parts))
    for r in rows:
        out[views[r["v"]]].add(r["workspace_id"])
    return out


def test_every_workspace_table_has_a_view(warehouse, published):
    from rls.sql.system_tables import REFERENCE_TABLES
    from rls_local.warehouse import NO_WORKSPACE_ID, WORKSPACE_TABLES

    created = {r.source for r in published.results if r.status == "created" and "vw_system_" in r.view}
    assert set(STATIC_TABLES) <= created  # the 18 the issue names
    assert created == set(WORKSPACE_TABLES)
    references = {r.source for r in published.results if r.status == "created" and "ref_system_" in r.view}
    assert references == set(REFERENCE_TABLES) & set(NO_WORKSPACE_ID)  # reference data only, never account prices
    skipped = {r.source: r.reason for r in published.results if r.status == "skipped"}
    assert set(skipped) == set(NO_WORKSPACE_ID) - references and all("workspace_id" in r for r in skipped.values())
    for key in NO_WORKSPACE_ID:  # never exposed unfiltered
        assert not warehouse.table_exists(quote_name(CATALOG, SCHEMA, "vw_system_" + key.replace(".", "_")))


def test_each_identity_sees_exactly_its_admin_workspaces_in_every_view(warehouse, published):
    filtered = [r for r in published.results if r.status == "created" and "vw_system_" in r.view]
    views = sorted(r.view.rsplit(".", 1)[1] for r in filtered)
    sources = {r.view.rsplit(".", 1)[1]: "system." + r.source for r in filtered}
    present = visible(warehouse, [sources[v] for v in views], SCHEMA, None)
    assert all({"0", None} <= p for p in present.values())  # the sources do hold unassigned rows…
    seen_any = set()
    for identity in IDENTITIES:
        expected = expected_admin_workspaces(identity)
        got = visible(warehouse, views, SCHEMA, identity)
        for v in views:
            assert got[v] == expected & present[sources[v]], (identity, v)  # …which nobody sees
        seen_any |= {identity for v in views if got[v]}
    # the account exercises every path: direct user, SP by application id, nested group, and people who see nothing
    assert expected_admin_workspaces("nested@example.com") == {"1003", "1004"}
    assert expected_admin_workspaces(SP_BOT) == {"1003"}
    assert expected_admin_workspaces("gone@example.com") == set()
    assert seen_any == {"mixed.case@example.com", "LOWER@example.com", "nested@example.com", SP_DIRECT.lower(), SP_BOT}


def test_unassigned_rows_group_sees_workspace_0_and_null_only_for_its_members(warehouse, oracle_account):
    cfg = config(CATALOG, SCHEMA_OPS, unassigned_rows_group="account-ops",
                 include=["access.audit", "billing.usage", "access.workspaces_latest"])  # fmt: skip
    report = publish(warehouse, cfg)
    assert report.counts["created"] == 3 and report.exit_code == 0
    views = ["vw_system_access_audit", "vw_system_billing_usage", "vw_system_access_workspaces_latest"]
    for identity in ("ops@example.com", "nested@example.com", "outsider@example.com"):  # member, admin, nobody
        unassigned = {"0", None} if identity == "ops@example.com" else set()
        got = visible(warehouse, views, SCHEMA_OPS, identity)
        assert all(got[v] == expected_admin_workspaces(identity) | unassigned for v in views), identity


def test_republish_unchanged_issues_no_ddl(warehouse, published):
    mark = len(warehouse.statements)
    report = publish(warehouse, config(CATALOG, SCHEMA))
    window = warehouse.statements[mark:]
    assert ddl(window) == []
    assert report.counts["unchanged"] == published.counts["created"] and report.exit_code == 0
    # reading state is cheap: information_schema, one listing of the schema, who the job runs as, and one
    # `SELECT … LIMIT 0` per system schema it wraps (may the job read it? no implicit SELECT)
    schemas = {r.source.split(".")[0] for r in report.results if r.status == "unchanged"}
    probes = [s for s in window if s.sql.endswith(" LIMIT 0")]
    assert len(probes) == len(schemas) and all(s.kind == "query" for s in window)
    assert len(window) == 3 + len(schemas)
    assert report.existing_read == "SHOW TABLE EXTENDED"
