"""Databricks statements the local warehouse emulates on Spark, which lacks them or treats them differently:
``USE CATALOG`` (three-level names over Spark's two), ``COMMENT ON TABLE`` on a view, ``CREATE OR REPLACE TABLE`` on
parquet, catalogs registered by ``CREATE CATALOG`` / ``CREATE SCHEMA c.s``, ``SHOW SCHEMAS IN c``, and the ``LIKE``
pattern of ``SHOW TABLES`` / ``SHOW VIEWS`` / ``SHOW TABLE EXTENDED`` matched against the real names.
"""

from __future__ import annotations

import re
from typing import Any

from rls.sql.sqltext import STRING, chains, significant, tokenize
from rls_local.warehouse.names import SESSION_CATALOG, NameRegistry, normalize
from rls_local.warehouse.protocols import Backend

_COMMENT_ON = re.compile(r"^\s*COMMENT\s+ON\s+(TABLE|VIEW)\s+(?P<name>.+?)\s+IS\s+(?P<value>.+?)\s*;?\s*$", re.I | re.S)


def use(backend: Backend, sql: str) -> None:
    """``USE CATALOG c`` / ``USE [SCHEMA] [c.]s``: the three-level namespace over Spark's two levels."""
    names = [c.names for c in chains(significant(tokenize(sql)))]
    # chains: ["USE"], [optional CATALOG|SCHEMA|DATABASE|NAMESPACE], [the name]
    kind = names[1][0].upper() if len(names) > 2 and len(names[1]) == 1 else ""
    target = names[-1] if len(names) >= 2 else []
    if kind == "CATALOG" and len(target) == 1:
        backend.use_catalog(target[0])
        return
    if len(target) == 2 and backend.names.is_catalog(target[0]):
        backend.use(target[0], target[1])
        return
    current = backend.current_catalog
    if len(target) == 1 and current is not None:
        backend.use(current, target[0])
        return
    backend.spark.sql(backend.prepare(sql)).collect()


def comment_on(spark: Any, sql: str) -> bool:
    """``COMMENT ON TABLE <view>`` works on Databricks; Spark refuses it for views, so set the property."""
    m = _COMMENT_ON.match(sql)  # names already mapped
    if m is None:
        return False
    name, value = m.group("name"), m.group("value")
    if m.group(1).upper() == "TABLE":
        try:
            spark.sql(f"COMMENT ON TABLE {name} IS {value}").collect()
            return True
        except Exception as e:
            if "EXPECT_TABLE_NOT_VIEW" not in str(e):
                raise
    if value.upper() == "NULL":
        spark.sql(f"ALTER VIEW {name} UNSET TBLPROPERTIES IF EXISTS ('comment')").collect()
    else:
        spark.sql(f"ALTER VIEW {name} SET TBLPROPERTIES ('comment' = {value})").collect()
    return True


def replace_table(spark: Any, sql: str) -> str:
    """``CREATE OR REPLACE TABLE`` is Delta's; for parquet tables Spark refuses it: drop, then create.

    Not atomic (a reader in between sees no table); the tool itself writes tables through ``save_table``, which is.
    """
    sig = significant(tokenize(sql))
    if [t.word for t in sig[:4]] != ["CREATE", "OR", "REPLACE", "TABLE"]:
        return sql
    name = next((c for c in chains(sig) if c.first > 3), None)
    if name is None:
        return sql
    text = sql[name.parts[0].start : name.parts[-1].end]
    spark.sql(f"DROP TABLE IF EXISTS {text}").collect()
    return sql[: sig[1].start] + sql[sig[3].start :]


def register_schema_catalog(names: NameRegistry, sql: str) -> None:
    # Lenient on purpose: Databricks needs the catalog to exist first; locally CREATE SCHEMA cat.s registers it.
    for ch in chains(significant(tokenize(sql))):
        if len(ch.names) == 2:
            if normalize(ch.names[0]) != SESSION_CATALOG:
                names.add_catalog(ch.names[0])
            return


def register_created_catalog(names: NameRegistry, sql: str) -> None:
    w = [t.word for t in significant(tokenize(sql))[:2]]
    if w == ["CREATE", "CATALOG"]:
        found = [c for c in chains(significant(tokenize(sql)))[2:] if c.names[0].upper() not in ("IF", "NOT", "EXISTS")]
        if found and normalize(found[0].names[0]) != SESSION_CATALOG:
            names.add_catalog(found[0].names[0])


def show_schemas(backend: Backend, sql: str) -> list[dict[str, Any]]:
    found = [c.names for c in chains(significant(tokenize(sql)))]
    catalog = None
    for i, names in enumerate(found[:-1]):
        if names[0].upper() in ("IN", "FROM") and len(found[i + 1]) == 1:
            catalog = found[i + 1][0]
    catalog = normalize(catalog) if catalog else backend.current_catalog
    schemas = []
    for r in backend.spark.sql("SHOW DATABASES").collect():
        decoded = backend.names.decode_db(r[0])
        if decoded and decoded[0] == catalog:
            schemas.append(decoded[1])
    return [{"databaseName": s} for s in sorted(schemas)]


def listing_pattern(sql: str) -> tuple[str, str | None]:
    """``SHOW TABLES|VIEWS|TABLE EXTENDED … [LIKE] 'pattern'`` as a statement that lists every object, and the pattern.

    Spark matches the pattern against the names it stores, which for a name that is not plain is the encoded stand-in
    (``_<hash>_vw_system_…``), so ``LIKE 'vw_system_*'`` would miss a view Databricks lists. The caller lists all
    objects, decodes the names and keeps those :func:`listing_matches` the pattern, as Databricks does on real names.
    """
    sig = significant(tokenize(sql))
    lit = next((t for t in sig if t.kind == STRING), None)
    if lit is None:
        return sql, None
    raw = lit.text[0] in "rR"  # r'…': no escapes (Spark SQL raw string literal)
    text = lit.text[1:] if raw else lit.text
    body = text[1:-1] if len(text) >= 2 and text[-1] == text[0] else text[1:]
    pattern = body if raw else re.sub(r"\\(.)", r"\1", body)
    return sql[: lit.start] + "'*'" + sql[lit.end :], pattern


def listing_matches(pattern: str, name: str) -> bool:
    """Spark's and Databricks' SHOW pattern: ``|`` separates alternatives, ``*`` is any text, the rest a regular
    expression, matched whole and case-insensitively (Spark ``StringUtils.filterPattern``; Databricks SQL reference,
    SHOW TABLES: "Except for * and | character, the pattern works like a regular expression")."""
    for alt in pattern.strip().split("|"):
        try:
            if re.fullmatch(alt.replace("*", ".*"), name, re.IGNORECASE):
                return True
        except re.error:
            continue  # Spark skips an alternative that is not a valid regex as well
    return False
