"""What `rls explain` answers (:mod:`rls.explain` computes it from the collected tables): per workspace, whether the
identity sees its rows and each way it holds access, with the regions and tables it can read them in; as JSON and as
lines for a terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rls import exitcodes, tables
from rls.errors import RlsError
from rls.model.access import ADMIN_PERMISSION, USER_PERMISSION
from rls.sql import system_tables

ADMIN, USER_LEVEL = ADMIN_PERMISSION, USER_PERMISSION
BY_USER_NAME = "user_name"  # the current_user() path of the views
BY_GROUP = "account group"  # the is_account_group_member() path
UNKNOWN_REGION = "unknown region"  # a workspace collected before regions were recorded, or the API gave none


def regional_tables() -> list[str]:
    """System tables the registry calls regional (or regional for workspace-level rows, like access.audit)."""
    return sorted(k for k in system_tables.FACTS if system_tables.scope(k) in ("regional", "mixed"))


def global_tables() -> list[str]:
    """System tables the registry calls global: every region's metastore holds the rows of all workspaces."""
    return sorted(k for k in system_tables.FACTS if system_tables.scope(k) == "global")


class ExplainError(RlsError, RuntimeError):
    """The collected tables cannot be read (not collected yet, wrong catalog/schema)."""


@dataclass(frozen=True)
class Reason:
    """One way the identity holds access to a workspace."""

    level: str  # ADMIN | USER
    source: str  # direct | group | local-admins
    chain: tuple[str, ...]  # groups from the identity outwards: the group holding it first, the assigned one last
    matched_by: tuple[str, ...]  # BY_USER_NAME and/or BY_GROUP

    def text(self, identity: str, workspace: str) -> str:
        steps = [identity, *self.chain]
        if self.source == tables.LOCAL_ADMINS:
            # directly, through account groups, or through workspace-local groups (a snapshot of the last run)
            steps.append(f"local admins group of {workspace}")
        else:
            steps.append(f"{self.level} on {workspace}")
        how = {tables.DIRECT: "direct assignment", tables.VIA_GROUP: "group chain", tables.LOCAL_ADMINS: "local admins"}
        return " → ".join(steps) + f" [{how.get(self.source, self.source)}]"


@dataclass
class WorkspaceExplanation:
    workspace_id: int
    workspace_name: str | None
    reasons: list[Reason] = field(default_factory=list)
    region: str | None = None

    @property
    def visible(self) -> bool:
        return any(r.level == ADMIN for r in self.reasons)

    @property
    def label(self) -> str:
        about = ", ".join(x for x in (self.workspace_name, self.region) if x)
        return f"{self.workspace_id} ({about})" if about else str(self.workspace_id)

    @property
    def verdict(self) -> str:
        return "visible" if self.visible else "not visible: USER only, not ADMIN"


@dataclass
class Explanation:
    identity: str
    known_as: list[str]  # how the tables spell the identity (case may differ from what was asked)
    workspaces: list[WorkspaceExplanation]
    unassigned: int  # collected workspaces where the identity has no assignment at all
    collected: int  # workspaces in the collected snapshot
    inactive_in: list[str] = field(default_factory=list)  # groups that list the identity as inactive
    self_level_tables: list[str] = field(default_factory=list)  # views at the `self` access level
    # registry: regional tables hold only the rows of the reading metastore's region (facts sheet)
    regional_tables: list[str] = field(default_factory=lambda: regional_tables())
    global_tables: list[str] = field(default_factory=lambda: global_tables())
    collected_regions: list[str] = field(default_factory=list)  # regions of the collected workspaces
    unresolved: list[str] = field(default_factory=list)  # local groups in `admins` the last collection could not read

    def own_rows_in(self, w: WorkspaceExplanation) -> list[str]:
        """Views showing this identity its *own* rows of ``w`` although it does not administer ``w``."""
        return [] if w.visible or not w.reasons else list(self.self_level_tables)

    @property
    def visible(self) -> list[int]:
        return [w.workspace_id for w in self.workspaces if w.visible]

    def by_region(self) -> dict[str, dict[str, list[int]]]:
        """Per region of the account: the visible workspaces whose rows its regional views show, and those its global
        views show (all of them)."""
        out: dict[str, dict[str, list[int]]] = {}
        for region in sorted({*self.collected_regions, *(w.region or UNKNOWN_REGION for w in self.workspaces)}):
            here = [w.workspace_id for w in self.workspaces if w.visible and (w.region or UNKNOWN_REGION) == region]
            out[region] = {"regional_tables": here, "global_tables": self.visible}
        return out

    @property
    def exit_code(self) -> int:
        return exitcodes.OK  # an explanation is information, whatever it says

    def as_dict(self) -> dict[str, Any]:
        return {
            "identity": self.identity,
            "known_as": self.known_as,
            "visible_workspaces": self.visible,
            "workspaces": [
                {
                    "workspace_id": w.workspace_id,
                    "workspace_name": w.workspace_name,
                    "region": w.region,
                    "visible": w.visible,
                    "verdict": w.verdict,
                    "own_rows_in": self.own_rows_in(w),
                    "reasons": [
                        {
                            "level": r.level,
                            "source": r.source,
                            "chain": list(r.chain),
                            "matched_by": list(r.matched_by),
                            "text": r.text(self.identity, str(w.workspace_id)),
                        }
                        for r in w.reasons
                    ],
                }
                for w in self.workspaces
            ],
            "unassigned_workspaces": self.unassigned,
            "collected_workspaces": self.collected,
            "inactive_in": self.inactive_in,
            "self_level_tables": self.self_level_tables,
            "regional_tables": self.regional_tables,
            "global_tables": self.global_tables,
            "regions": self.by_region(),
            "unresolved_local_groups": self.unresolved,
            "exit_code": self.exit_code,
        }

    def lines(self) -> list[str]:
        spelled = f" (in the tables: {', '.join(self.known_as)})" if self.known_as else " (not found in the tables)"
        out = [f"{self.identity}{spelled}: sees {len(self.visible)} of {self.collected} collected workspaces"]
        for w in self.workspaces:
            out.append(f"  {w.label}: {w.verdict}")
            shown = [r for r in w.reasons if r.level == ADMIN] if w.visible else w.reasons
            out += [f"    {r.text(self.identity, str(w.workspace_id))}" for r in shown]
            if self.own_rows_in(w):
                out.append(f"    own rows visible in {', '.join(self.own_rows_in(w))} (access level self)")
        out.append(f"  {self.unassigned} other collected workspace(s): no assignment, not visible")
        if self.regional_tables:
            out.append(
                f"  regional tables ({', '.join(self.regional_tables)}): a workspace's rows there are only in the views"
                " published in the metastore of its region"
            )
        regions = self.by_region()
        if regions:
            out.append("  per region (the views published in that region's metastore):")
            for region, seen in regions.items():
                ids = seen["regional_tables"]
                listed = f": {', '.join(map(str, ids))}" if ids else ""
                out.append(
                    f"    {region}: regional tables show {len(ids)} workspace(s){listed};"
                    f" global tables show all {len(seen['global_tables'])}"
                )
        if self.global_tables:
            out.append(f"  global tables ({', '.join(self.global_tables)}): every visible workspace, in every region")
        if self.inactive_in:
            out.append(f"  inactive member of {', '.join(self.inactive_in)}: inactive identities have no access")
        if self.unresolved:
            out.append("  local groups the last collection could not resolve (whom they make admin is not counted):")
            out += [f"    {p}" for p in self.unresolved]
        return out
