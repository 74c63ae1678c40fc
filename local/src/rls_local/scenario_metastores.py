"""Version 2 scenario keys: ``metastores`` (with their catalogs) and the v1 per-workspace ``catalogs`` mapping.

See :mod:`rls_local.scenario` for the format and the v1 -> v2 mapping; this module parses and validates that part.
"""

from __future__ import annotations

from collections.abc import Callable

from rls_local.scenario_entities import DEFAULT_REGION, ISOLATION_MODES, Catalog, Metastore, PrincipalRef, Workspace
from rls_local.scenario_reader import Reader, ScenarioError

RefParser = Callable[[Reader], PrincipalRef]


def parse_metastores(r: Reader, workspaces: list[Workspace], cloud: str, ref: RefParser) -> list[Metastore]:
    """The ``metastores`` key, or the implicit metastores of a v1 file's per-workspace ``catalogs`` key."""
    legacy = r.mapping("catalogs")
    if r.has("metastores"):
        if legacy:
            raise ScenarioError(
                "key 'catalogs': per-workspace catalogs (format v1) cannot be combined with 'metastores' (v2); "
                "move them into their metastore's 'catalogs'"
            )
        metastores = [_metastore(m, ref) for m in r.list("metastores")]
        _check(metastores, {w.workspace_id for w in workspaces})
        return metastores
    return _implicit_metastores(legacy, workspaces, cloud)


def _metastore(r: Reader, ref: RefParser) -> Metastore:
    r.require_type(dict)
    workspace_ids = tuple(w.value_int() for w in r.list("workspaces", default=[]))
    return Metastore(
        metastore_id=r.str("metastore_id"),
        region=r.str("region"),
        workspace_ids=workspace_ids,
        catalogs=tuple(_catalog(c, ref) for c in r.list("catalogs", default=[])),
        admin=ref(r.child("admin")) if r.has("admin") else None,
    )


def _catalog(r: Reader, ref: RefParser) -> Catalog:
    r.require_type(dict)
    mode = r.str("isolation_mode", default="OPEN")
    if mode not in ISOLATION_MODES:
        raise r.error("isolation_mode", f"must be one of {', '.join(ISOLATION_MODES)}, got {mode!r}")
    return Catalog(
        name=r.str("name"),
        owner=r.str("owner", default=""),
        isolation_mode=mode,
        bindings=tuple(b.value_int() for b in r.list("bindings", default=[])),
        use_catalog=tuple(ref(u) for u in r.list("use_catalog", default=[])),
        browse=tuple(ref(u) for u in r.list("browse", default=[])),
    )


def _check(metastores: list[Metastore], known_workspaces: set[int]) -> None:
    owner_of: dict[int, str] = {}
    ids: set[str] = set()
    for mi, m in enumerate(metastores):
        where = f"metastores[{mi}]"
        if m.metastore_id in ids:
            raise ScenarioError(f"key '{where}.metastore_id': duplicate metastore id {m.metastore_id!r}")
        ids.add(m.metastore_id)
        for wi, wid in enumerate(m.workspace_ids):
            if wid not in known_workspaces:
                raise ScenarioError(f"key '{where}.workspaces[{wi}]': unknown workspace {wid}")
            if wid in owner_of:
                # One workspace, one metastore: the account API assigns exactly one metastore per workspace.
                raise ScenarioError(
                    f"key '{where}.workspaces[{wi}]': workspace {wid} is already in metastore {owner_of[wid]!r}"
                )
            owner_of[wid] = m.metastore_id
        names: set[str] = set()
        for ci, c in enumerate(m.catalogs):
            # Unity Catalog names are case-insensitive (stored lower-case): 'Main' and 'main' are one catalog.
            if c.name.lower() in names:
                raise ScenarioError(
                    f"key '{where}.catalogs[{ci}].name': duplicate catalog {c.name!r} in metastore {m.metastore_id!r}"
                )
            names.add(c.name.lower())
            for bi, wid in enumerate(c.bindings):
                if wid not in known_workspaces:
                    raise ScenarioError(f"key '{where}.catalogs[{ci}].bindings[{bi}]': unknown workspace {wid}")
                if wid not in m.workspace_ids:
                    raise ScenarioError(
                        f"key '{where}.catalogs[{ci}].bindings[{bi}]': workspace {wid} is not in metastore "
                        f"{m.metastore_id!r} (a catalog can be bound only to workspaces of its own metastore)"
                    )


def _implicit_metastores(legacy: dict[str, Reader], workspaces: list[Workspace], cloud: str) -> list[Metastore]:
    """v1: every identity-federated workspace has its own metastore ``ms-<id>`` holding its catalogs as OPEN ones."""
    by_id = {w.workspace_id: w for w in workspaces}
    catalogs: dict[int, tuple[Catalog, ...]] = {}
    for key, items in legacy.items():
        try:
            wid = int(key)
        except ValueError:
            raise ScenarioError(f"key 'catalogs.{key}': workspace ids must be integers") from None
        if wid not in by_id:
            raise ScenarioError(f"key 'catalogs.{key}': unknown workspace {wid}")
        if not by_id[wid].identity_federated:
            raise ScenarioError(
                f"key 'catalogs.{key}': workspace {wid} is not identity-federated, so a v1 file gives it no "
                "metastore to hold catalogs; describe its metastore under 'metastores' instead"
            )
        parsed = []
        for c in items.list_items():
            c.require_type(dict)
            parsed.append(Catalog(name=c.str("name"), owner=c.str("owner", default="")))
        catalogs[wid] = tuple(parsed)
    metastores = [
        Metastore(f"ms-{w.workspace_id}", DEFAULT_REGION[cloud], (w.workspace_id,), catalogs.get(w.workspace_id, ()))
        for w in workspaces
        if w.identity_federated
    ]
    for m in metastores:
        names = [c.name.lower() for c in m.catalogs]
        if len(names) != len(set(names)):
            raise ScenarioError(f"key 'catalogs.{m.workspace_ids[0]}': duplicate catalog names")
    return metastores


def check_metastore_refs(metastores: list[Metastore], check: Callable[[PrincipalRef, str], None]) -> None:
    """Every principal a metastore names (admin, use_catalog, browse) must exist."""
    for mi, m in enumerate(metastores):
        if m.admin is not None:
            check(m.admin, f"metastores[{mi}].admin")
        for ci, c in enumerate(m.catalogs):
            for ui, u in enumerate(c.use_catalog):
                check(u, f"metastores[{mi}].catalogs[{ci}].use_catalog[{ui}]")
            for bi, b in enumerate(c.browse):
                check(b, f"metastores[{mi}].catalogs[{ci}].browse[{bi}]")
