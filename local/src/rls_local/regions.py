"""The regions of a scenario and the metastore the tool is deployed to in each (the local stand-in for the bundle's
per-region targets).

Databricks allows one Unity Catalog metastore per region and account; a v1 file's implicit metastores (one per
federated workspace, all in the cloud's default region) therefore count as one region here, deployed to the first
of them. The first region is the **home** region: the collector runs there once for the account, and every other
region reads its access map through Delta Sharing (README, "Several regions").
"""

from __future__ import annotations

from dataclasses import dataclass

from rls.errors import InputError
from rls_local.scenario_entities import DEFAULT_REGION
from rls_local.scenario_model import Scenario
from rls_local.warehouse.sharing import sharing_identifier

LOCAL_METASTORE = "local"  # a scenario without any metastore: one region, one stand-in metastore
SOURCE_CATALOG = "rls_home"  # what the other regions name the catalog they mount from the home region's share


@dataclass(frozen=True)
class Deployment:
    metastore_id: str
    region: str
    workspace_ids: frozenset[int]
    home: bool
    sharing_identifier: str

    @property
    def scope(self) -> str | None:
        """The local warehouse's metastore scope (None: the home metastore, whose catalogs have plain names)."""
        return None if self.home else self.metastore_id


def deployments(s: Scenario) -> list[Deployment]:
    """One per region, in the order of the file's metastores; the first is home."""
    first: dict[str, str] = {}
    for m in s.metastores:
        first.setdefault(m.region, m.metastore_id)
    if not first:
        first[DEFAULT_REGION[s.cloud]] = LOCAL_METASTORE
    members: dict[str, set[int]] = {r: set() for r in first}
    home_region = next(iter(first))
    for w in s.workspaces:
        region = s.region_of(w.workspace_id)
        members[region if region in members else home_region].add(w.workspace_id)
    return [
        Deployment(mid, region, frozenset(members[region]), i == 0, sharing_identifier(s.cloud, region, mid))
        for i, (region, mid) in enumerate(first.items())
    ]


def deployment_for(s: Scenario, metastore_id: str | None) -> Deployment:
    """The deployment that serves ``metastore_id`` (any metastore of its region); None: home."""
    found = deployments(s)
    if metastore_id is None:
        return found[0]
    for m in s.metastores:
        if m.metastore_id == metastore_id:
            return next(d for d in found if d.region == m.region)
    if any(d.metastore_id == metastore_id for d in found):
        return next(d for d in found if d.metastore_id == metastore_id)
    known = ", ".join(m.metastore_id for m in s.metastores) or LOCAL_METASTORE
    raise InputError(f"metastore {metastore_id!r}: not in the scenario (known: {known})")
