"""What surrounds the views in `rls doctor`: the readers group, Delta Sharing recipients, the SQL warehouse and the
bundle's pinned CLI version. Reads only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from rls.config import RlsConfig
from rls.doctor.report import DoctorReport
from rls.errors import explain
from rls.publish.report import first_line
from rls.sql import SqlBackend, quote_identifier

ACCOUNT_USERS = "account users"  # Databricks' built-in group of every account principal
MIN_CLI = (0, 297, 0)  # dashboards in a bundle with run_as: databricks/cli #4961


def check_readers(report: DoctorReport, cfg: RlsConfig, groups: list[str] | None) -> None:
    """publish.grant_select_to names account groups that exist (``groups``: the account's, None: not readable)."""
    wanted = cfg.publish.grant_select_to
    if not wanted:
        report.add("readers", "warn", "publish.grant_select_to is empty: nobody but the owner reads the views",
                   'set publish.grant_select_to: ["account users"] (the views filter per reader)')  # fmt: skip
        return
    known = {g.lower() for g in groups or []} | {ACCOUNT_USERS}
    missing = [g for g in wanted if groups is not None and g.lower() not in known]
    if missing:
        report.add("readers", "fail", f"no such account group: {', '.join(missing)}",
                   "create the group in the account console, or fix publish.grant_select_to")  # fmt: skip
    else:
        report.add("readers", "ok", f"the views are granted to {', '.join(wanted)}")


def check_sharing(report: DoctorReport, backend: SqlBackend, cfg: RlsConfig, identity: str) -> None:
    """Home region with recipients: each exists or can be created, and the privileges the grants need."""
    s = cfg.sharing
    if cfg.reads_shared:
        report.add("sharing", "ok", f"another region: reads the home region's share through {s.source_catalog}")
        return
    if not s.recipients:
        report.add("sharing", "ok", "one region: nothing is shared (sharing.recipients is empty)")
        return
    needs = (
        f"{identity} needs CREATE SHARE and CREATE RECIPIENT on the metastore (or to own the share and the"
        " recipients); granting a share needs share owner or USE SHARE + SET SHARE PERMISSION, and recipient owner"
        " or USE RECIPIENT"
    )
    for name in sorted(s.recipients):
        try:
            backend.fetch(f"DESCRIBE RECIPIENT {quote_identifier(name)}")
            report.add(f"recipient {name}", "ok", f"exists; publish grants it SELECT on share {s.share}")
        except Exception as e:
            report.add(f"recipient {name}", "warn", f"not readable ({first_line(e)}): publish creates it", needs)


def check_warehouse(report: DoctorReport, warehouse: str | None, client: Any = None) -> None:
    """The SQL warehouse the dashboard runs on (bundle variable warehouse_id)."""
    if warehouse is None:
        report.add("sql_warehouse", "warn", "no warehouse given", "pass --warehouse-id (the bundle's warehouse_id)")
        return
    if client is None:  # the local stack: its embedded warehouse
        report.add("sql_warehouse", "ok", warehouse)
        return
    try:
        w = client.warehouses.get(warehouse)
    except Exception as e:
        report.add("sql_warehouse", "fail", f"warehouse {warehouse}: {explain(e)}",
                   "check the id (SQL Warehouses > Connection details) and that you have CAN USE on it")  # fmt: skip
        return
    state = w.state.value if w.state is not None else "UNKNOWN"
    report.add("sql_warehouse", "ok", f"{w.name} ({warehouse}): {state}; viewers of the dashboard need CAN USE")


def check_bundle(report: DoctorReport, bundle_file: Path | None) -> None:
    """databricks.yml pins `bundle.databricks_cli_version` to >= 0.297.0."""
    if bundle_file is None or not bundle_file.is_file():
        report.add("bundle_cli_version", "warn", "databricks.yml not found beside the config",
                   "run doctor from the bundle's directory (or as its job task)")  # fmt: skip
        return
    doc = yaml.safe_load(bundle_file.read_text(encoding="utf-8")) or {}
    pin = str((doc.get("bundle") or {}).get("databricks_cli_version") or "")
    m = re.fullmatch(r">=\s*(\d+)\.(\d+)\.(\d+)", pin.strip())
    if m and tuple(map(int, m.groups())) >= MIN_CLI:
        report.add("bundle_cli_version", "ok", f"databricks_cli_version {pin}")
    else:
        fix = 'set bundle.databricks_cli_version: ">= 0.297.0" (dashboards with run_as: databricks/cli #4961)'
        report.add("bundle_cli_version", "fail", f"databricks_cli_version is {pin or 'not set'}", fix)
