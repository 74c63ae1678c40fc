"""The job's flow against a real Databricks account and workspace (see README.md here for how to run it).

Same steps as the local end-to-end tests, with the real seams: the account API through the SDK's unified auth, SQL
through databricks-connect. A dry run first (it must write nothing), then a real collect + publish into a scratch
schema, one view read as the running identity and checked against `rls explain`, `rls verify`, and the scratch
schema dropped. The collect elevates the service principal where it needs to, exactly as the job does, and restores
it; the ledger lives in a persistent file so a killed run is repaired by the next one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rls import exitcodes, tables
from rls.collect.clients import Clients
from rls.collect.elevation import Ledger
from rls.config import RlsConfig, load_config
from rls.explain import explain
from rls.jobs import execute
from rls.runoptions import RunOptions
from rls.sql import SqlBackend, quote_identifier, quote_name
from rls.sql.backend import databricks_backend
from rls.verify import verify

REQUIRED = ("DATABRICKS_HOST", "DATABRICKS_ACCOUNT_ID", "DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET")
_missing = [v for v in REQUIRED if not os.environ.get(v)]
if _missing:
    pytest.skip(
        f"real-account test: set {', '.join(_missing)} (see tests/integration/README.md)", allow_module_level=True
    )
pytest.importorskip(
    "databricks.connect", reason="needs databricks-connect: see tests/integration/README.md (Python 3.12, extra)"
)

pytestmark = pytest.mark.integration

VIEW_SOURCE = "access.audit"  # the view read as the running identity
# Checks whose outcome depends only on what this test did; system_privileges depends on the account's grants.
MUST_PASS = (
    "collector_tables",
    "collection_fresh",
    "elevation_ledger",
    "access_rows_valid",
    "admin_user_disjoint",
    "views_exist",
    "views_fingerprint",
    "views_definition",
    "views_owner",
    "no_unfilterable_views",
)


def _cloud(host: str) -> str:
    if "azuredatabricks.net" in host:
        return "azure"
    return "gcp" if "gcp.databricks.com" in host else "aws"


def _ledger_path() -> Path:
    # Persistent across runs on purpose: an elevation left open by a killed run is repaired by the next run.
    return Path(os.environ.get("RLS_IT_LEDGER") or Path.home() / ".rls-it" / "elevation-ledger")


@pytest.fixture(scope="module")
def cfg() -> RlsConfig:
    overrides: dict[str, Any] = {
        "catalog": os.environ.get("RLS_IT_CATALOG", "main"),
        "schema": os.environ.get("RLS_IT_SCHEMA") or f"rls_it_{uuid.uuid4().hex[:8]}",
        "collect.account_id": os.environ["DATABRICKS_ACCOUNT_ID"],
        "collect.account_host": os.environ.get("RLS_IT_ACCOUNT_HOST"),
        "collect.cloud": os.environ.get("RLS_IT_CLOUD") or _cloud(os.environ["DATABRICKS_HOST"]),
        "collect.collector_application_id": os.environ["DATABRICKS_CLIENT_ID"],
        "collect.elevation_ledger": str(_ledger_path()),
        "publish.include": os.environ.get("RLS_IT_INCLUDE", VIEW_SOURCE),  # comma-separated patterns
    }
    return load_config(os.environ.get("RLS_IT_CONFIG") or None, overrides)


@pytest.fixture(scope="module")
def backend(cfg: RlsConfig) -> SqlBackend:
    return databricks_backend(cfg.table_format)


@pytest.fixture(scope="module")
def scratch(backend: SqlBackend, cfg: RlsConfig) -> Iterator[RlsConfig]:
    """The scratch schema: must not exist before (never drop what this test did not create), dropped after."""
    rows = backend.fetch(f"SHOW SCHEMAS IN {quote_identifier(cfg.catalog)}")
    existing = {str(next(iter(r.values()))).lower() for r in rows}
    if cfg.schema.lower() in existing:
        pytest.fail(f"{cfg.catalog}.{cfg.schema} already exists: set RLS_IT_SCHEMA to a new name, or unset it")
    try:
        yield cfg
    finally:
        backend.execute(f"DROP SCHEMA IF EXISTS {quote_name(cfg.catalog, cfg.schema)} CASCADE")


def test_dry_run_then_collect_publish_read_as_the_running_identity_and_verify(
    backend: SqlBackend, scratch: RlsConfig
) -> None:
    cfg = scratch
    ledger = Ledger(_ledger_path())

    def clients() -> Clients:
        return Clients(cfg.collect)  # unified auth: DATABRICKS_CLIENT_ID / DATABRICKS_CLIENT_SECRET

    # 1. Dry run: reads the account, says what it would elevate, writes nothing.
    dry = execute("collect", cfg, backend, clients=clients, ledger=ledger, options=RunOptions(dry_run=True))["collect"]
    assert dry.outcome == "dry-run", dry.as_dict()
    assert not backend.table_exists(quote_name(*cfg.table(tables.ADMINS)))

    # 2. The job: collect, then publish.
    reports = execute("run", cfg, backend, clients=clients, ledger=ledger)
    collect, published = reports["collect"], reports.get("publish")
    assert collect.exit_code in (exitcodes.OK, exitcodes.PARTIAL), collect.as_dict()
    assert published is not None and published.exit_code == exitcodes.OK, published and published.as_dict()
    assert published.result(VIEW_SOURCE).status in ("created", "altered", "unchanged")
    assert not ledger.open_entries()

    # 3. One view, read as the identity running this test: only workspaces `rls explain` says it administers.
    me = backend.fetch("SELECT current_user() AS me")[0]["me"]
    allowed = {str(w) for w in explain(backend, cfg, me).visible}
    view = quote_name(cfg.catalog, cfg.schema, "vw_system_" + VIEW_SOURCE.replace(".", "_"))
    seen = {r["w"] for r in backend.fetch(f"SELECT DISTINCT workspace_id AS w FROM {view}")}
    assert seen <= allowed, f"{me} sees workspaces {sorted(seen - allowed, key=str)} it does not administer"
    if cfg.publish.unassigned_rows_group is None:
        assert not seen & {"0", None}

    # 4. verify: everything this test created is as the tool promises (owner and privileges are real here).
    readers = [r for r in os.environ.get("RLS_IT_ALLOWED_SYSTEM_READERS", "").split(",") if r.strip()]
    report = verify(backend, cfg, ledger_path=_ledger_path(), allowed_system_readers=readers)
    print("\n".join(report.lines()))
    statuses = {c.name: c.status for c in report.checks}
    assert {n: statuses[n] for n in MUST_PASS} == dict.fromkeys(MUST_PASS, "pass"), report.as_dict()
    assert statuses["system_privileges"] != "skipped", report.check("system_privileges").detail
