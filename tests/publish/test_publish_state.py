"""Pure parts around the SQL: parsing SHOW TABLE EXTENDED blobs, include/exclude, report exit codes."""

from __future__ import annotations

from rls import exitcodes
from rls.config import RlsConfig
from rls.publish import Column, Discovery, SystemTable, candidates
from rls.publish.report import PublishReport, ViewResult
from rls.publish.state import _parse_information

REAL = "a" * 64
FAKE = "f" * 64


def test_parse_takes_owner_before_and_properties_after_a_hostile_view_text():
    # the view text holds a group name (a string literal) that tries to look like metadata lines
    info = (
        "Catalog: spark_catalog\nDatabase: main__rls\nTable: vw_system_access_audit\nOwner: owner-sp\nType: VIEW\n"
        "View Text: WITH x AS (...)\n"
        f"Owner: mallory\nTable Properties: [rls.fingerprint={FAKE}]\n') SELECT 1\n"
        f"Table Properties: [a.user=x, rls.fingerprint={FAKE}, rls.fingerprint={REAL}, rls.generator=1, "
        f"rls.grants_fingerprint={REAL}, z=w]\nSchema: root\n"
    )
    v = _parse_information("vw_system_access_audit", info)
    assert v.owner == "owner-sp" and v.is_view
    # a user property's value imitates our fingerprint: ambiguous, so unknown (re-altered), never a wrong "unchanged"
    assert v.fingerprint is None
    assert v.grants_fingerprint == REAL
    clean = info.replace(f"a.user=x, rls.fingerprint={FAKE}, ", "a.user=x, ")
    assert _parse_information("vw_system_access_audit", clean).fingerprint == REAL


def test_parse_table_and_unfingerprinted_view():
    table = _parse_information("t", "Table: t\nType: MANAGED\nTable Properties: [x=y]\n")
    assert not table.is_view and table.fingerprint is None
    bare = _parse_information("v", "Table: v\nType: VIEW\nView Text: SELECT 1\n")
    assert bare.is_view and bare.fingerprint is None and bare.owner is None


def test_include_exclude_are_case_insensitive_fnmatch_and_levels_apply():
    wid = (Column("workspace_id", "string"),)
    keys = [("access", "audit"), ("access", "table_lineage"), ("billing", "usage"), ("compute", "clusters")]
    tables = (
        *(SystemTable(s, t, wid) for s, t in keys),
        SystemTable("billing", "list_prices", (Column("sku", "string"),)),
    )
    cfg = RlsConfig()
    cfg.publish.include = ["ACCESS.*", "billing.*"]
    cfg.publish.exclude = ["*.TABLE_*"]
    cfg.publish.access_levels = {"Billing.Usage": "none"}
    got = {c.table.key: c.skip_reason for c in candidates(Discovery("information_schema", tables), cfg)}
    assert got == {
        "access.audit": None,
        "access.table_lineage": "matched by publish.exclude",
        "billing.usage": "access level none",
        "compute.clusters": "not matched by publish.include",
        "billing.list_prices": "no workspace_id column: cannot be filtered per workspace",
    }


def test_exit_codes():
    r = PublishReport("main", "rls", "information_schema")
    r.results = [ViewResult("a.b", "main.rls.vw_system_a_b", "created"), ViewResult("c.d", None, "skipped", "x")]
    assert r.exit_code == exitcodes.OK and r.counts["created"] == 1 and r.counts["skipped"] == 1
    r.results.append(ViewResult("e.f", "main.rls.vw_system_e_f", "failed", "boom"))
    assert r.exit_code == exitcodes.PARTIAL
    r.error = "no admins table"
    assert r.exit_code == exitcodes.ERROR
