"""The account-scenario file: one JSON document that describes a whole Databricks account.

Format: ``shared/spec/scenario.md``. The emulator serves it, the demo builds synthetic system tables for its
workspaces and the tests derive their oracle from it. Loading validates every key and raises
:class:`ScenarioError` with a message naming the key and the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PRINCIPAL_TYPES = ("user", "group", "service_principal")
PERMISSIONS = ("USER", "ADMIN")
CLOUDS = ("aws", "azure", "gcp")


class ScenarioError(ValueError):
    """A scenario file that does not follow the format; the message names the key."""


@dataclass(frozen=True)
class PrincipalRef:
    type: str  # user | group | service_principal
    id: str

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id}


@dataclass(frozen=True)
class Workspace:
    workspace_id: int
    workspace_name: str
    deployment_name: str
    workspace_status: str = "RUNNING"
    identity_federated: bool = True


@dataclass(frozen=True)
class User:
    id: str
    user_name: str
    active: bool = True


@dataclass(frozen=True)
class ServicePrincipal:
    id: str
    application_id: str
    display_name: str
    active: bool = True


@dataclass(frozen=True)
class Group:
    id: str
    display_name: str
    members: tuple[PrincipalRef, ...] = ()


@dataclass(frozen=True)
class Assignment:
    workspace_id: int
    principal: PrincipalRef
    permissions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "workspace_id": self.workspace_id,
            "principal": self.principal.to_json(),
            "permissions": list(self.permissions),
        }


@dataclass(frozen=True)
class Catalog:
    name: str
    owner: str


@dataclass(frozen=True)
class Fault:
    status: int
    path_contains: str | None = None
    workspace_id: int | None = None
    method: str | None = None
    times: int | None = None  # None: every matching request
    retry_after_s: float | None = None
    body: str | None = None  # raw body to answer instead of a JSON error (malformed answers)


@dataclass
class Scenario:
    account_id: str
    cloud: str
    workspaces: list[Workspace]
    users: list[User]
    service_principals: list[ServicePrincipal]
    groups: list[Group]
    assignments: list[Assignment]
    workspace_local_admins: dict[int, list[PrincipalRef]]
    catalogs: dict[int, list[Catalog]]
    collector: PrincipalRef
    faults: list[Fault] = field(default_factory=list)

    # ---- lookups -------------------------------------------------------------------------------------------------
    def user(self, uid: str) -> User:
        return {u.id: u for u in self.users}[uid]

    def service_principal(self, sid: str) -> ServicePrincipal:
        return {s.id: s for s in self.service_principals}[sid]

    def group(self, gid: str) -> Group:
        return {g.id: g for g in self.groups}[gid]

    def workspace(self, wid: int) -> Workspace:
        return {w.workspace_id: w for w in self.workspaces}[wid]

    def identity_of(self, ref: PrincipalRef) -> str | None:
        """What ``current_user()`` returns for a principal on Databricks (None for groups)."""
        if ref.type == "user":
            return self.user(ref.id).user_name
        if ref.type == "service_principal":
            return self.service_principal(ref.id).application_id
        return None

    @property
    def collector_identity(self) -> str:
        ident = self.identity_of(self.collector)
        assert ident is not None  # validated: the collector is a user or a service principal
        return ident

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "cloud": self.cloud,
            "workspaces": [
                {
                    "workspace_id": w.workspace_id,
                    "workspace_name": w.workspace_name,
                    "deployment_name": w.deployment_name,
                    "workspace_status": w.workspace_status,
                    "identity_federated": w.identity_federated,
                }
                for w in self.workspaces
            ],
            "users": [{"id": u.id, "user_name": u.user_name, "active": u.active} for u in self.users],
            "service_principals": [
                {"id": s.id, "application_id": s.application_id, "display_name": s.display_name, "active": s.active}
                for s in self.service_principals
            ],
            "groups": [
                {"id": g.id, "display_name": g.display_name, "members": [m.to_json() for m in g.members]}
                for g in self.groups
            ],
            "assignments": [a.to_json() for a in self.assignments],
            "workspace_local_admins": {
                str(k): [m.to_json() for m in v] for k, v in self.workspace_local_admins.items()
            },
            "catalogs": {str(k): [{"name": c.name, "owner": c.owner} for c in v] for k, v in self.catalogs.items()},
            "collector": self.collector.to_json(),
            "faults": [{k: v for k, v in vars(f).items() if v is not None} for f in self.faults],
        }


# ---- loading and validation --------------------------------------------------------------------------------------


def load_scenario(path: str | Path) -> Scenario:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError(f"scenario file {p}: cannot read it ({e.strerror})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ScenarioError(f"scenario file {p}: not valid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    try:
        return parse_scenario(doc)
    except ScenarioError as e:
        raise ScenarioError(f"scenario file {p}: {e}") from None


def parse_scenario(doc: Any) -> Scenario:
    r = _Reader(doc, "")
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
        _ws_key(k, "workspace_local_admins"): [_ref(m) for m in v.list_items()]
        for k, v in r.mapping("workspace_local_admins").items()
    }
    catalogs = {_ws_key(k, "catalogs"): [_catalog(c) for c in v.list_items()] for k, v in r.mapping("catalogs").items()}
    collector = _ref(r.child("collector"))
    faults = [_fault(f) for f in r.list("faults", default=[])]

    s = Scenario(
        account_id, cloud, workspaces, users, sps, groups, assignments, local_admins, catalogs, collector, faults
    )
    _check_references(s)
    return s


def _check_references(s: Scenario) -> None:
    _unique("workspaces", [w.workspace_id for w in s.workspaces], "workspace_id")
    _unique("users", [u.id for u in s.users], "id")
    _unique("service_principals", [p.id for p in s.service_principals], "id")
    _unique("groups", [g.id for g in s.groups], "id")
    _unique("users", [u.user_name.lower() for u in s.users], "user_name (case-insensitive)")
    _unique("service_principals", [p.application_id.lower() for p in s.service_principals], "application_id")
    _unique("groups", [g.display_name for g in s.groups], "display_name")
    known = {
        "user": {u.id for u in s.users},
        "group": {g.id for g in s.groups},
        "service_principal": {p.id for p in s.service_principals},
    }
    ws_ids = {w.workspace_id for w in s.workspaces}

    def check(ref: PrincipalRef, where: str) -> None:
        if ref.id not in known[ref.type]:
            raise ScenarioError(f"key '{where}': unknown {ref.type} id {ref.id!r}")

    for gi, g in enumerate(s.groups):
        for mi, m in enumerate(g.members):
            check(m, f"groups[{gi}].members[{mi}]")
    seen: set[tuple[int, PrincipalRef]] = set()
    for ai, a in enumerate(s.assignments):
        if a.workspace_id not in ws_ids:
            raise ScenarioError(f"key 'assignments[{ai}].workspace_id': unknown workspace {a.workspace_id}")
        check(a.principal, f"assignments[{ai}].principal")
        if (a.workspace_id, a.principal) in seen:
            raise ScenarioError(
                f"key 'assignments[{ai}]': principal {a.principal.type} {a.principal.id!r} is assigned twice "
                f"on workspace {a.workspace_id} (one entry per principal, list all its permissions there)"
            )
        seen.add((a.workspace_id, a.principal))
    for wid, members in s.workspace_local_admins.items():
        if wid not in ws_ids:
            raise ScenarioError(f"key 'workspace_local_admins.{wid}': unknown workspace {wid}")
        for mi, m in enumerate(members):
            check(m, f"workspace_local_admins.{wid}[{mi}]")
    for wid in s.catalogs:
        if wid not in ws_ids:
            raise ScenarioError(f"key 'catalogs.{wid}': unknown workspace {wid}")
    if s.collector.type == "group":
        raise ScenarioError("key 'collector': must be a user or a service_principal, not a group")
    check(s.collector, "collector")
    for fi, f in enumerate(s.faults):
        if f.workspace_id is not None and f.workspace_id not in ws_ids:
            raise ScenarioError(f"key 'faults[{fi}].workspace_id': unknown workspace {f.workspace_id}")


def _unique(key: str, values: list[Any], what: str) -> None:
    seen: set[Any] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise ScenarioError(f"key '{key}[{i}]': duplicate {what} {v!r}")
        seen.add(v)


def _ws_key(k: str, key: str) -> int:
    try:
        return int(k)
    except ValueError:
        raise ScenarioError(f"key '{key}.{k}': workspace ids must be integers") from None


def _workspace(r: _Reader) -> Workspace:
    r.require_type(dict)
    return Workspace(
        workspace_id=r.int("workspace_id"),
        workspace_name=r.str("workspace_name"),
        deployment_name=r.str("deployment_name", default=None) or r.str("workspace_name"),
        workspace_status=r.str("workspace_status", default="RUNNING"),
        identity_federated=r.bool("identity_federated", default=True),
    )


def _user(r: _Reader) -> User:
    r.require_type(dict)
    return User(id=r.str("id"), user_name=r.str("user_name"), active=r.bool("active", default=True))


def _service_principal(r: _Reader) -> ServicePrincipal:
    r.require_type(dict)
    app_id = r.str("application_id")
    return ServicePrincipal(
        id=r.str("id"),
        application_id=app_id,
        display_name=r.str("display_name", default=app_id),
        active=r.bool("active", default=True),
    )


def _group(r: _Reader) -> Group:
    r.require_type(dict)
    return Group(
        id=r.str("id"),
        display_name=r.str("display_name"),
        members=tuple(_ref(m) for m in r.list("members", default=[])),
    )


def _ref(r: _Reader) -> PrincipalRef:
    r.require_type(dict)
    t = r.str("type")
    if t not in PRINCIPAL_TYPES:
        raise ScenarioError(f"key '{r.path('type')}': must be one of {', '.join(PRINCIPAL_TYPES)}, got {t!r}")
    return PrincipalRef(t, r.str("id"))


def _assignment(r: _Reader) -> Assignment:
    r.require_type(dict)
    perms = tuple(p.value_str() for p in r.list("permissions"))
    for p in perms:
        if p not in PERMISSIONS:
            raise ScenarioError(f"key '{r.path('permissions')}': unknown permission {p!r} (USER or ADMIN)")
    if not perms:
        raise ScenarioError(f"key '{r.path('permissions')}': must not be empty")
    return Assignment(r.int("workspace_id"), _ref(r.child("principal")), perms)


def _catalog(r: _Reader) -> Catalog:
    r.require_type(dict)
    return Catalog(name=r.str("name"), owner=r.str("owner", default=""))


def _fault(r: _Reader) -> Fault:
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


_MISSING = object()


class _Reader:
    """Typed access to a JSON node that knows its own key path, so every error names the key."""

    def __init__(self, node: Any, where: str):
        self.node = node
        self.where = where

    def path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.where}[{key}]"
        return f"{self.where}.{key}" if self.where else key

    def require_type(self, t: type) -> None:
        if not isinstance(self.node, t):
            name = {dict: "an object", list: "a list"}.get(t, t.__name__)
            raise ScenarioError(f"key '{self.where or '<top level>'}': must be {name}, got {_kind(self.node)}")

    def _get(self, key: str, default: Any) -> Any:
        if key in self.node and self.node[key] is not None:
            return self.node[key]
        if default is _MISSING:
            raise ScenarioError(f"key '{self.path(key)}': missing")
        return default

    def child(self, key: str) -> _Reader:
        return _Reader(self._get(key, _MISSING), self.path(key))

    def str(self, key: str, default: Any = _MISSING) -> Any:
        v = self._get(key, default)
        if v is default:
            return v
        if not isinstance(v, str) or not v:
            raise ScenarioError(f"key '{self.path(key)}': must be a non-empty string, got {_kind(v)}")
        return v

    def int(self, key: str, default: Any = _MISSING) -> Any:
        v = self._get(key, default)
        if v is default:
            return v
        if isinstance(v, bool) or not isinstance(v, int):
            raise ScenarioError(f"key '{self.path(key)}': must be an integer, got {_kind(v)}")
        return v

    def number(self, key: str, default: Any = _MISSING) -> Any:
        v = self._get(key, default)
        if v is default:
            return v
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
            raise ScenarioError(f"key '{self.path(key)}': must be a non-negative number, got {_kind(v)}")
        return float(v)

    def bool(self, key: str, default: Any = _MISSING) -> Any:
        v = self._get(key, default)
        if not isinstance(v, bool):
            raise ScenarioError(f"key '{self.path(key)}': must be true or false, got {_kind(v)}")
        return v

    def list(self, key: str, default: Any = _MISSING) -> list[_Reader]:
        v = self._get(key, default)
        if not isinstance(v, list):
            raise ScenarioError(f"key '{self.path(key)}': must be a list, got {_kind(v)}")
        return [_Reader(x, f"{self.path(key)}[{i}]") for i, x in enumerate(v)]

    def list_items(self) -> list[_Reader]:
        self.require_type(list)
        return [_Reader(x, f"{self.where}[{i}]") for i, x in enumerate(self.node)]

    def mapping(self, key: str) -> dict[str, _Reader]:
        v = self._get(key, {})
        if not isinstance(v, dict):
            raise ScenarioError(f"key '{self.path(key)}': must be an object, got {_kind(v)}")
        return {k: _Reader(x, f"{self.path(key)}.{k}") for k, x in v.items()}

    def value_str(self) -> str:
        if not isinstance(self.node, str):
            raise ScenarioError(f"key '{self.where}': must be a string, got {_kind(self.node)}")
        return self.node


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(v), type(v).__name__)
