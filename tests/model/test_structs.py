"""Dataclass rows to the nested tuples ``createDataFrame`` takes, and back from the dicts ``fetch`` returns."""

from __future__ import annotations

import dataclasses
import datetime as dt

from rls import tables
from rls.sql.structs import from_row, row_converter, schema_ddl

AT = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@dataclasses.dataclass(frozen=True)
class _One:
    name: str


def _perms() -> tables.WorkspacePerms:
    admin = tables.Principal("a@x.com", None, tables.USER, tables.DIRECT, None)
    member = tables.Principal("b@x.com", "ops", tables.USER, tables.VIA_GROUP, "ops > inner")
    return tables.WorkspacePerms(
        7,
        "ws",
        "dep",
        "https://ws",
        "RUNNING",
        None,
        "us-east-1",
        True,
        [admin, member],
        [],
        [tables.CatalogEntry("main", None)],
        "run",
        AT,
    )


def test_nested_rows_follow_the_field_order_of_the_schema() -> None:
    row = row_converter(tables.WorkspacePerms)(_perms())
    names = [f.name for f in dataclasses.fields(tables.WorkspacePerms)]
    top_level = [c.split("`")[1] for c in schema_ddl(tables.WorkspacePerms).split(" NOT NULL")[0:1]]
    assert len(row) == len(names) and top_level == [names[0]]
    assert row[names.index("admins")] == [
        ("a@x.com", None, "USER", "direct", None),
        ("b@x.com", "ops", "USER", "group", "ops > inner"),
    ]
    assert row[names.index("users")] == [] and row[names.index("catalogs")] == [("main", None)]
    assert row[names.index("collected_at")] is AT


def test_round_trip_through_dicts() -> None:
    p = _perms()
    row = row_converter(tables.WorkspacePerms)(p)
    as_dict = dict(zip([f.name for f in dataclasses.fields(p)], row, strict=True))
    for key, klass in (("admins", tables.Principal), ("users", tables.Principal), ("catalogs", tables.CatalogEntry)):
        names = getattr(klass, "_fields", None) or [f.name for f in dataclasses.fields(klass)]
        as_dict[key] = [dict(zip(names, v, strict=True)) for v in as_dict[key]]
    assert from_row(tables.WorkspacePerms, as_dict) == p


def test_single_field_class_is_a_one_tuple() -> None:
    assert row_converter(_One)(_One("x")) == ("x",)


def test_named_tuple_rows_are_stored_as_they_are() -> None:
    row = tables.GroupMember("g1", "ops", "u1", "a@x.com", tables.USER, True, 2, "ops > inner", "run")
    assert row_converter(tables.GroupMember)(row) == tuple(row)
    assert "`depth` BIGINT NOT NULL, `path` STRING NOT NULL" in schema_ddl(tables.GroupMember)
