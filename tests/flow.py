"""Helpers for end-to-end tests: run the job's flow on the session warehouse and look at the result."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

from rls import tables
from rls.publish.discovery import matches
from rls.sql import quote_name
from rls_local.local import FlowResult, run_flow
from rls_local.scenario import Scenario, parse_scenario
from rls_local.warehouse import build_system_tables, install_platform
from rls_local.warehouse.platform import grant_job_system_access
from rls_local.warehouse.system_schemas import SCHEMAS

_schemas = itertools.count()
SCENARIOS = Path(__file__).parent / "data" / "scenarios"


def load(name: str, **changes: Any) -> Scenario:
    doc = json.loads((SCENARIOS / f"{name}.json").read_text())
    doc.update(changes)
    return parse_scenario(doc)


def with_changes(s: Scenario, **changes: Any) -> Scenario:
    doc = copy.deepcopy(s.to_json())
    doc.update(changes)
    return parse_scenario(doc)


def fresh_schema(prefix: str = "t") -> str:
    return f"{prefix}_{next(_schemas)}"


_system_catalogs: dict[tuple, str] = {}
_built: dict[str, set[str]] = {}  # system catalog -> the tables built in it
# Tests here need what the account-level parts of the flow do, not every view: one view keeps them quick.
# Rate limits far above the emulator's speed: pacing is tested on its own, it only slows the others down.
QUICK = {
    "publish.include": ["access.audit"],
    "collect.restore_backoff_s": 0.01,
    "collect.rate_limits": {f: 1000.0 for f in ("scim_get", "scim_list", "write", "workspace", "other")},
    # Readers hold SELECT on the views, as the README's deploy steps grant it (the local warehouse enforces it).
    "publish.grant_select_to": ["account users"],
}


def tables_published(overrides: dict[str, Any]) -> set[str]:
    """The system tables (``schema.table``) a flow with these overrides publishes views of (publish.include, matched
    by discovery's own matcher); a flow's system catalog needs no other."""
    include = overrides.get("publish.include", ["*"])
    include = [p.strip() for p in include.split(",")] if isinstance(include, str) else include
    return {t for t in SCHEMAS if matches(include, t)}


def prepare(warehouse: Any, scenario: Scenario, tables: set[str] | None = None) -> str:
    """Make ``is_account_group_member`` answer for ``scenario`` and return a system catalog with its workspaces:
    ``tables`` of them (``schema.table``; None: every system table).

    System tables go to a catalog of their own (one per distinct account, each table built once per session, when a
    test first needs it), so the ``system`` catalog other tests rely on is never touched; tests/conftest.py puts the
    platform back after the test.
    """
    install_platform(warehouse, scenario)
    # Identity columns compare case-insensitively, so accounts differing only in e-mail case share a catalog.
    key = (tuple(w.workspace_id for w in scenario.workspaces), tuple(u.user_name.lower() for u in scenario.users))
    catalog = _system_catalogs.setdefault(key, f"system_e2e_{len(_system_catalogs)}")
    built = _built.setdefault(catalog, set())
    missing = set(SCHEMAS) - built if tables is None else tables - built
    if missing:
        build_system_tables(warehouse, scenario, catalog=catalog, rows_per_workspace=4, only=missing)
        built |= missing
    # the job's identity holds what this scenario grants it (job_system_grants), whoever built the catalog first
    grant_job_system_access(warehouse, scenario, _system_catalogs[key])
    return _system_catalogs[key]


def flow(warehouse: Any, scenario: Scenario, workdir: Path, schema: str, **kw: Any) -> FlowResult:
    overrides = {"schema": schema, **QUICK, **kw.pop("overrides", {})}
    # A config file may name other tables: then every one is built.
    needed = None if kw.get("config_path") else tables_published(overrides)
    overrides["system_catalog"] = prepare(warehouse, scenario, needed)
    return run_flow(warehouse, scenario, workdir, overrides=overrides, **kw)


_collected: dict[str, tuple[Scenario, FlowResult]] = {}


def collected_once(warehouse: Any, tmp_path_factory: Any, scenario: Scenario) -> tuple[Scenario, FlowResult]:
    """``flow`` of ``scenario`` with the default settings, run once per session for each distinct account (tests that
    only read what that run left share it: its own workdir and schema, never written again), then
    ``is_account_group_member`` answering for that account (tests/conftest.py puts the example back after the test)."""
    key = json.dumps(scenario.to_json(), sort_keys=True)
    if key not in _collected:
        _collected[key] = scenario, flow(warehouse, scenario, tmp_path_factory.mktemp("collected"), fresh_schema())
    prepare(warehouse, _collected[key][0], tables_published(QUICK))
    return _collected[key]


def visible(warehouse: Any, cfg: Any, view: str, identity: str) -> set[str | None]:
    name = quote_name(cfg.catalog, cfg.schema, view)
    with warehouse.as_identity(identity):
        rows = warehouse.fetch(f"SELECT DISTINCT workspace_id AS w FROM {name}")
    return {r["w"] for r in rows}


def check_admin_views(warehouse: Any, s: Scenario, cfg: Any, collected: set[int] | None = None) -> None:
    """Identity by identity, the workspaces the audit view shows equal what the oracle says it must."""
    import oracle  # tests/oracle.py, importable as the tests' own helpers are

    case = oracle.original_case(s)
    for ident, wids in oracle.admin_workspaces(s, collected=collected).items():
        assert visible(warehouse, cfg, "vw_system_access_audit", case[ident]) == {str(w) for w in wids}, ident


def account_writes(result: FlowResult) -> list[tuple[str, str, list[str] | None]]:
    """(method, workspace id, permissions asked for) of every account assignment write, from the request log."""
    out = []
    for r in result.emulator_state["requests"]:
        if r["method"] in ("PUT", "DELETE") and "permissionassignments" in r["path"]:
            wid = r["path"].split("/workspaces/")[1].split("/")[0]
            out.append((r["method"], wid, json.loads(r["body"])["permissions"] if r["method"] == "PUT" else None))
    return out


def admins_by_user_name(warehouse: Any, cfg: Any) -> dict[str, set[int]]:
    """identity -> workspaces, from the collector's admins table alone (the current_user() path of the views)."""
    rows = warehouse.fetch(
        f"SELECT lower(user_name) AS u, workspace_id AS w FROM {quote_name(cfg.catalog, cfg.schema, tables.ADMINS)} "
        "WHERE user_name IS NOT NULL"
    )
    out: dict[str, set[int]] = {}
    for r in rows:
        out.setdefault(r["u"], set()).add(r["w"])
    return out


def assignments_key(assignments: list[dict[str, Any]]) -> list[tuple]:
    return sorted(
        (a["workspace_id"], a["principal"]["type"], a["principal"]["id"], tuple(sorted(a["permissions"])))
        for a in assignments
    )


def initial_assignments(s: Scenario) -> list[tuple]:
    return assignments_key([a.to_json() for a in s.assignments])


def elevation_windows(requests: list[dict[str, Any]]) -> dict[str, list[tuple[int, int]]]:
    """Per workspace id: (first PUT, the write that ended it) positions in the request log of each elevation window."""
    out: dict[str, list[tuple[int, int]]] = {}
    start: dict[str, int] = {}
    for i, r in enumerate(requests):
        if "permissionassignments/principals/" not in r["path"] or r["status"] >= 300:
            continue
        wid = r["path"].split("/workspaces/")[1].split("/")[0]
        if r["method"] == "PUT" and wid not in start:
            start[wid] = i
        elif wid in start:
            out.setdefault(wid, []).append((start.pop(wid), i))
    return out
