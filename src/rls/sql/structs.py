"""Spark SQL schemas derived from dataclasses: a table's schema lives next to the code that fills it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import operator
import types
import typing
from collections.abc import Callable
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
    if is_row_class(tp):
        fields = ", ".join(f"`{n}`: {sql_type(t)}" for n, t in _field_types(tp))
        return f"STRUCT<{fields}>"
    raise TypeError(f"no SQL type for {tp!r}")


def is_row_class(tp: Any) -> bool:
    """A dataclass, or a NamedTuple (the tables with millions of rows: cheaper to build, already a tuple)."""
    return isinstance(tp, type) and (dataclasses.is_dataclass(tp) or (issubclass(tp, tuple) and hasattr(tp, "_fields")))


def _field_types(klass: type) -> list[tuple[str, Any]]:
    hints = typing.get_type_hints(klass)
    names = klass._fields if issubclass(klass, tuple) else [f.name for f in dataclasses.fields(klass)]
    return [(n, hints[n]) for n in names]


def schema_ddl(klass: type) -> str:
    """Column list for ``CREATE TABLE``/``createDataFrame``: "`a` STRING NOT NULL, `b` BIGINT"."""
    cols = []
    for name, tp in _field_types(klass):
        _, nullable = _unwrap_optional(tp)
        cols.append(f"`{name}` {sql_type(tp)}" + ("" if nullable else " NOT NULL"))
    return ", ".join(cols)


def _as_is(row: tuple) -> tuple:
    return row


@functools.cache
def row_converter(klass: type) -> Callable[[Any], tuple]:
    """Instances of ``klass`` as nested tuples/lists in field order, ready for ``createDataFrame``; compiled once
    from the field types.

    Millions of rows go through this on every collection: a flat class is one C-level ``attrgetter`` call per row,
    and only fields that hold dataclasses are converted recursively.
    """
    fields = _field_types(klass)
    nested = [(i, _value_converter(tp)) for i, (_, tp) in enumerate(fields)]
    nested = [(i, conv) for i, conv in nested if conv is not None]
    if issubclass(klass, tuple) and not nested:
        return _as_is  # a flat NamedTuple already is the row: no copy of millions of rows
    get = operator.attrgetter(*(n for n, _ in fields))
    if len(fields) == 1:  # attrgetter of one name returns the value, not a tuple
        single = get

        def get(value: Any) -> tuple:
            return (single(value),)

    if not nested:
        return get

    def convert(value: Any) -> tuple:
        row = list(get(value))
        for i, conv in nested:
            if row[i] is not None:
                row[i] = conv(row[i])
        return tuple(row)

    return convert


def _value_converter(tp: Any) -> Callable[[Any], Any] | None:
    """How to convert a field's value, or None when it is stored as it is."""
    tp, _ = _unwrap_optional(tp)
    if is_row_class(tp):
        return row_converter(tp)
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        item = _value_converter(typing.get_args(tp)[0])
        return list if item is None else (lambda values: [None if v is None else item(v) for v in values])
    if origin is dict:
        v_conv = _value_converter(typing.get_args(tp)[1])
        return dict if v_conv is None else (lambda d: {k: None if v is None else v_conv(v) for k, v in d.items()})
    return None


def from_row(klass: type, row: dict[str, Any]) -> Any:
    """Inverse of :func:`row_converter` for rows read back as dicts (``SqlBackend.fetch``)."""
    kwargs = {}
    for name, tp in _field_types(klass):
        kwargs[name] = _from_value(tp, row.get(name))
    return klass(**kwargs)


def _from_value(tp: Any, value: Any) -> Any:
    tp, _ = _unwrap_optional(tp)
    if value is None:
        return None
    if is_row_class(tp):
        return from_row(tp, value if isinstance(value, dict) else value.asDict(recursive=True))
    origin = typing.get_origin(tp)
    if origin in (list, tuple):
        (item, *_) = typing.get_args(tp)
        return [_from_value(item, v) for v in value]
    if origin is dict:
        _, v_tp = typing.get_args(tp)
        return {k: _from_value(v_tp, v) for k, v in value.items()}
    return value
