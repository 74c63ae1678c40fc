"""Reading a scenario document safely: strict JSON, and typed access that names the key of every error.

Kept apart from :mod:`.scenario` (the model) so the v2 metastore part (:mod:`.scenario_metastores`) can share
it without an import cycle. Everything here raises :class:`ScenarioError` with a one-line message.
"""

from __future__ import annotations

import json
import math
from typing import Any

from rls.errors import InputError


class ScenarioError(InputError):
    """A scenario file that does not follow the format; the message names the key."""


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN / Infinity / -Infinity, which are not JSON (RFC 8259 §6) and would slip into
    # numbers such as ``retry_after_s`` (issue #13 item 10).
    raise ScenarioError(f"not valid JSON: {name} is not a JSON number")


def loads(text: str) -> Any:
    """``json.loads`` that rejects NaN/Infinity and turns every parse failure, deep nesting included, into one line."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise ScenarioError(f"not valid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    except RecursionError:
        # The C scanner recurses once per nesting level; 100,000 '[' exhaust the interpreter's stack limit.
        raise ScenarioError("not valid JSON: nested too deeply") from None


_MISSING = object()


class Reader:
    """Typed access to a JSON node that knows its own key path, so every error names the key."""

    def __init__(self, node: Any, where: str):
        self.node = node
        self.where = where

    def path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.where}[{key}]"
        return f"{self.where}.{key}" if self.where else key

    def error(self, key: str | int | None, problem: str) -> ScenarioError:
        where = self.where if key is None else self.path(key)
        return ScenarioError(f"key '{where or '<top level>'}': {problem}")

    def has(self, key: str) -> bool:
        return key in self.node and self.node[key] is not None

    def require_type(self, t: type) -> None:
        if not isinstance(self.node, t):
            name = {dict: "an object", list: "a list"}.get(t, t.__name__)
            raise self.error(None, f"must be {name}, got {kind(self.node)}")

    def _get(self, key: str, default: Any) -> Any:
        if key in self.node and self.node[key] is not None:
            return self.node[key]
        if default is _MISSING:
            raise ScenarioError(f"key '{self.path(key)}': missing")
        return default

    def child(self, key: str) -> Reader:
        return Reader(self._get(key, _MISSING), self.path(key))

    def str(self, key: str, default: Any = _MISSING) -> Any:
        v = self._get(key, default)
        if v is default:
            return v
        if not isinstance(v, str) or not v:
            raise ScenarioError(f"key '{self.path(key)}': must be a non-empty string, got {kind(v)}")
        return v

    def int(self, key: str, default: Any = _MISSING) -> Any:
        v = self._get(key, default)
        if v is default:
            return v
        if isinstance(v, bool) or not isinstance(v, int):
            raise ScenarioError(f"key '{self.path(key)}': must be an integer, got {kind(v)}")
        return v

    def number(self, key: str, default: Any = _MISSING) -> Any:
        """A finite number >= 0 (NaN and infinities are refused even when the document came as a dict)."""
        v = self._get(key, default)
        if v is default:
            return v
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
            raise ScenarioError(f"key '{self.path(key)}': must be a finite number >= 0, got {_number_kind(v)}")
        return float(v)

    def bool(self, key: str, default: Any = _MISSING) -> Any:
        v = self._get(key, default)
        if not isinstance(v, bool):
            raise ScenarioError(f"key '{self.path(key)}': must be true or false, got {kind(v)}")
        return v

    def list(self, key: str, default: Any = _MISSING) -> list[Reader]:
        v = self._get(key, default)
        if not isinstance(v, list):
            raise ScenarioError(f"key '{self.path(key)}': must be a list, got {kind(v)}")
        return [Reader(x, f"{self.path(key)}[{i}]") for i, x in enumerate(v)]

    def list_items(self) -> list[Reader]:
        self.require_type(list)
        return [Reader(x, f"{self.where}[{i}]") for i, x in enumerate(self.node)]

    def mapping(self, key: str) -> dict[str, Reader]:
        v = self._get(key, {})
        if not isinstance(v, dict):
            raise ScenarioError(f"key '{self.path(key)}': must be an object, got {kind(v)}")
        return {k: Reader(x, f"{self.path(key)}.{k}") for k, x in v.items()}

    def value_str(self) -> str:
        if not isinstance(self.node, str):
            raise ScenarioError(f"key '{self.where}': must be a string, got {kind(self.node)}")
        return self.node

    def value_int(self) -> int:
        if isinstance(self.node, bool) or not isinstance(self.node, int):
            raise ScenarioError(f"key '{self.where}': must be an integer, got {kind(self.node)}")
        return self.node


def _number_kind(v: Any) -> str:
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    if isinstance(v, int | float) and not isinstance(v, bool):
        return repr(v)
    return kind(v)


def kind(v: Any) -> str:
    if v is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(v), type(v).__name__)


def job_system_grants(r: Reader, known_schemas: set[str]) -> tuple[str, ...] | None:
    """v3 key ``job_system_grants``: ``"all"`` (default) -> None, ``"none"`` -> (), or a list of ``system`` schema
    names (each one of ``known_schemas``, once) -> that tuple."""
    key = "job_system_grants"
    value = r.node.get(key) if isinstance(r.node, dict) else None
    if value is None or value == "all":
        return None
    if value == "none":
        return ()
    if not isinstance(value, list):
        raise r.error(key, f'must be "all", "none" or a list of system schema names, got {kind(value)}')
    names = [item.value_str() for item in r.list(key)]
    for i, name in enumerate(names):
        if name not in known_schemas:
            raise r.error(f"{key}[{i}]", f"unknown system schema {name!r} (known: {', '.join(sorted(known_schemas))})")
    if len(set(names)) != len(names):
        raise r.error(key, "lists a schema twice")
    return tuple(names)
