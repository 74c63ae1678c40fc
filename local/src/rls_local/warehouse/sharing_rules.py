"""Two Delta Sharing rules the local warehouse enforces as the platform does (used by :mod:`.sharing`).

**Who may grant a share to a recipient** (docs, "Manage access to Delta Sharing data shares (for providers)",
permissions required for ``GRANT SELECT ON SHARE … TO RECIPIENT``): a metastore admin, or a principal with
(``USE SHARE`` + ``SET SHARE PERMISSION``, or ownership of the share) **and** (``USE RECIPIENT``, or ownership of
the recipient). Those three privileges are granted on the metastore (``GRANT USE SHARE ON METASTORE TO p``), to the
principal or an account group it belongs to.

**Recipients see changes after a cache delay**: "recipients see new shares and updates to shares after about a minute
of caching" (docs, "Read data shared using Databricks-to-Databricks Delta Sharing"; facts, "Corrections, round 2").
Locally the delay is a platform setting (:func:`set_cache_seconds`, default 0 so tests run at full speed): a
recipient's metastore sees a grant, and a table added to a share, only that many seconds after it was made.
"""

from __future__ import annotations

import time
from typing import Any

from rls_local.warehouse.protocols import Backend
from rls_local.warehouse.refusals import PrivilegeError

METASTORE = "<metastore>"  # the key of metastore-level grants in the privilege store (no catalog has this name)
SHARE_PRIVILEGES = ("USE SHARE", "SET SHARE PERMISSION")
RECIPIENT_PRIVILEGE = "USE RECIPIENT"


def require_grant_rights(backend: Backend, share: dict[str, Any], share_name: str,
                         recipient: dict[str, Any], recipient_name: str) -> None:  # fmt: skip
    """Refuse ``GRANT … ON SHARE share TO RECIPIENT recipient`` unless the caller may run it (see the module)."""
    who = backend.identity or backend.platform_principal
    groups = backend.privileges.groups(who)
    store = backend.privileges.store
    if store.is_admin(backend.identity, groups):
        return
    mine = {who.lower(), *(g.lower() for g in groups)}

    def holds(privilege: str) -> bool:
        return store.holds(who, groups, METASTORE, {privilege})

    missing = []
    if str(share.get("owner", "")).lower() not in mine and not all(holds(p) for p in SHARE_PRIVILEGES):
        missing.append(f"ownership of share {share_name} or USE SHARE and SET SHARE PERMISSION on the metastore")
    if str(recipient.get("owner", "")).lower() not in mine and not holds(RECIPIENT_PRIVILEGE):
        missing.append(f"ownership of recipient {recipient_name} or USE RECIPIENT on the metastore")
    if missing:
        raise PrivilegeError(f"PERMISSION_DENIED: {who} lacks {' and '.join(missing)}")


def require_owner(backend: Backend, obj: dict[str, Any], who: str, what: str) -> None:
    """Only the owner of a share (or a metastore admin) changes or drops it."""
    groups = backend.privileges.groups(who)
    store = backend.privileges.store
    if not (store.is_admin(backend.identity, groups) or obj["owner"].lower() in {who.lower(), *groups}):
        raise PrivilegeError(f"PERMISSION_DENIED: {who} does not own {what} (owner: {obj['owner']})")


# ---- the recipients' cache -----------------------------------------------------------------------------------------
def cache_seconds(doc: dict[str, Any]) -> float:
    return float(doc.get("settings", {}).get("cache_s", 0.0))


def seen(made_at: float | None, doc: dict[str, Any], now: float | None = None) -> bool:
    """Whether something made at ``made_at`` (None: before this was recorded) is visible to recipients yet."""
    return made_at is None or (now if now is not None else time.time()) - made_at >= cache_seconds(doc)
