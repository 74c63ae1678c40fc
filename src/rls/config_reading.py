"""A YAML mapping read into the typed configuration: unknown keys and values of the wrong type are refused, each
naming its dotted key (the ranges are :mod:`rls.config_validation`'s). The dataclasses say the types."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any

from rls.config_validation import ConfigError


def put(doc: dict[str, Any], dotted: str, value: Any, *, replace: bool) -> None:
    """Set ``a.b.c`` in the nested mapping ``doc``; where it is already set, only when ``replace``."""
    node = doc
    *parents, leaf = dotted.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    if replace or node.get(leaf) is None:
        node[leaf] = value


def build(klass: type, doc: Any, where: str = "") -> Any:
    """``klass`` (a config dataclass) from its YAML mapping ``doc``; ``where``: the dotted key ``doc`` sits at."""
    if not isinstance(doc, dict):
        raise ConfigError(f"config key '{where}': must be a mapping")
    hints = typing.get_type_hints(klass)
    names = {f.name for f in dataclasses.fields(klass)}
    for key in doc:
        if key not in names:
            raise ConfigError(f"config key '{_join(where, key)}': unknown (known: {', '.join(sorted(names))})")
    kwargs = {}
    for name, value in doc.items():
        tp = hints[name]
        key = _join(where, name)
        if dataclasses.is_dataclass(tp):
            kwargs[name] = build(tp, value, key)
        else:
            kwargs[name] = _coerce(tp, value, key)
    return klass(**kwargs)


def _coerce(tp: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        return _coerce(args[0], value, key)
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ConfigError(f"config key '{key}': must be true or false, got {value!r}")
    if tp in (int, float):
        return _number(tp, value, key)
    if tp is str:
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            raise ConfigError(f"config key '{key}': must be a non-empty string, got {value!r}")
        return str(value)
    if origin is list:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise ConfigError(f"config key '{key}': must be a list, got {value!r}")
        return [_coerce(args[0], v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"config key '{key}': must be a mapping, got {value!r}")
        return {str(k): _coerce(args[1], v, f"{key}.{k}") for k, v in value.items()}
    raise ConfigError(f"config key '{key}': unsupported type {tp}")


def _number(tp: type, value: Any, key: str) -> Any:
    """A finite number; a whole one for integer keys (1.9 workers is a mistake to report, not to truncate)."""
    whole = tp is int
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError
        number = float(value)
    except ValueError:
        number = None
    if number is None or not math.isfinite(number) or (whole and not number.is_integer()):
        kind = "a whole number" if whole else "a finite number"
        raise ConfigError(f"config key '{key}': must be {kind}, got {value!r}") from None
    return int(number) if whole else number


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
