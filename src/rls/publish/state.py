"""What already exists in the target schema: our views, their fingerprints and owners, read cheaply.

One query for all views: ``SHOW TABLE EXTENDED IN <schema> LIKE 'vw_system_*'`` returns one row per view with a
text blob holding ``Owner: …``, ``Type: VIEW`` and ``Table Properties: [k=v, …]`` (Spark and Databricks format
it the same way). When that fails or cannot be parsed, fall back to ``SHOW VIEWS`` + ``SHOW TBLPROPERTIES`` per view
(1 + N queries).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from rls.publish.report import first_line
from rls.publish.viewsql import FINGERPRINT_PROPERTY, GRANTS_PROPERTY, VIEW_PREFIX
from rls.sql.backend import SqlBackend
from rls.sql.quoting import quote_identifier, quote_name, quote_string
from rls.sql.system_tables import REFERENCE_PREFIX

logger = logging.getLogger(__name__)

_HEX = r"([0-9a-f]{64})"


@dataclass(frozen=True)
class ExistingView:
    name: str
    is_view: bool
    fingerprint: str | None  # None: not ours (or made by a tool that did not fingerprint, e.g. the original one)
    grants_fingerprint: str | None
    owner: str | None  # None: the platform did not say
    text: str | None = None  # the stored query; None: the platform did not say


@dataclass(frozen=True)
class ExistingState:
    schema_exists: bool
    views: dict[str, ExistingView]  # by lower-cased name: Unity Catalog and Spark compare names case-insensitively
    method: str  # how it was read, for the report
    queries: int


def read_existing(backend: SqlBackend, catalog: str, schema: str, like: str | None = None) -> ExistingState:
    """Our views (or, with ``like="*"``, every object of the schema: ``rls verify`` looks at all of them)."""
    where = quote_name(catalog, schema)
    # ours: the filtered views and the reference views (`|` separates alternatives in SHOW … LIKE, Spark and UC)
    pattern = quote_string(like or f"{VIEW_PREFIX}*|{REFERENCE_PREFIX}*")
    try:
        rows = backend.fetch(f"SHOW TABLE EXTENDED IN {where} LIKE {pattern}")
    except Exception as e:
        if not _schema_exists(backend, catalog, schema):
            logger.info("schema %s.%s does not exist yet", catalog, schema)
            return ExistingState(False, {}, "schema missing", 2)
        logger.warning("SHOW TABLE EXTENDED failed (%s): reading properties view by view", first_line(e))
        return _per_view(backend, where, pattern, queries=2)
    views = {}
    for r in rows:
        info = str(r.get("information") or "")
        name = str(r.get("tableName") or "")
        if not name or ("Table Properties" not in info and "Type:" not in info):
            # an unknown format: do not guess (a wrong "unchanged" would keep a stale filter); read it the slow way
            logger.warning("SHOW TABLE EXTENDED gave an unknown format: reading properties view by view")
            return _per_view(backend, where, pattern, queries=1)
        if _truthy(r.get("isTemporary")):
            continue
        views[name.lower()] = _parse_information(name, info)
    return ExistingState(True, views, "SHOW TABLE EXTENDED", 1)


def _parse_information(name: str, info: str) -> ExistingView:
    lines = info.splitlines()
    kind = _first_value(lines, "Type")
    owner = _first_value(lines, "Owner")
    # View Text (our query, multi-line) comes before Table Properties: take the last properties line
    props = next((ln for ln in reversed(lines) if ln.startswith("Table Properties: [")), "")
    return ExistingView(
        name,
        is_view=(kind or "VIEW").upper() == "VIEW",
        fingerprint=_property(props, FINGERPRINT_PROPERTY),
        grants_fingerprint=_property(props, GRANTS_PROPERTY),
        owner=owner or None,
        text=_view_text(lines),
    )


# Keys SHOW TABLE EXTENDED prints after "View Text:" (Spark and Databricks): the query ends at the first of them.
_AFTER_TEXT = (
    "View Original Text:",
    "View Schema Mode:",
    "View Catalog and Namespace:",
    "View Query Output Columns:",
    "Table Properties:",
    "Serde Library:",
    "Schema:",
    "Storage Properties:",
    "Location:",
)


def _view_text(lines: list[str]) -> str | None:
    start = next((i for i, ln in enumerate(lines) if ln.startswith("View Text:")), None)
    if start is None:
        return None
    out = [lines[start][len("View Text:") :].strip()]
    for ln in lines[start + 1 :]:
        if ln.startswith(_AFTER_TEXT):
            break
        out.append(ln)
    return "\n".join(out)


def _first_value(lines: list[str], key: str) -> str | None:
    prefix = key + ":"
    for ln in lines:
        if ln.startswith(prefix):
            return ln[len(prefix) :].strip()
    return None


def _property(props_line: str, key: str) -> str | None:
    # The list is not quoted, so another property's value could imitate ours. Two different candidates make the
    # value unknown (None): the view is then re-altered, the safe direction, never wrongly taken as unchanged.
    found = set(re.findall(r"(?:\[|, )" + re.escape(key) + "=" + _HEX + r"(?=[,\]])", props_line))
    return found.pop() if len(found) == 1 else None


def _per_view(backend: SqlBackend, where: str, pattern: str, *, queries: int) -> ExistingState:
    rows = backend.fetch(f"SHOW VIEWS IN {where} LIKE {pattern}")
    views = {}
    for r in rows:
        if _truthy(r.get("isTemporary")):
            continue
        name = str(r.get("viewName") or next(iter(r.values())))
        props = {str(p["key"]): str(p["value"]) for p in backend.fetch(f"SHOW TBLPROPERTIES {where}.{_q(name)}")}
        views[name.lower()] = ExistingView(
            name, True, _hex_or_none(props.get(FINGERPRINT_PROPERTY)), _hex_or_none(props.get(GRANTS_PROPERTY)), None
        )
        queries += 1
    return ExistingState(True, views, "SHOW VIEWS + SHOW TBLPROPERTIES", queries + 1)


def _schema_exists(backend: SqlBackend, catalog: str, schema: str) -> bool:
    try:
        rows = backend.fetch(f"SHOW SCHEMAS IN {quote_identifier(catalog)}")
    except Exception:
        return False  # no catalog (or cannot list it): CREATE SCHEMA IF NOT EXISTS will say why
    names = {str(next(iter(r.values()))).lower() for r in rows if r}
    return schema.lower() in names


def _q(name: str) -> str:
    return quote_identifier(name)


def _hex_or_none(value: str | None) -> str | None:
    return value if value is not None and re.fullmatch(_HEX, value) else None


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
