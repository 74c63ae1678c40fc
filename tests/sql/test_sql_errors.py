"""The SQL seam names what a failure means (rls.sql.errors): callers decide on types, never on message text.

Through real Spark on the local warehouse (what the job's own statements meet) and on Databricks' own wording (the
messages of a real workspace, as its error classes and SQLSTATEs document them)."""

from __future__ import annotations

import itertools

import pytest

from rls.sql import quote_name
from rls.sql.errors import (
    SqlAlreadyExists,
    SqlColumnNotFound,
    SqlConcurrentChange,
    SqlError,
    SqlNotFound,
    SqlPermissionDenied,
    SqlSyntaxError,
    typed,
)

_n = itertools.count()


@pytest.mark.parametrize(
    ("message", "kind", "privilege"),
    [
        (
            "[INSUFFICIENT_PERMISSIONS] Insufficient privileges:\nUser `sp@x` does not have USE CATALOG on Catalog "
            "'system'. SQLSTATE: 42501",
            SqlPermissionDenied,
            "USE CATALOG",
        ),
        (
            "PERMISSION_DENIED: User does not have USE SCHEMA on Schema 'system.billing'.",
            SqlPermissionDenied,
            "USE SCHEMA",
        ),
        (
            "[TABLE_OR_VIEW_NOT_FOUND] The table or view `main`.`rls`.`x` cannot be found. SQLSTATE: 42P01",
            SqlNotFound,
            None,
        ),
        (
            "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column with name `wid` cannot be resolved. SQLSTATE: 42703",
            SqlColumnNotFound,
            None,
        ),
        (
            "[SCHEMA_ALREADY_EXISTS] Cannot create schema `rls` because it already exists. SQLSTATE: 42P06",
            SqlAlreadyExists,
            None,
        ),
        (
            "[DELTA_CONCURRENT_APPEND] ConcurrentAppendException: Files were added to the root of the table by a "
            "concurrent update.",
            SqlConcurrentChange,
            None,
        ),
        ("[PARSE_SYNTAX_ERROR] Syntax error at or near 'POLICIES'. SQLSTATE: 42601", SqlSyntaxError, None),
    ],
)
def test_databricks_wording_is_named_by_class_and_keeps_its_message(message, kind, privilege) -> None:
    named = typed(RuntimeError(message))
    assert type(named) is kind and str(named) == message
    if kind is SqlPermissionDenied:
        assert named.missing_privilege == privilege


def test_a_failure_the_seam_cannot_name_is_left_as_it_came() -> None:
    assert typed(RuntimeError("connection reset by peer")) is None
    assert typed(ValueError("[NOT_A_KNOWN_CLASS] something")) is None


def test_real_spark_failures_reach_callers_typed(warehouse) -> None:
    schema = f"sql_errors_{next(_n)}"
    table = quote_name("main", schema, "t")
    warehouse.execute(f"CREATE SCHEMA {quote_name('main', schema)}")
    warehouse.execute(f"CREATE TABLE {table} (workspace_id STRING) USING parquet")
    cases = [
        (f"SELECT * FROM {quote_name('main', schema, 'nope')}", SqlNotFound, "TABLE_OR_VIEW_NOT_FOUND"),
        (f"SELECT wid FROM {table}", SqlColumnNotFound, "UNRESOLVED_COLUMN"),
        ("SELEC 1", SqlSyntaxError, "PARSE_SYNTAX_ERROR"),
        (f"CREATE SCHEMA {quote_name('main', schema)}", SqlAlreadyExists, "SCHEMA_ALREADY_EXISTS"),
    ]
    for sql, kind, error_class in cases:
        with pytest.raises(SqlError) as e:
            warehouse.execute(sql)
        assert isinstance(e.value, kind) and (e.value.error_class or "").startswith(error_class), sql
        assert e.value.__cause__ is not None and str(e.value) == str(e.value.__cause__)  # the platform's words
    with warehouse.as_identity("bob@example.com"), pytest.raises(SqlPermissionDenied) as refused:
        warehouse.fetch(f"SELECT * FROM {table}")  # a reader with no grant on it
    assert refused.value.missing_privilege in ("USE SCHEMA", "SELECT", "USE CATALOG")
