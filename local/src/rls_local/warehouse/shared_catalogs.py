"""Catalogs mounted from a share (:mod:`.sharing`), as their readers see them: read-only, and readable only while the
provider's share still holds the table and is still granted to a recipient of the reading metastore.
"""

from __future__ import annotations

from pathlib import Path

from rls.sql.sqltext import significant, tokenize
from rls_local.warehouse.names import normalize
from rls_local.warehouse.protocols import Backend
from rls_local.warehouse.refusals import NotVisibleError, PrivilegeError
from rls_local.warehouse.sharing_state import SharingState, state_lock


def mounted_catalogs(workdir: Path, metastore_id: str) -> set[str]:
    """Catalogs of ``metastore_id`` created from a share: read-only."""
    state = SharingState(workdir)
    with state_lock:
        state.load()
    return set(state.doc["mounts"].get(metastore_id, {}))


def check_mounted_read(backend: Backend, obj: str) -> None:
    """A table of a catalog mounted from a share is readable while the share still holds it and is still granted
    to a recipient of this metastore: ``REVOKE … FROM RECIPIENT``, ``DROP SHARE`` and ``ALTER SHARE … REMOVE`` take
    effect on the next read (Databricks: "recipients see share changes" after about a minute of caching; locally at
    once). The mounted table is a Spark view over the provider's table, so without this check it would stay live."""
    catalog, _, alias = obj.partition(".")
    state = SharingState(backend.workdir)
    with state_lock:
        state.load()
    mount = state.doc["mounts"].get(backend.metastore_id, {}).get(catalog)
    if mount is None or alias.count(".") != 1:
        return
    provider, name = mount["provider"], mount["share"]
    share = state.doc["shares"].get(provider, {}).get(name)
    recipients = state.doc["recipients"].get(provider, {})
    granted = share is not None and any(
        recipients.get(r, {}).get("id", "").split(":")[-1] == backend.metastore_id for r in share["recipients"]
    )
    if not granted:
        raise PrivilegeError(
            f"PERMISSION_DENIED: share {provider}.{name}, mounted as catalog {catalog}, is no longer granted to this"
            f" metastore ({backend.metastore_id})"
        )
    if alias not in share["tables"]:
        raise NotVisibleError(f"TABLE_OR_VIEW_NOT_FOUND: {obj}: no longer in share {provider}.{name}")


def refuse_write(backend: Backend, catalog: str) -> None:
    if normalize(catalog) in mounted_catalogs(backend.workdir, backend.metastore_id):
        raise PrivilegeError(f"PERMISSION_DENIED: catalog {catalog} is a shared catalog: it is read-only")


def refuse_shared_write(backend: Backend, sql: str) -> None:
    """A statement that would change an object of a shared catalog: refused, whoever runs it."""
    sig = significant(tokenize(sql))
    if not sig or sig[0].word not in ("CREATE", "ALTER", "DROP", "INSERT", "MERGE", "UPDATE", "DELETE", "COMMENT"):
        return
    target = backend.privileges.target(sig)
    if target and "." in target:
        refuse_write(backend, target.split(".")[0])
