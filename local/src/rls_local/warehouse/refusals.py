"""What the local warehouse's privilege model raises: the SQL seam's typed errors, in Unity Catalog's words."""

from __future__ import annotations

from rls.sql.errors import SqlNotFound, SqlPermissionDenied


class PrivilegeError(SqlPermissionDenied):
    """Refused by the privilege model; the message is one line in Unity Catalog's words (a typed error of the SQL
    seam, as Databricks' refusal becomes one)."""


class NotVisibleError(SqlNotFound):
    """What the statement names does not exist, or is not there for this reader (Unity Catalog answers both with
    TABLE_OR_VIEW_NOT_FOUND); the message is one line in its words."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "TABLE_OR_VIEW_NOT_FOUND")


__all__ = ["NotVisibleError", "PrivilegeError"]
