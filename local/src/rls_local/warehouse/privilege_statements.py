"""The privilege statements the local warehouse's model runs (:mod:`.enforce`), parsed into what they change:
``GRANT`` / ``REVOKE`` (on a catalog, schema, table, view or the metastore) and ``ALTER … OWNER TO``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rls.sql.sqltext import DOT, IDENT, QIDENT, STRING, parse_name, significant, tokenize


@dataclass(frozen=True)
class Grant:
    privileges: tuple[str, ...]
    securable_type: str  # CATALOG | SCHEMA | TABLE | VIEW | METASTORE (name [])
    name: list[str]
    principal: str
    revoke: bool


@dataclass(frozen=True)
class OwnerChange:
    object_type: str
    name: list[str]
    owner: str


def parse_grant(sql: str) -> Grant | None:
    sig = significant(tokenize(sql))
    words = [t.word for t in sig]
    if not words or words[0] not in ("GRANT", "REVOKE") or "ON" not in words:
        return None
    on = words.index("ON")
    privileges = " ".join(t.text.upper() for t in sig[1:on]).replace(" ,", ",")
    target = "TO" if words[0] == "GRANT" else "FROM"
    if target not in words[on:]:
        return None
    to = on + words[on:].index(target)
    kind = words[on + 1]
    name_tokens = sig[on + 2 : to]
    principal = _principal(sig[to + 1 :])
    if kind == "METASTORE" and not name_tokens and principal is not None:  # privileges on the metastore itself
        return Grant(tuple(p.strip() for p in privileges.split(",")), kind, [], principal, words[0] == "REVOKE")
    if kind not in ("CATALOG", "SCHEMA", "TABLE", "VIEW") or not name_tokens or principal is None:
        return None
    return Grant(
        tuple(p.strip() for p in privileges.split(",")),
        kind,
        _names(name_tokens),
        principal,
        words[0] == "REVOKE",
    )


def parse_owner_change(sql: str) -> OwnerChange | None:
    sig = significant(tokenize(sql))
    words = [t.word for t in sig]
    if len(words) < 5 or words[0] != "ALTER":
        return None
    for i in range(2, len(words) - 1):
        if words[i] == "OWNER" and words[i + 1] == "TO":
            principal = _principal(sig[i + 2 :])
            if principal is None:
                return None
            return OwnerChange(words[1], _names(sig[2:i]), principal)
    return None


def _names(tokens: list[Any]) -> list[str]:
    return (
        [t.value for t in tokens if t.kind in (IDENT, QIDENT)]
        if all(t.kind in (IDENT, QIDENT, DOT) for t in tokens)
        else parse_name("".join(t.text for t in tokens))
    )


def _principal(tokens: list[Any]) -> str | None:
    tokens = [t for t in tokens if t.text != ";"]
    if len(tokens) == 1 and tokens[0].kind in (IDENT, QIDENT, STRING):
        t = tokens[0]
        return t.text[1:-1] if t.kind == STRING else t.value
    return None
