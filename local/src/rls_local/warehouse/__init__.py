"""The embedded local warehouse: local Spark where the production SQL runs unchanged.

- :func:`local_spark` — the SparkSession (Hive metastore and table files inside a work directory);
- :class:`LocalWarehouseBackend` — the :class:`~rls.sql.backend.SparkBackend` that maps three-part names,
  switches ``current_user()`` per thread and records Unity-Catalog-only statements as not applicable;
- :func:`install_platform` — ``is_account_group_member`` emulated from a scenario;
- :func:`build_system_tables`, :func:`refresh_information_schema` — synthetic ``system.*`` tables;
- :func:`open_warehouse`, :func:`prepare_warehouse` — reopen a workdir, or prepare a fresh one for a scenario.
"""

from rls_local.warehouse.backend import LocalWarehouseBackend
from rls_local.warehouse.information_schema import refresh_information_schema
from rls_local.warehouse.platform import account_group_memberships, install_platform
from rls_local.warehouse.platform_db import PLATFORM_DB, Membership
from rls_local.warehouse.session import WarehouseError, check_java, local_spark
from rls_local.warehouse.synthetic import build_system_tables, identities, synthetic_rows, workspace_ids
from rls_local.warehouse.system_schemas import IDENTITY_COLUMNS, NO_WORKSPACE_ID, SCHEMAS, WORKSPACE_TABLES
from rls_local.warehouse.workdir import open_warehouse, prepare_warehouse

__all__ = [
    "IDENTITY_COLUMNS",
    "NO_WORKSPACE_ID",
    "PLATFORM_DB",
    "SCHEMAS",
    "WORKSPACE_TABLES",
    "LocalWarehouseBackend",
    "Membership",
    "WarehouseError",
    "account_group_memberships",
    "build_system_tables",
    "check_java",
    "identities",
    "install_platform",
    "local_spark",
    "open_warehouse",
    "prepare_warehouse",
    "refresh_information_schema",
    "synthetic_rows",
    "workspace_ids",
]
