"""Lexing and rewriting of Databricks SQL text (read by the publisher's audit; rewritten by the local warehouse).

The rewrite touches identifiers only and leaves every other byte of the statement as written: string literals,
comments and struct accesses (``x.user_identity.email``) are never changed. A dotted chain is a table name only
when its first part is a known catalog, so the rewrite is decided by the catalog registry, not by guessing.

Known limits (documented, not hidden): a table alias or column spelled like a known catalog and followed by two
more parts would be taken for a table name; ``schema.table`` (two parts) is resolved by Spark against its own
databases, not relative to a current catalog.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

logger = logging.getLogger(__name__)

WS, COMMENT, STRING, QIDENT, IDENT, NUMBER, DOT, OTHER = (
    "ws",
    "comment",
    "string",
    "qident",
    "ident",
    "number",
    ".",
    "other",
)

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<line>--[^\n]*)
  | (?P<raw>[rR](?:'[^']*'|"[^"]*"))
  | (?P<string>'(?:[^'\\]|\\.)*(?:'|$)|"(?:[^"\\]|\\.)*(?:"|$))
  | (?P<qident>`(?:[^`]|``)*(?:`|$))
  | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?[A-Za-z]*)
  | (?P<ident>[^\W\d]\w*)
  | (?P<dot>\.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int

    @property
    def value(self) -> str:
        """An identifier's name (backticks removed and unescaped); other tokens' text."""
        if self.kind == QIDENT:
            return (
                self.text[1:-1].replace("``", "`") if self.text.endswith("`") and len(self.text) > 1 else self.text[1:]
            )
        return self.text

    @property
    def word(self) -> str:
        """Upper-cased keyword candidate ('' for anything but an unquoted identifier)."""
        return self.text.upper() if self.kind == IDENT else ""


def tokenize(sql: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        if sql.startswith("/*", i):  # bracketed comments nest in Spark SQL
            depth, j = 1, i + 2
            while j < n and depth:
                if sql.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif sql.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(Token(COMMENT, sql[i:j], i, j))
            i = j
            continue
        m = _TOKEN.match(sql, i)
        if m is None:
            out.append(Token(OTHER, sql[i], i, i + 1))
            i += 1
            continue
        kind = m.lastgroup
        kind = {"line": COMMENT, "raw": STRING, "dot": DOT}.get(kind or "", kind or OTHER)
        out.append(Token(kind, m.group(), i, m.end()))
        i = m.end()
    return out


def significant(tokens: list[Token]) -> list[Token]:
    return [t for t in tokens if t.kind not in (WS, COMMENT)]


def words(sql: str) -> list[str]:
    """The statement's unquoted words, upper-cased, in order (identifiers and keywords alike)."""
    return [t.word for t in significant(tokenize(sql)) if t.kind == IDENT]


def head(sql: str, n: int = 3) -> list[str]:
    """The first ``n`` significant tokens as upper-cased words ('' for non-words)."""
    return [t.word for t in significant(tokenize(sql))[:n]]


@dataclass(frozen=True)
class Chain:
    """A dotted identifier chain ``a.b.c`` and its place in the token list."""

    parts: tuple[Token, ...]
    first: int  # index in the significant-token list
    last: int

    @property
    def names(self) -> list[str]:
        return [p.value for p in self.parts]


def chains(sig: list[Token]) -> list[Chain]:
    out: list[Chain] = []
    i = 0
    while i < len(sig):
        t = sig[i]
        if t.kind in (IDENT, QIDENT) and not (i > 0 and sig[i - 1].kind == DOT):
            j = i
            while j + 2 < len(sig) and sig[j + 1].kind == DOT and sig[j + 2].kind in (IDENT, QIDENT):
                j += 2
            out.append(Chain(tuple(sig[i : j + 1 : 2]), i, j))
            i = j + 1
        else:
            i += 1
    return out


