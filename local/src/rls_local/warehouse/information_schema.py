"""``system.information_schema``: rebuilt from the warehouse's own metadata.

The tool discovers system tables and their columns by reading ``system.information_schema.columns`` at run time
(schemas drift on Databricks). Here the table is a snapshot: after changing a system table, call
:func:`refresh_information_schema` and discovery sees the change.

``ordinal_position`` counts from 0 as in Databricks' documentation of ``information_schema.columns``
(*unverified* against a live workspace; nothing in the tool should depend on the base).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rls.sql.quoting import quote_name

if TYPE_CHECKING:
    from pyspark.sql.types import StructType

    from rls_local.warehouse.backend import LocalWarehouseBackend

logger = logging.getLogger(__name__)

INFO_SCHEMA = "information_schema"
COLUMNS_DDL = (
    "table_catalog STRING, table_schema STRING, table_name STRING, column_name STRING, ordinal_position INT, "
    "column_default STRING, is_nullable STRING, full_data_type STRING, data_type STRING, comment STRING"
)
TABLES_DDL = "table_catalog STRING, table_schema STRING, table_name STRING, table_type STRING, comment STRING"


def refresh_information_schema(
    backend: LocalWarehouseBackend, catalog: str = "system", known: Mapping[tuple[str, str], StructType] | None = None
) -> int:
    """Rebuild ``<catalog>.information_schema.columns`` and ``.tables``; return the number of columns described.

    ``known``: (schema, table) -> the schema a caller has just written that table with, so it need not be read back
    (a metastore round trip per table); every other table is read from the metastore."""
    spark = backend.spark
    names = backend.names
    known = known or {}
    backend.create_catalog(catalog)
    backend.run(f"CREATE SCHEMA IF NOT EXISTS {quote_name(catalog, INFO_SCHEMA)}")
    columns: list[tuple[Any, ...]] = []
    tables: list[tuple[Any, ...]] = []
    for db in sorted(r[0] for r in spark.sql("SHOW DATABASES").collect()):
        decoded = names.decode_db(db)
        if decoded is None or decoded[0] != catalog.lower() or decoded[1] == INFO_SCHEMA:
            continue
        schema = decoded[1]
        # SHOW TABLES / VIEWS: one metastore call each (Catalog.listTables fetches every table's details one by one)
        where = f"`spark_catalog`.`{db}`"
        listed = [r.tableName for r in spark.sql(f"SHOW TABLES IN {where}").collect() if not r.isTemporary]
        views = {r.viewName for r in spark.sql(f"SHOW VIEWS IN {where}").collect() if not r.isTemporary}
        for name in sorted(listed):
            table = names.decode_part(name)
            full = f"`spark_catalog`.`{db}`.`{name}`"
            kind = "VIEW" if name in views else "MANAGED"
            tables.append((catalog, schema, table, kind, None))
            struct = known.get((schema, table)) if kind == "MANAGED" else None
            for pos, f in enumerate((struct or spark.table(full).schema).fields):
                full_type = f.dataType.simpleString()
                base = full_type.split("<", 1)[0].split("(", 1)[0].upper()
                comment = f.metadata.get("comment") if f.metadata else None
                columns.append(
                    (catalog, schema, table, f.name, pos, None, "YES" if f.nullable else "NO", full_type, base, comment)
                )
    for name, rows, ddl in (("columns", columns, COLUMNS_DDL), ("tables", tables, TABLES_DDL)):
        ref = names.table(catalog, INFO_SCHEMA, name)
        df = spark.createDataFrame(rows, ddl)
        df.coalesce(1).write.format("parquet").mode("overwrite").saveAsTable(ref.spark_name)
    logger.info("information_schema of %r: %d tables, %d columns", catalog, len(tables), len(columns))
    return len(columns)
