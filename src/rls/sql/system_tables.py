"""The one registry of system-table facts the tool relies on: which tables carry a ``workspace_id``, which hold
no workspace's data (reference tables), which are regional or global, which columns name who caused a row — and
whether a column holds a name (what ``current_user()`` returns) or a principal **id** — and each table's known quirks.

Discovery, the publisher, ``verify``, ``explain`` and the local warehouse's synthetic tables all read it; nothing
else in the code base lists system tables. Sources: ``docs/platform-facts.md`` ("System tables", "Regional
system tables", "lakeflow.jobs.run_as and creator_id are principal IDs") and the public schema dump the synthetic
tables are modeled on. A table missing here is still discovered from ``information_schema`` at run time; the registry
only adds what information_schema cannot say.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Literal

Scope = Literal["regional", "global", "mixed"]
Kind = Literal["name", "principal_id"]
NAME: Kind = "name"
PRINCIPAL_ID: Kind = "principal_id"


@dataclass(frozen=True)
class IdentityColumn:
    """A column (``a.b`` for a struct field) naming who caused a row: ``name`` holds what ``current_user()``
    returns (user name / application id); ``principal_id`` holds the account SCIM id of the principal."""

    path: str
    kind: Kind


@dataclass(frozen=True)
class TableFacts:
    key: str  # schema.table
    workspace_id: bool  # False: cannot be filtered per workspace
    scope: Scope  # regional tables hold only the rows of the reading workspace's region
    identity: tuple[IdentityColumn, ...] = ()
    self_default: tuple[str, ...] = ()  # identity columns the `self` level uses unless configured
    reference: bool = False  # holds no workspace's data (public price list, node types): may be published as is
    quirks: str = ""  # what the schema does not say and the tool relies on (or guards against)

    def identity_column(self, path: str) -> IdentityColumn | None:
        return next((c for c in self.identity if c.path.lower() == path.lower()), None)


def _ids(*pairs: tuple[str, Kind]) -> tuple[IdentityColumn, ...]:
    return tuple(IdentityColumn(p, k) for p, k in pairs)


_N, _I = NAME, PRINCIPAL_ID
# Scope: the facts sheet's list ("global or regional" column of the reference). Tables it does not name are marked
# regional (_GUESS): being wrong that way is safe — reports then warn that rows of other regions may be missing.
_GUESS: Scope = "regional"
_GUESSED = "region scope not documented: assumed regional"
_FACTS = (
    TableFacts("access.assistant_events", True, _GUESS, _ids(("initiated_by", _N)), quirks=_GUESSED),
    TableFacts(
        "access.audit",
        True,
        "mixed",  # regional for workspace-level events, global for account-level ones
        _ids(("user_identity.email", _N), ("identity_metadata.run_by", _N), ("identity_metadata.run_as", _N)),
        ("user_identity.email",),
        quirks="account-level events carry workspace_id '0': hidden unless publish.unassigned_rows_group",
    ),
    TableFacts("access.column_lineage", True, _GUESS, _ids(("created_by", _N)), quirks=_GUESSED),
    TableFacts("access.outbound_network", True, _GUESS, quirks=_GUESSED),
    TableFacts("access.table_lineage", True, "regional", _ids(("created_by", _N))),
    TableFacts("access.workspaces_latest", True, "global"),
    TableFacts(
        "billing.usage",
        True,
        "global",
        _ids(
            ("identity_metadata.run_as", _N),
            ("identity_metadata.created_by", _N),
            ("identity_metadata.run_by", _N),
            ("identity_metadata.owned_by", _N),
        ),
        ("identity_metadata.run_as", "identity_metadata.created_by"),
    ),
    TableFacts("compute.clusters", True, "regional", _ids(("owned_by", _N))),
    TableFacts("compute.node_timeline", True, "regional"),
    TableFacts("compute.warehouse_events", True, "regional"),
    TableFacts("compute.warehouses", True, _GUESS, _ids(("created_by", _N)), quirks=_GUESSED),
    TableFacts("lakeflow.job_run_timeline", True, "regional"),
    TableFacts("lakeflow.job_task_run_timeline", True, "regional"),
    TableFacts("lakeflow.job_tasks", True, "regional"),
    TableFacts(
        "lakeflow.jobs",
        True,
        "regional",
        _ids(("run_as", _I), ("creator_id", _I), ("run_as_user_name", _N), ("creator_user_name", _N)),
        ("run_as", "creator_id"),
        quirks="run_as / creator_id hold principal IDs, not user names: matched through the principals table",
    ),
    TableFacts(
        "query.history",
        True,
        "regional",
        _ids(("executed_by", _N), ("executed_as", _N), ("executed_by_user_id", _I), ("executed_as_user_id", _I)),
        ("executed_by",),
        quirks="executed_by is the user name; the *_user_id columns hold principal IDs",
    ),
    TableFacts("serving.served_entities", True, "regional", _ids(("created_by", _N))),
    TableFacts("storage.predictive_optimization_operations_history", True, "regional"),
    # ---- no workspace_id (facts sheet): never behind a per-workspace view ----
    TableFacts("billing.list_prices", False, "global", reference=True, quirks="public list prices, same for everyone"),
    TableFacts("compute.node_types", False, _GUESS, reference=True, quirks="the cloud's node types, no one's data"),
    TableFacts("billing.account_prices", False, _GUESS, quirks="the account's negotiated prices: not public"),
    TableFacts("access.clean_room_events", False, _GUESS, quirks=_GUESSED),
    TableFacts("access.table_auto_upgrade_operations_history", False, _GUESS, quirks=_GUESSED),
    TableFacts("data_classification.results", False, _GUESS, quirks=_GUESSED),
    TableFacts("data_quality_monitoring.table_results", False, _GUESS, quirks=_GUESSED),
    TableFacts("storage.table_metrics_history", False, _GUESS, quirks=_GUESSED),
)
FACTS: dict[str, TableFacts] = {f.key: f for f in _FACTS}
# Whole schemas without workspace_id (facts sheet: marketplace.*, sharing and replication tables).
NO_WORKSPACE_ID_PATTERNS = ("marketplace.*", "sharing.*", "replication.*")

WORKSPACE_TABLES: tuple[str, ...] = tuple(k for k, f in FACTS.items() if f.workspace_id)
NO_WORKSPACE_ID: tuple[str, ...] = tuple(k for k, f in FACTS.items() if not f.workspace_id)
REFERENCE_TABLES: tuple[str, ...] = tuple(k for k, f in FACTS.items() if f.reference)
REFERENCE_PREFIX = "ref_system_"
DEFAULT_IDENTITY_COLUMNS: dict[str, list[str]] = {k: list(f.self_default) for k, f in FACTS.items() if f.self_default}


def facts(key: str) -> TableFacts | None:
    return FACTS.get(key.lower())


def known_unfilterable(key: str) -> bool:
    """True when the facts say ``schema.table`` has no workspace_id (whatever discovery saw)."""
    low = key.lower()
    f = FACTS.get(low)
    if f is not None:
        return not f.workspace_id
    return any(fnmatch.fnmatchcase(low, p) for p in NO_WORKSPACE_ID_PATTERNS)


def scope(key: str) -> Scope:
    """Regional or global; a table the registry does not know is assumed regional (the safe guess)."""
    f = FACTS.get(key.lower())
    return f.scope if f else _GUESS


def scope_note(key: str) -> str:
    """One phrase for reports: where the rows a view shows come from."""
    return {
        "regional": "regional: rows of this metastore's region only",
        "global": "global: rows of every region",
        "mixed": "regional for workspace-level rows, global for account-level ones",
    }[scope(key)]


def reference_view_name(schema: str, table: str) -> str:
    return f"{REFERENCE_PREFIX}{schema}_{table}"
