"""Opening a warehouse work directory: fresh for a scenario (the demo, tests) or as left by an earlier process."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from rls_local.scenario import Scenario
from rls_local.warehouse.backend import LocalWarehouseBackend
from rls_local.warehouse.names import MARKER, REGISTRY_FILE
from rls_local.warehouse.platform import install_platform
from rls_local.warehouse.session import WarehouseError, local_spark
from rls_local.warehouse.synthetic import build_system_tables

logger = logging.getLogger(__name__)


def open_warehouse(workdir: Path | str, *, create: bool = False) -> LocalWarehouseBackend:
    """The warehouse in ``workdir`` (``rls sql --workdir DIR`` in a later process).

    Without ``create`` the directory must hold a prepared warehouse: a typo in ``--workdir`` then fails with a clear
    message instead of silently starting an empty metastore.
    """
    wd = Path(workdir)
    if not create and not (wd / MARKER).exists():
        raise WarehouseError(
            f"no local warehouse in {wd}: run `rls demo --workdir {wd}` or `rls collect --workdir {wd} --scenario FILE`"
            " first"
        )
    spark = local_spark(wd)
    if not (wd / MARKER).exists():
        (wd / MARKER).write_text(json.dumps({"registry": REGISTRY_FILE}, indent=1), encoding="utf-8")
    return LocalWarehouseBackend(spark, wd)


def prepare_warehouse(
    workdir: Path | str, scenario: Scenario, *, seed: int = 0, rows_per_workspace: int = 12, regions: bool = True
) -> LocalWarehouseBackend:
    """A warehouse in ``workdir`` with the emulated platform and synthetic system tables for ``scenario``: one
    metastore per region, each with its own ``system`` catalog (regional tables: that region's rows).
    ``regions=False``: one metastore whose ``system`` holds every workspace's rows (tests of a one-region world)."""
    from rls_local.regions import deployments

    wd = Path(workdir)
    backend = open_warehouse(wd, create=True)
    regions = deployments(scenario) if regions else deployments(scenario)[:1]
    marker = {"registry": REGISTRY_FILE, "account_id": scenario.account_id, "seed": seed}
    marker["first_metastore"] = regions[0].metastore_id
    marker["metastores"] = [{"metastore_id": d.metastore_id, "region": d.region} for d in regions]
    (wd / MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
    install_platform(backend, scenario)
    # One metastore per region, each with its own `system` catalog: regional tables hold their region's rows only.
    for d in regions:
        build_system_tables(
            backend.in_metastore(d.scope),
            scenario,
            seed=seed,
            rows_per_workspace=rows_per_workspace,
            region_workspaces=set(d.workspace_ids) if len(regions) > 1 else None,
        )
    logger.info("warehouse prepared in %s (%d metastores)", wd, len(regions))
    return backend