def parse_name(text: str) -> list[str]:
    """The parts of a (possibly quoted) multi-part name: ``"`a`.b"`` -> ``["a", "b"]``."""
    sig = significant(tokenize(text))
    found = chains(sig)
    if len(found) != 1 or found[0].first != 0 or found[0].last != len(sig) - 1:
        raise ValueError(f"not a name: {text!r}")
    return found[0].names


def quote(part: str) -> str:
    return "`" + part.replace("`", "``") + "`"


_NAMESPACE_KEYWORDS = {"SCHEMA", "DATABASE", "NAMESPACE", "USE"}
_NOT_A_CALL = {"FUNCTION", "EXISTS", "FUNCTIONS"}


@dataclass
class Rewriter:
    """Maps three-part table names and two-part namespaces of known catalogs onto Spark's session catalog.

    ``table`` and ``namespace`` turn original parts into Spark text; ``functions`` maps a platform function's
    unqualified name to its qualified Spark name (Spark resolves an unqualified function inside a view against the
    namespace that was current when the view was created, so the warehouse qualifies them when they are written).
    """

    is_catalog: Callable[[str], bool]
    table: Callable[[str, str, str], str]
    namespace: Callable[[str, str], str]
    functions: Mapping[str, str]

    def rewrite(self, sql: str) -> str:
        sig = significant(tokenize(sql))
        if not sig:
            return sql
        lead = [t.word for t in sig[:3]]
        shows = lead[0] == "SHOW"
        ddl_on_namespace = bool(_NAMESPACE_KEYWORDS & set(lead[1:3]))
        edits: list[tuple[int, int, str]] = []
        for ch in chains(sig):
            names = ch.names
            prev = sig[ch.first - 1].word if ch.first > 0 else ""
            nxt = sig[ch.last + 1] if ch.last + 1 < len(sig) else None
            if len(names) >= 3 and self.is_catalog(names[0]):
                edits.append((ch.parts[0].start, ch.parts[2].end, self.table(names[0], names[1], names[2])))
            elif (
                len(names) == 2
                and self.is_catalog(names[0])
                and (
                    prev in _NAMESPACE_KEYWORDS
                    or (prev == "EXISTS" and ddl_on_namespace)
                    or (prev in ("IN", "FROM") and shows)
                )
            ):
                edits.append((ch.parts[0].start, ch.parts[1].end, self.namespace(names[0], names[1])))
            elif (
                len(names) == 1
                and ch.parts[0].kind == IDENT
                and names[0].lower() in self.functions
                and nxt is not None
                and nxt.text == "("
                and prev not in _NOT_A_CALL
            ):
                edits.append((ch.parts[0].start, ch.parts[0].end, self.functions[names[0].lower()]))
        for start, end, text in sorted(edits, reverse=True):
            sql = sql[:start] + text + sql[end:]
        if edits:
            logger.debug("rewrote %d name(s)", len(edits))
        return sql


def not_applicable(sql: str) -> str | None:
    """Why open-source Spark cannot run ``sql`` (Unity Catalog privileges, ownership, tags, catalogs), else None.

    Decided on unquoted words only, so a string literal or a backticked name that says ``OWNER TO`` does not count.
    """
    w = words(sql)
    if not w:
        return None
    first, second = w[0], (w[1] if len(w) > 1 else "")
    pairs = set(itertools.pairwise(w))
    if first in ("GRANT", "REVOKE", "DENY"):
        return "privileges are a Unity Catalog feature"
    if second == "CATALOG" and first in ("CREATE", "DROP", "ALTER"):
        return "catalogs are a Unity Catalog feature (the local warehouse only registers their names)"
    if first == "COMMENT" and second == "ON" and len(w) > 2 and w[2] == "CATALOG":
        return "catalogs are a Unity Catalog feature"
    if first == "ALTER" and ("OWNER", "TO") in pairs:
        return "ownership is a Unity Catalog feature"
    if first == "ALTER" and (("SET", "TAGS") in pairs or ("UNSET", "TAGS") in pairs):
        return "tags are a Unity Catalog feature"
    if first in ("SET", "UNSET") and second == "TAG":
        return "tags are a Unity Catalog feature"
    return None
