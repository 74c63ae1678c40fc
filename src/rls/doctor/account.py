"""The account side of `rls doctor`: authentication, the account-admin role, each workspace as the collector sees
it (member / not a member / unreachable) and the metastores per region. Only GETs (OAuth token requests aside).

Membership without writing anything: on an identity-federated workspace the account's permission assignments say
whether the collector is assigned (directly or through an account group); a run elevates only where it is no
member, and then to USER (docs/platform-facts.md, "Workspace SCIM List of groups returns members and is open to
workspace members"). A workspace without identity federation has no assignment API: the collector must be onboarded
there, which a read of its `admins` group shows (the SDK's PermissionDenied / NotFound / token ValueError mean
"not a member", UCX `account/workspaces.py`).
"""

from __future__ import annotations

from typing import Any

from rls.collect.account_api import AccountApi
from rls.doctor.report import DoctorReport
from rls.errors import explain
from rls.model.directory import GROUP

ADMIN_ROLE_FIX = "grant the service principal the account admin role (account console > User management > Roles)"


def check_account(report: DoctorReport, api: AccountApi, collector_app_id: str | None) -> None:
    """Every account check; a failure of authentication stops the account checks (each would fail the same way)."""
    try:
        workspaces = api.workspaces()
    except Exception as e:
        report.add(
            "authentication",
            "fail",
            explain(e),
            "set DATABRICKS_HOST (account console), DATABRICKS_ACCOUNT_ID, DATABRICKS_CLIENT_ID/SECRET or a profile",
        )
        return
    report.add("authentication", "ok", f"the account answers: {len(workspaces)} workspaces")
    try:
        sps = api.service_principals()
    except Exception as e:
        report.add(
            "account_admin", "fail", f"cannot read the account's service principals: {explain(e)}", ADMIN_ROLE_FIX
        )
        return
    me = next((p for p in sps if collector_app_id and p.name.lower() == collector_app_id.lower()), None)
    if me is None:
        report.add(
            "account_admin",
            "fail",
            f"the collector {collector_app_id or '(no application id)'} is no service principal of this account",
            "set collect.collector_application_id (bundle variable collector_application_id) to its application id",
        )
        return
    report.add("account_admin", "ok", f"the collector {me.name} reads the account's identities (account admin)")
    for w in workspaces:
        status, detail, fix = _membership(api, w, me.id)
        report.add(f"workspace {w.workspace_id}", status, f"{w.workspace_name}: {detail}", fix)
    _metastores(report, api, workspaces)


def _membership(api: AccountApi, w: Any, collector_id: str) -> tuple[Any, str, str]:
    if w.status != "RUNNING":
        return "warn", f"status {w.status}: not collected while it is not running", "nothing to do; it is reported"
    try:
        grants = api.grants(w.workspace_id)
    except Exception as e:
        return "fail", f"unreachable: {explain(e)}", "check the workspace's status and network access (IP lists)"
    if grants is None:  # no identity federation: only onboarding makes the collector a member
        try:
            api.local_admins(w)
        except Exception as e:
            why = explain(e)
            return (
                "warn",
                f"not identity-federated and the collector is no member ({why}); a run cannot elevate here",
                "a workspace admin adds the service principal to the workspace and to its `admins` group",
            )
        return "ok", "member (not identity-federated; onboarded): a run elevates nothing here", ""
    groups = {g.principal.id for g in grants if g.principal.kind == GROUP}
    direct = [g for g in grants if g.principal.id == str(collector_id)]
    via = [gid for gid in sorted(groups) if any(m.id == str(collector_id) for m in _members(api, gid))]
    if direct or via:
        how = ", ".join(p for g in direct for p in g.permissions) or f"through group {via[0]}"
        return "ok", f"member ({how}): a run elevates nothing here", ""
    return "ok", "not a member: a run would assign the collector USER here for the read, then remove it", ""


def _members(api: AccountApi, group_id: str) -> list[Any]:
    try:
        return api.group_members(group_id)
    except Exception:  # a group that cannot be read counts as not holding the collector: the run would elevate
        return []


def _metastores(report: DoctorReport, api: AccountApi, workspaces: list[Any]) -> None:
    try:
        regions = api.metastore_regions()
        used = {api.metastore_of(w.workspace_id) for w in workspaces if w.status == "RUNNING"}
    except Exception as e:
        report.add("metastores", "warn", f"cannot list metastores: {explain(e)}", ADMIN_ROLE_FIX)
        return
    listed = ", ".join(f"{m} ({regions.get(m) or 'unknown region'})" for m in sorted(x for x in used if x))
    fix = (
        "deploy the bundle in each region (`-t prod_region`, docs/deploy.md) and list the others in sharing.recipients"
    )
    status = "warn" if len({x for x in used if x}) > 1 else "ok"
    report.add("metastores", status, f"one per region: {listed or 'none assigned'}", fix if status == "warn" else "")
