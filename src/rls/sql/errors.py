"""Typed errors of the SQL seam: what a failed statement means, decided here once, never by callers reading text.

:class:`rls.sql.SqlBackend` raises these for every failure it can name, with the platform's own message unchanged
(``str(e)`` is what Spark, Databricks or the local warehouse said) and the original exception as ``__cause__``. A
failure it cannot name is raised as it came: a caller that needs to tell cases apart catches the types below.

How a failure is named: by its error class (the stable condition name Spark and Databricks attach to an error:
``getCondition()`` on a PySpark exception, the ``[CLASS]`` prefix of a Databricks message, ``CLASS:`` of the local
warehouse's refusals) or its SQLSTATE (42501: insufficient privilege), per the Spark error-conditions reference
(spark.apache.org/docs/latest/sql-error-conditions.html) and Databricks' "Error classes in Databricks".
"""

from __future__ import annotations

import re

_CLASS_IN_TEXT = re.compile(r"\[(?P<bracket>[A-Z][A-Z0-9_]+(?:\.[A-Z0-9_]+)*)\]|^(?P<lead>[A-Z][A-Z0-9_]{5,}):", re.M)
_SQLSTATE = re.compile(r"SQLSTATE:?\s*(?P<state>[0-9A-Z]{5})")
# The privilege a refusal names first, in Databricks' words ("User x does not have USE CATALOG on Catalog 'system'")
# and the local warehouse's ("x lacks USE SCHEMA on s"): checked in the order catalog, schema, object.
_MISSING = re.compile(r"(?:does not have|lacks) (?P<privilege>[A-Z][A-Z ]*?[A-Z]) on\b")
# A refused read, as the local warehouse words it ("x (…) lacks SELECT on c.s.v") and as Databricks does ("User x does
# not have SELECT on Table 'c.s.v'" in an INSUFFICIENT_PERMISSIONS / PERMISSION_DENIED error).
_LACKS_SELECT = re.compile(
    r"(?:(?P<who>[^\s:]+)(?: \([^)]*\))? lacks SELECT on (?P<obj>[\w.`-]+)"
    r"|does not have SELECT on (?:Table|View) '(?P<obj2>[^']+)')",
    re.IGNORECASE,
)
# What a not-found error's class says is missing (Spark's and Databricks' error classes).
_MISSING_KIND = (
    ("CATALOG", "catalog"),
    ("SCHEMA", "schema"),
    ("TABLE_OR_VIEW", "table"),
    ("ROUTINE", "function"),
    ("COLUMN", "column"),
    ("FIELD", "column"),
    ("SHARE", "share"),
    ("RECIPIENT", "recipient"),
    ("PROVIDER", "provider"),
)


class SqlError(Exception):
    """A statement failed for a reason the seam names. ``error_class``: the platform's condition name, if known."""

    def __init__(self, message: str, error_class: str | None = None) -> None:
        super().__init__(message)
        self.error_class = error_class


class SqlNotFound(SqlError):
    """What the statement names does not exist (catalog, schema, table, view, function, column)."""

    @property
    def missing(self) -> str | None:
        """What kind of object is missing (``catalog``, ``schema``, ``table``, …), from the error class."""
        name = (self.error_class or "").upper()
        return next((kind for key, kind in _MISSING_KIND if key in name), None)


class SqlColumnNotFound(SqlNotFound):
    """A column (or struct field) the statement names does not exist in what it reads."""


class SqlPermissionDenied(SqlError, PermissionError):
    """The platform refused the statement to the identity running it."""

    @property
    def missing_privilege(self) -> str | None:
        """The first privilege the refusal names as missing (``USE CATALOG``, ``SELECT``, …), if it names one."""
        m = _MISSING.search(str(self))
        return m["privilege"] if m else None

    @property
    def refused_select(self) -> tuple[str | None, str] | None:
        """(who, ``c.s.t``) when this is a refused SELECT on a table or view; who is None where the message does not
        name the reader."""
        m = _LACKS_SELECT.search(str(self))
        return (m["who"], (m["obj"] or m["obj2"]).replace("`", "")) if m else None


class SqlAlreadyExists(SqlError):
    """What the statement creates exists already."""


class SqlConcurrentChange(SqlError):
    """Another writer changed the table at the same time (a Delta conflict): retrying may succeed."""


class SqlSyntaxError(SqlError):
    """The platform does not parse the statement (a statement this platform does not have, or a bad one)."""


_BY_CLASS: tuple[tuple[type[SqlError], tuple[str, ...]], ...] = (
    (SqlPermissionDenied, ("INSUFFICIENT_PERMISSIONS", "PERMISSION_DENIED")),
    (SqlColumnNotFound, ("UNRESOLVED_COLUMN", "UNRESOLVED_FIELD")),
    (
        SqlNotFound,
        (
            "TABLE_OR_VIEW_NOT_FOUND",
            "SCHEMA_NOT_FOUND",
            "NO_SUCH_CATALOG",
            "CATALOG_NOT_FOUND",
            "ROUTINE_NOT_FOUND",
            "UNRESOLVED_ROUTINE",
            "SHARE_NOT_FOUND",
            "RECIPIENT_NOT_FOUND",
            "PROVIDER_NOT_FOUND",
        ),
    ),
    (SqlAlreadyExists, ("ALREADY_EXISTS",)),  # TABLE_OR_VIEW_ALREADY_EXISTS, SCHEMA_ALREADY_EXISTS, …
    (SqlConcurrentChange, ("DELTA_CONCURRENT", "CONCURRENT_")),
    (SqlSyntaxError, ("PARSE_SYNTAX_ERROR", "PARSE_EMPTY_STATEMENT")),
)
_BY_SQLSTATE = {"42501": SqlPermissionDenied, "42P01": SqlNotFound, "42704": SqlNotFound, "42P07": SqlAlreadyExists}


def error_class_of(e: BaseException) -> str | None:
    """The platform's error class of ``e`` (None when it carries none)."""
    for getter in ("getCondition", "getErrorClass"):  # PySpark 4 / 3.5 exceptions
        fn = getattr(e, getter, None)
        if callable(fn):
            try:
                found = fn()
            except Exception:  # a Py4J-backed exception whose JVM side is gone: fall back to the text
                found = None
            if found:
                return str(found)
    m = _CLASS_IN_TEXT.search(str(e))
    return (m["bracket"] or m["lead"]) if m else None


def typed(e: BaseException) -> SqlError | None:
    """``e`` as the typed error it is, keeping its message; None when the seam cannot name it."""
    if isinstance(e, SqlError):
        return e
    error_class = error_class_of(e)
    kind: type[SqlError] | None = None
    if error_class is not None:
        name = error_class.upper()
        kind = next((k for k, names in _BY_CLASS if any(n in name for n in names)), None)
    if kind is None and (m := _SQLSTATE.search(str(e))):
        kind = _BY_SQLSTATE.get(m["state"])
    if kind is None and isinstance(e, PermissionError):  # the local warehouse's privilege model
        kind = SqlPermissionDenied
    return kind(str(e), error_class) if kind is not None else None
