"""The Unity Catalog side of `rls doctor`, read as the job's identity: what the views will read (each wrapped system
schema), whether an ABAC policy would filter it, where they will be published, and the elevation ledger.

Reads only: ``SELECT … LIMIT 0`` probes, ``SHOW`` statements and the ledger's files; nothing is created.
"""

from __future__ import annotations

from typing import Any

from rls.config import RlsConfig
from rls.doctor.report import DoctorReport
from rls.publish.discovery import discover
from rls.publish.report import first_line
from rls.publish.state import read_existing
from rls.publish.system_access import MissingGrant, grant_statements, probe_schemas, undiscovered
from rls.sql import SqlBackend, quote_name
from rls.target import Target


def system_schema_access(backend: SqlBackend, cfg: RlsConfig, identity: str) -> dict[str, MissingGrant | str | None]:
    """Per system schema publish would wrap: what publish's own probe answers (:func:`probe_schemas`: a metastore
    admin holds no implicit SELECT, docs/platform-facts.md), including the schemas ``information_schema`` hides from
    an identity that may not read them."""
    found = discover(backend, cfg)
    sources = [t for t in found.tables if t.has_workspace_id] + undiscovered(found.tables, cfg)
    return probe_schemas(backend, cfg.system_catalog, identity, sources)


def check_unity(report: DoctorReport, backend: SqlBackend, cfg: RlsConfig, identity: str) -> None:
    cat = cfg.system_catalog
    try:
        access = system_schema_access(backend, cfg, identity)
    except Exception as e:
        access = {}
        fix = grant_statements(cat, "<schema>", identity, catalog_missing=True)
        report.add("system_schemas", "fail", f"cannot list {cat}'s tables: {first_line(e)}",
                   f"a metastore admin runs: {fix}")  # fmt: skip
    for schema, probe in access.items():
        if probe is None:
            report.add(f"system.{schema}", "ok", f"{identity} reads {cat}.{schema}")
        elif isinstance(probe, MissingGrant):
            report.add(f"system.{schema}", "fail", f"{identity} cannot read {cat}.{schema}: {probe.reason}",
                       f"a metastore admin runs: {probe.grant}")  # fmt: skip
        else:
            report.add(f"system.{schema}", "warn", f"cannot tell whether {identity} reads {cat}.{schema}: {probe}",
                       "check that the schema is enabled (`databricks system-schemas list`) and rerun")  # fmt: skip
    _abac(report, backend, cat)
    _target(report, backend, cfg, identity)


def _abac(report: DoctorReport, backend: SqlBackend, cat: str) -> None:
    """An ABAC row-filter policy on the system catalog is evaluated as the querying user even through a view (GA on
    tables): the job's views would then show less than they should (docs/platform-facts.md). ``EFFECTIVE`` lists the
    catalog's own policies and those it inherits (the metastore's); the statement needs READ METADATA or MANAGE on the
    catalog (SQL reference, SHOW POLICIES, Databricks Runtime 16.4+): without it the doctor says it cannot tell."""
    try:
        rows = backend.fetch(f"SHOW EFFECTIVE POLICIES ON CATALOG {quote_name(cat)}")
    except Exception as e:
        report.add("abac_policies", "warn", f"cannot tell whether a policy applies to catalog {cat}: {first_line(e)}",
                   f"check Catalog Explorer > {cat} > Policies and the metastore's policies (a row filter there "
                   f"filters the views too), or grant the job's identity READ METADATA on {cat} so that this check "
                   "can look")  # fmt: skip
        return
    if rows:
        names = ", ".join(str(r.get("Policy Name") or r) for r in rows)  # the statement's column (SQL reference)
        report.add("abac_policies", "fail", f"policies that apply to catalog {cat}: {names}",
                   "detach them or exempt the job's identity: they would filter what every view shows")  # fmt: skip
    else:
        report.add("abac_policies", "ok", f"no ABAC policy applies to catalog {cat} (its own or inherited)")


def _target(report: DoctorReport, backend: SqlBackend, cfg: RlsConfig, identity: str) -> None:
    where = Target.of(cfg).display
    try:
        existing = read_existing(backend, cfg.catalog, cfg.schema)
    except Exception as e:
        report.add("target_schema", "fail", f"cannot read {where}: {first_line(e)}",
                   f"create catalog {cfg.catalog} or set `catalog`; grant {identity} USE CATALOG on it")  # fmt: skip
        return
    if existing.schema_exists:
        views = sum(v.is_view for v in existing.views.values())
        report.add("target_schema", "ok", f"{where} exists ({views} views)")
    else:
        report.add("target_schema", "warn", f"{where} does not exist: the first publish creates it as {identity}",
                   f"grant {identity} USE CATALOG and CREATE SCHEMA on {cfg.catalog}, or create the schema and give"
                   " it to that identity")  # fmt: skip


def check_ledger(report: DoctorReport, ledger: Any, lease_ttl_s: float) -> None:
    """The elevation ledger: readable, not held by a run now, and no elevation left open by an interrupted run."""
    from rls.collect.lease import live_claim

    try:
        open_entries = ledger.open_entries()
        holder = live_claim(ledger, lease_ttl_s)
    except Exception as e:
        report.add("ledger", "warn", f"cannot read the elevation ledger at {ledger.location}: {first_line(e)}",
                   "run doctor where the volume is mounted (a job task) or create the volume rls_state")  # fmt: skip
        return
    if holder is not None:
        report.add("ledger_lease", "warn", f"the elevation ledger is held by {holder.describe()}",
                   "a collector is running now: the next run waits for it or refuses (exit 7); if that run was "
                   "killed, its lease ends at the time shown")  # fmt: skip
    if open_entries:
        ids = ", ".join(str(e.workspace_id) for e in open_entries)
        report.add("ledger", "warn", f"{len(open_entries)} elevation(s) left open (workspaces {ids})",
                   "the next run restores them first; or restore by hand as `rls verify` says")  # fmt: skip
    else:
        report.add("ledger", "ok", f"no elevation left open ({ledger.location})")
