"""The SQL rewrite, without Spark: what is a table name and what must be left exactly as written."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from rls.sql.sqltext import Rewriter, not_applicable, parse_name, tokenize
from rls_local.warehouse.names import encode, normalize

CATALOGS = {"system", "main", "we`ird cat"}
REWRITER = Rewriter(
    is_catalog=lambda c: c.lower() in CATALOGS,
    table=lambda c, s, t: f"<T {c}|{s}|{t}>",
    namespace=lambda c, s: f"<N {c}|{s}>",
    functions={"is_account_group_member": "<F>"},
)


def rw(sql: str) -> str:
    return REWRITER.rewrite(sql)


def test_three_part_names_of_known_catalogs_are_rewritten():
    assert rw("SELECT * FROM system.access.audit") == "SELECT * FROM <T system|access|audit>"
    assert rw("SELECT * FROM `main`.`rls`.`vw_x` v") == "SELECT * FROM <T main|rls|vw_x> v"
    assert rw("SELECT * FROM System . Access.Audit") == "SELECT * FROM <T System|Access|Audit>"


def test_struct_access_and_unknown_first_parts_are_left_alone():
    sql = "SELECT x.user_identity.email, a.b.c.d FROM system.access.audit x WHERE x.user_identity.email IS NOT NULL"
    assert rw(sql) == sql.replace("system.access.audit", "<T system|access|audit>")


def test_a_longer_chain_keeps_its_column_part():
    assert rw("SELECT system.access.audit.workspace_id") == "SELECT <T system|access|audit>.workspace_id"


def test_string_literals_and_comments_are_not_rewritten():
    sql = (
        "SELECT 'system.access.audit' a, \"main.rls.t\" b, 'it\\'s system.access.audit' c, r'\\' d "
        "-- system.access.audit\n/* main.rls.t /* nested system.a.b */ still main.rls.t */ FROM main.rls.t"
    )
    out = rw(sql)
    assert out == sql[: -len("main.rls.t")] + "<T main|rls|t>"


def test_quoted_identifiers_with_hostile_characters():
    assert rw("SELECT 1 FROM `we``ird cat`.`s; DROP`.`t'x`") == "SELECT 1 FROM <T we`ird cat|s; DROP|t'x>"


def test_namespaces_are_rewritten_only_where_a_namespace_is_expected():
    assert rw("CREATE SCHEMA IF NOT EXISTS main.rls") == "CREATE SCHEMA IF NOT EXISTS <N main|rls>"
    assert rw("SHOW VIEWS IN main.rls") == "SHOW VIEWS IN <N main|rls>"
    assert rw("SHOW TABLES FROM main.rls LIKE 'x'") == "SHOW TABLES FROM <N main|rls> LIKE 'x'"
    assert rw("USE main.rls") == "USE <N main|rls>"
    assert rw("DROP SCHEMA main.rls CASCADE") == "DROP SCHEMA <N main|rls> CASCADE"
    # a two-part chain in a query is a struct access (or alias.column), never a namespace
    assert rw("SELECT main.rls FROM t main") == "SELECT main.rls FROM t main"
    assert rw("DROP VIEW IF EXISTS main.v") == "DROP VIEW IF EXISTS main.v"


def test_platform_function_calls_are_qualified_but_not_definitions():
    assert rw("SELECT is_account_group_member('g')") == "SELECT <F>('g')"
    assert rw("SELECT IS_ACCOUNT_GROUP_MEMBER ('g')") == "SELECT <F> ('g')"
    assert rw("SELECT x.is_account_group_member('g')") == "SELECT x.is_account_group_member('g')"
    assert rw("SELECT 'is_account_group_member(1)'") == "SELECT 'is_account_group_member(1)'"
    sql = "CREATE FUNCTION is_account_group_member(g STRING) RETURNS BOOLEAN RETURN true"
    assert rw(sql) == sql


def test_tokens_cover_the_text_exactly():
    sql = "SELECT `a``b`.c, 'x\\'y', r'\\', /* /* */ */ 1.5e3 -- z\n FROM système.t"
    assert "".join(t.text for t in tokenize(sql)) == sql


@given(st.text(max_size=80))
def test_tokenizing_any_text_loses_nothing(sql: str):
    assert "".join(t.text for t in tokenize(sql)) == sql


@given(st.text(max_size=80))
def test_rewriting_text_without_catalog_names_changes_nothing(sql: str):
    if any(c in sql.lower() for c in CATALOGS) or "is_account_group_member" in sql.lower():
        return
    assert rw(sql) == sql


def test_parse_name():
    assert parse_name("`a``b`.c . `d e`") == ["a`b", "c", "d e"]
    assert parse_name("main.rls.t") == ["main", "rls", "t"]


def test_not_applicable_statements():
    na = [
        "GRANT SELECT ON VIEW main.rls.v TO `admins`",
        "revoke select on view main.rls.v from `x`",
        "ALTER VIEW main.rls.v OWNER TO `sp`",
        "ALTER TABLE main.rls.t SET OWNER TO `sp`",
        "ALTER VIEW main.rls.v SET TAGS ('a' = 'b')",
        "ALTER VIEW main.rls.v UNSET TAGS ('a')",
        "SET TAG ON TABLE main.rls.t a = b",
        "CREATE CATALOG IF NOT EXISTS main",
        "  -- comment first\nGRANT USE CATALOG ON CATALOG main TO x",
    ]
    for sql in na:
        assert not_applicable(sql), sql
    ok = [
        "SELECT 'GRANT' AS g",
        "ALTER VIEW main.rls.v SET TBLPROPERTIES ('x' = 'OWNER TO y')",
        "ALTER VIEW main.rls.v AS SELECT `owner` AS `to` FROM t",
        "CREATE SCHEMA main.rls",
        "COMMENT ON TABLE main.rls.t IS 'SET TAGS'",
    ]
    for sql in ok:
        assert not_applicable(sql) is None, sql


_HIVE_NAME = re.compile(r"[a-z0-9_]{1,64}")


@given(st.text(min_size=1, max_size=255))
def test_encoded_names_are_hive_legal_and_never_contain_the_separator(name: str):
    enc = encode(name)
    assert _HIVE_NAME.fullmatch(enc), enc
    assert "__" not in enc
    assert not enc.endswith("_")


@given(st.text(min_size=1, max_size=255), st.text(min_size=1, max_size=255))
def test_encoding_is_injective_up_to_case(a: str, b: str):
    if normalize(a) != normalize(b):
        assert encode(a) != encode(b)
    else:
        assert encode(a) == encode(b)
