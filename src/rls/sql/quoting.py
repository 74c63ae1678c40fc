"""Quoting for Databricks SQL. Every identifier and literal that reaches SQL goes through here."""

from __future__ import annotations


def quote_identifier(name: str) -> str:
    """Backtick-quote one identifier part, doubling backticks inside, so no name can break out of it."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"identifier must be a non-empty string, got {name!r}")
    if len(name) > 255:
        raise ValueError(f"identifier longer than 255 characters: {name[:40]!r}…")
    return "`" + name.replace("`", "``") + "`"


def quote_name(*parts: str) -> str:
    """Quote a multi-part name: ``quote_name("main", "rls", "t")`` -> `` `main`.`rls`.`t` ``."""
    return ".".join(quote_identifier(p) for p in parts)


def quote_string(value: str) -> str:
    """A SQL string literal. Databricks SQL strings take backslash escapes, so escape both ' and \\."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
