"""Spark SQL schemas derived from dataclasses: a table's schema lives next to the code that fills it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from typing import Any

_SCALARS: dict[type, str] = {
    str: "STRING",
    int: "BIGINT",
    float: "DOUBLE",
    bool: "BOOLEAN",
    dt.datetime: "TIMESTAMP",
    dt.date: "DATE",
}


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
        raise TypeError(f"unsupported union type {tp}")
    return tp, False


def sql_type(tp: Any) -> str:
    tp, _ = _unwrap_optional(tp)
    if tp in _SCALARS:
        return _SCALARS[tp]
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        (item, *_) = typing.get_args(tp)
        return f"ARRAY<{sql_type(item)}>"
    if origin is dict:
        k, v = typing.get_args(tp)
        return f"MAP<{sql_type(k)}, {sql_type(v)}>"
    if dataclasses.is_dataclass(tp):
        fields = ", ".join(f"`{n}`: {sql_type(t)}" for n, t in _field_types(tp))
        return f"STRUCT<{fields}>"
    raise TypeError(f"no SQL type for {tp!r}")


def _field_types(klass: type) -> list[tuple[str, Any]]:
    hints = typing.get_type_hints(klass)
    return [(f.name, hints[f.name]) for f in dataclasses.fields(klass)]


def schema_ddl(klass: type) -> str:
    """Column list for ``CREATE TABLE``/``createDataFrame``: "`a` STRING NOT NULL, `b` BIGINT"."""
    cols = []
    for name, tp in _field_types(klass):
        _, nullable = _unwrap_optional(tp)
        cols.append(f"`{name}` {sql_type(tp)}" + ("" if nullable else " NOT NULL"))
    return ", ".join(cols)


def to_row(value: Any) -> Any:
    """A dataclass instance as nested tuples/lists in field order, ready for ``createDataFrame``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return tuple(to_row(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, list | tuple):
        return [to_row(v) for v in value]
    if isinstance(value, dict):
        return {k: to_row(v) for k, v in value.items()}
    return value


def from_row(klass: type, row: dict[str, Any]) -> Any:
    """Inverse of :func:`to_row` for rows read back as dicts (``SqlBackend.fetch``)."""
    kwargs = {}
    for name, tp in _field_types(klass):
        kwargs[name] = _from_value(tp, row.get(name))
    return klass(**kwargs)


def _from_value(tp: Any, value: Any) -> Any:
    tp, _ = _unwrap_optional(tp)
    if value is None:
        return None
    if dataclasses.is_dataclass(tp):
        return from_row(tp, value if isinstance(value, dict) else value.asDict(recursive=True))
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        (item, *_) = typing.get_args(tp)
        return [_from_value(item, v) for v in value]
    if origin is dict:
        _, v_tp = typing.get_args(tp)
        return {k: _from_value(v_tp, v) for k, v in value.items()}
    return value
