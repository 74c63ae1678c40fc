"""The account-scenario file: one JSON document that describes a whole Databricks account.

Format: ``docs/scenario.md`` (version 2: ``metastores``, ``assignment_propagation_s``; version 3:
``workspace_local_groups``, :mod:`.scenario_local_groups`). The emulator serves
it, the demo builds synthetic system tables for its workspaces and the tests derive their oracle from it. Loading
validates every key and raises :class:`ScenarioError` with a one-line message naming the key and the problem.
The model lives in :mod:`.scenario_model`, the v2 metastore keys in :mod:`.scenario_metastores`, the keys saying how
a workspace answers the collector (v3 ``non_member_answer``; this project's ``network_refusal``,
``list_members_for``) in :mod:`.scenario_access`; everything is importable from here.

Rules beyond the shape of each key (unique ids and names, known references, federation): :mod:`.scenario_rules`.

Files without ``metastores`` (format v1)
    The old per-workspace ``catalogs`` key (``{"1001": [{"name", "owner"}]}``) maps onto metastores like this:
    every identity-federated workspace gets its own implicit metastore, id ``ms-<workspace_id>``, region the
    cloud's default (aws ``us-west-2``, azure ``westeurope``, gcp ``us-central1``), no metastore admin, holding
    that workspace's catalogs as ``OPEN`` catalogs with the owners given. Non-federated workspaces get no
    metastore (so per-workspace ``catalogs`` on one is rejected). A file with both ``metastores`` and
    per-workspace ``catalogs`` is rejected. :meth:`Scenario.to_json` always writes the v2 form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rls.sql import system_tables
from rls_local import scenario_access
from rls_local.scenario_entities import (
    CLOUDS,
    DEFAULT_REGION,
    ISOLATION_MODES,
    PERMISSIONS,
    PRINCIPAL_TYPES,
    WORKSPACE_GROUP,
    Assignment,
    Catalog,
    Fault,
    Group,
    LocalGroup,
    Metastore,
    PrincipalRef,
    ServicePrincipal,
    User,
    Workspace,
)
from rls_local.scenario_local_groups import local_ref, misplaced, parse_local_groups
from rls_local.scenario_metastores import parse_metastores
from rls_local.scenario_model import Scenario
from rls_local.scenario_reader import Reader, ScenarioError, job_system_grants, loads
from rls_local.scenario_rules import check_references, unique

__all__ = [
    "CLOUDS",
    "DEFAULT_REGION",
    "ISOLATION_MODES",
    "PERMISSIONS",
    "PRINCIPAL_TYPES",
    "WORKSPACE_GROUP",
    "Assignment",
    "Catalog",
    "Fault",
    "Group",
    "LocalGroup",
    "Metastore",
    "PrincipalRef",
    "Scenario",
    "ScenarioError",
    "ServicePrincipal",
    "User",
    "Workspace",
    "load_scenario",
    "parse_scenario",
]

# ---- loading and validation --------------------------------------------------------------------------------------


def load_scenario(path: str | Path) -> Scenario:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError(f"scenario file {p}: cannot read it ({e.strerror})") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"scenario file {p}: not UTF-8 text") from None
    try:
        return parse_scenario(loads(text))
    except ScenarioError as e:
        raise ScenarioError(f"scenario file {p}: {e}") from None


def parse_scenario(doc: Any) -> Scenario:
    """Validate a JSON document (already parsed; strict parsing: :func:`rls_local.scenario_reader.loads`)."""
    try:
        return _parse(doc)
    except RecursionError:
        # Only reachable with a hand-built, absurdly deep Python structure; the file path fails earlier in loads().
        raise ScenarioError("key '<top level>': nested too deeply") from None


def _parse(doc: Any) -> Scenario:
    r = Reader(doc, "")
    r.require_type(dict)
    account_id = r.str("account_id")
    cloud = r.str("cloud", default="aws")
    if cloud not in CLOUDS:
        raise ScenarioError(f"key 'cloud': must be one of {', '.join(CLOUDS)}, got {cloud!r}")

    workspaces = [_workspace(w) for w in r.list("workspaces")]
    users = [_user(u) for u in r.list("users", default=[])]
    sps = [_service_principal(s) for s in r.list("service_principals", default=[])]
    groups = [_group(g) for g in r.list("groups", default=[])]
    assignments = [_assignment(a) for a in r.list("assignments", default=[])]
    local_admins = {
        _ws_key(k, "workspace_local_admins"): [local_ref(m) for m in v.list_items()]
        for k, v in r.mapping("workspace_local_admins").items()
    }
    collector = _ref(r.child("collector"))
    faults = [_fault(f) for f in r.list("faults", default=[])]
    unique("workspaces", [w.workspace_id for w in workspaces], "workspace_id")
    metastores = parse_metastores(r, workspaces, cloud, _ref)
    propagation = r.number("assignment_propagation_s", default=0.0)
    answer = scenario_access.non_member_answer(r)
    local_groups = parse_local_groups(r, _ws_key)
    # the system schemas the registry knows (the local warehouse builds its synthetic tables from the same list)
    grants = job_system_grants(r, {name.split(".")[0] for name in system_tables.FACTS})

    s = Scenario(
        account_id,
        cloud,
        workspaces,
        users,
        sps,
        groups,
        assignments,
        local_admins,
        collector,
        metastores=metastores,
        faults=faults,
        assignment_propagation_s=propagation,
        non_member_answer=answer,
        workspace_local_groups=local_groups,
        job_system_grants=grants,
    )
    check_references(s)
    return s


def _ws_key(k: str, key: str) -> int:
    try:
        return int(k)
    except ValueError:
        raise ScenarioError(f"key '{key}.{k}': workspace ids must be integers") from None


def _workspace(r: Reader) -> Workspace:
    r.require_type(dict)
    return Workspace(
        workspace_id=r.int("workspace_id"),
        workspace_name=r.str("workspace_name"),
        deployment_name=r.str("deployment_name", default=None) or r.str("workspace_name"),
        workspace_status=r.str("workspace_status", default="RUNNING"),
        identity_federated=r.bool("identity_federated", default=True),
        network_refusal=scenario_access.network_refusal(r),
        list_members_for=scenario_access.list_members_for(r),
    )


def _user(r: Reader) -> User:
    r.require_type(dict)
    return User(id=r.str("id"), user_name=r.str("user_name"), active=r.bool("active", default=True))


def _service_principal(r: Reader) -> ServicePrincipal:
    r.require_type(dict)
    app_id = r.str("application_id")
    return ServicePrincipal(
        id=r.str("id"),
        application_id=app_id,
        display_name=r.str("display_name", default=app_id),
        active=r.bool("active", default=True),
    )


def _group(r: Reader) -> Group:
    r.require_type(dict)
    return Group(
        id=r.str("id"),
        display_name=r.str("display_name"),
        members=tuple(_ref(m) for m in r.list("members", default=[])),
    )


def _ref(r: Reader) -> PrincipalRef:
    r.require_type(dict)
    t = r.str("type")
    if t == WORKSPACE_GROUP:
        raise misplaced(r)
    if t not in PRINCIPAL_TYPES:
        raise ScenarioError(f"key '{r.path('type')}': must be one of {', '.join(PRINCIPAL_TYPES)}, got {t!r}")
    return PrincipalRef(t, r.str("id"))


def _assignment(r: Reader) -> Assignment:
    r.require_type(dict)
    perms = tuple(p.value_str() for p in r.list("permissions"))
    for p in perms:
        if p not in PERMISSIONS:
            raise ScenarioError(f"key '{r.path('permissions')}': unknown permission {p!r} (USER or ADMIN)")
    if not perms:
        raise ScenarioError(f"key '{r.path('permissions')}': must not be empty")
    return Assignment(r.int("workspace_id"), _ref(r.child("principal")), perms)


def _fault(r: Reader) -> Fault:
    r.require_type(dict)
    status = r.int("status")
    if not 100 <= status <= 599:
        raise ScenarioError(f"key '{r.path('status')}': not an HTTP status: {status}")
    times = r.int("times", default=None)
    if times is not None and times < 0:
        raise ScenarioError(f"key '{r.path('times')}': must be >= 0")
    return Fault(
        status=status,
        path_contains=r.str("path_contains", default=None),
        workspace_id=r.int("workspace_id", default=None),
        method=r.str("method", default=None),
        times=times,
        retry_after_s=r.number("retry_after_s", default=None),
        body=r.str("body", default=None),
    )
