"""Databricks-to-Databricks Delta Sharing between the metastores of one local warehouse.

What the tool relies on, as documented (CREATE SHARE / ALTER SHARE / CREATE RECIPIENT / GRANT ON SHARE /
CREATE CATALOG … USING SHARE, docs.databricks.com/sql/language-manual, "Share data using the Delta Sharing
Databricks-to-Databricks protocol", "Read data shared using Databricks-to-Databricks Delta Sharing"):

- a **share** lives in the provider's metastore and is owned by its creator; only its owner (or a metastore admin)
  adds tables to it, and only tables the owner can SELECT; a table is in a share once (adding it again fails);
  a table shared ``AS schema.table`` is seen by that name (default: its own schema and table name);
- a **recipient** ``USING ID '<cloud>:<region>:<metastore uuid>'`` (what ``current_metastore()`` returns there)
  is that metastore, and ``GRANT SELECT ON SHARE s TO RECIPIENT r`` lets it mount the share; who may run that grant,
  and the caching delay before a recipient sees grants and added tables: :mod:`.sharing_rules`;
- in the recipient metastore, ``CREATE CATALOG c USING SHARE <provider>.<share>`` mounts it: a **read-only**
  catalog owned by its creator, whose tables follow the provider's current data ("in near real time"); nobody else
  may read it until granted — which is what keeps the access map away from analysts in other regions.

Local conventions (the docs leave them to the platform): the provider object that Databricks creates in a
recipient metastore of the same account is named after the provider's metastore id here (on Databricks: read it
with ``SHOW PROVIDERS``); a mounted table is a Spark view over the provider's table, so reads are live.
Not modelled: the CREATE SHARE / CREATE RECIPIENT / CREATE CATALOG privileges on the metastore (README: what to
grant), history sharing, partitions, and tables added to a share after a catalog was mounted until the next
``CREATE CATALOG IF NOT EXISTS`` on it (the publisher runs one every time).

State (``<workdir>/sharing.json``) is account-wide: shares and recipients keyed by their provider metastore
(:mod:`.sharing_state`).
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

from rls.sql.sqltext import QIDENT, STRING, chains, significant, tokenize
from rls_local.warehouse import sharing_rules
from rls_local.warehouse.names import MARKER, normalize
from rls_local.warehouse.protocols import Backend
from rls_local.warehouse.refusals import PrivilegeError
from rls_local.warehouse.sharing_state import SharingError, SharingState, state_lock


def first_metastore_id(workdir: Path) -> str:
    """The id of the metastore whose catalogs have plain names (the scenario's first; see :mod:`.names`)."""
    marker = Path(workdir) / MARKER
    doc = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else {}
    return str(doc.get("first_metastore") or "local")


def set_first_metastore(workdir: Path, metastore_id: str) -> None:
    """Record which metastore the plain catalog names belong to (a warehouse prepared without a scenario)."""
    marker = Path(workdir) / MARKER
    doc = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else {}
    if doc.get("first_metastore") != metastore_id:
        marker.write_text(json.dumps(doc | {"first_metastore": metastore_id}, indent=1), encoding="utf-8")


def handles(sql: str) -> bool:
    w = [t.word for t in significant(tokenize(sql))]
    if w[:2] in (["CREATE", "SHARE"], ["ALTER", "SHARE"], ["DROP", "SHARE"], ["CREATE", "RECIPIENT"]):
        return True
    if w[:1] in (["GRANT"], ["REVOKE"]) and "SHARE" in w and "RECIPIENT" in w and "METASTORE" not in w:
        return True
    if w[:3] == ["SHOW", "ALL", "IN"]:
        return True
    return w[:2] == ["CREATE", "CATALOG"] and "USING" in w and "SHARE" in w


def execute(backend: Backend, sql: str) -> list[dict[str, Any]] | None:
    """Run a sharing statement (:func:`handles`); SHOW returns rows, the others None."""
    sig = significant(tokenize(sql))
    w = [t.word for t in sig]
    names = [c.names for c in chains(sig)]
    if_not_exists = w[2:5] == ["IF", "NOT", "EXISTS"]
    state = SharingState(backend.workdir)
    me = backend.metastore_id
    who = backend.identity or backend.platform_principal
    with state_lock:
        state.load()
        if w[:2] == ["CREATE", "SHARE"]:
            share = _name_after(names, "SHARE")
            shares = state.doc["shares"].setdefault(me, {})
            if share in shares:
                if if_not_exists:
                    return None
                raise SharingError(f"SHARE_ALREADY_EXISTS: share {share} already exists")
            shares[share] = {"owner": who, "tables": {}, "recipients": []}
        elif w[:2] == ["ALTER", "SHARE"]:
            _alter_share(backend, state, sig, names, who)
        elif w[:2] == ["DROP", "SHARE"]:
            name = _name_after(names, "SHARE")
            if name in state.doc["shares"].get(me, {}):
                sharing_rules.require_owner(backend, state.doc["shares"][me][name], who, f"share {name}")
                state.doc["shares"][me].pop(name)
            elif "EXISTS" not in w:
                raise SharingError(f"SHARE_DOES_NOT_EXIST: share {name} does not exist")
        elif w[:2] == ["CREATE", "RECIPIENT"]:
            name = _name_after(names, "RECIPIENT")
            ident = _string_after(sig, "ID")
            if ident is None or len(ident.split(":")) != 3:
                raise SharingError(
                    f"INVALID_PARAMETER_VALUE: recipient {name}: USING ID takes a sharing identifier"
                    " '<cloud>:<region>:<metastore uuid>' (what current_metastore() returns in the recipient region)"
                )
            recipients = state.doc["recipients"].setdefault(me, {})
            if name in recipients and not if_not_exists:
                raise SharingError(f"RECIPIENT_ALREADY_EXISTS: recipient {name} already exists")
            recipients.setdefault(name, {"owner": who, "id": ident})
        elif w[:1] in (["GRANT"], ["REVOKE"]):
            _grant(backend, state, names, who, revoke=w[0] == "REVOKE")
        elif w[:3] == ["SHOW", "ALL", "IN"]:
            return _show(state.share(me, _name_after(names, "SHARE")))
        else:
            _mount(backend, state, sig, names, who, if_not_exists)
        state.save()
    return None


def sharing_identifier(cloud: str, region: str, metastore_id: str) -> str:
    """What ``current_metastore()`` returns in a metastore: the id a provider creates a recipient with."""
    return f"{cloud}:{region}:{metastore_id}"


def set_cache_seconds(workdir: Path, seconds: float) -> None:
    """The platform's caching delay before recipients see grants and share changes (:mod:`.sharing_rules`)."""
    state = SharingState(workdir)
    with state_lock:
        state.load()
        state.doc["settings"]["cache_s"] = float(seconds)
        state.save()


# ---- statements ------------------------------------------------------------------------------------------------------
def _alter_share(backend: Backend, state: SharingState, sig: list[Any], names: list[list[str]], who: str) -> None:
    # ALTER SHARE s ADD [TABLE] c.s.t [AS x.y]  |  ALTER SHARE s REMOVE [TABLE] c.s.t|x.y
    share_name = names[2][0] if len(names) > 2 else ""
    share = state.share(backend.metastore_id, share_name)
    words = [t.word for t in sig]
    sharing_rules.require_owner(backend, share, who, f"share {share_name}")
    tables = [n for n in names[3:] if len(n) in (2, 3)]
    if "ADD" in words:
        if not tables or len(tables[0]) != 3:
            raise SharingError("INVALID_PARAMETER_VALUE: ALTER SHARE … ADD TABLE takes a three-part table name")
        full = ".".join(normalize(p) for p in tables[0])
        alias = (
            ".".join(normalize(p) for p in tables[1]) if "AS" in words and len(tables) > 1 else full.split(".", 1)[1]
        )
        if not backend.spark.catalog.tableExists(backend.names.table(*tables[0]).spark_name):
            raise SharingError(f"TABLE_OR_VIEW_NOT_FOUND: {full}")
        groups = backend.privileges.groups(who)
        if not backend.privileges.store.can_read(who, groups, full):
            raise PrivilegeError(f"PERMISSION_DENIED: {who} lacks SELECT on {full}, needed to share it")
        if alias in share["tables"] or full in share["tables"].values():
            raise SharingError(f"RESOURCE_ALREADY_EXISTS: {full} is already in share {share_name}")
        share["tables"][alias] = full
        share.setdefault("added_at", {})[alias] = time.time()  # recipients see it after the cache delay
    elif "REMOVE" in words and tables:
        key = ".".join(normalize(p) for p in tables[0])
        share["tables"] = {a: f for a, f in share["tables"].items() if key not in (a, f)}


def _grant(backend: Backend, state: SharingState, names: list[list[str]], who: str, *, revoke: bool) -> None:
    flat = [n[0] for n in names if len(n) == 1]
    upper = [n.upper() for n in flat]
    share_name = flat[upper.index("SHARE") + 1]
    recipient = flat[upper.index("RECIPIENT") + 1]
    share = state.share(backend.metastore_id, share_name)
    found = state.doc["recipients"].get(backend.metastore_id, {}).get(normalize(recipient))
    if found is None:
        raise SharingError(f"RECIPIENT_DOES_NOT_EXIST: recipient {recipient} does not exist")
    sharing_rules.require_grant_rights(backend, share, share_name, found, recipient)
    current, granted_at = set(share["recipients"]), share.setdefault("granted_at", {})
    if revoke:
        current.discard(normalize(recipient))
        granted_at.pop(normalize(recipient), None)
    elif normalize(recipient) not in current:
        current.add(normalize(recipient))
        granted_at[normalize(recipient)] = time.time()  # the recipient sees it after the cache delay
    share["recipients"] = sorted(current)


def _mount(
    backend: Backend, state: SharingState, sig: list[Any], names: list[list[str]], who: str, if_not_exists: bool
) -> None:
    catalog = _name_after(names, "CATALOG")
    source = next((n for n in names[_index(names, "SHARE") + 1 :] if len(n) == 2), None)
    if source is None:
        raise SharingError("INVALID_PARAMETER_VALUE: USING SHARE takes <provider>.<share>")
    provider, share_name = (normalize(p) for p in source)
    if provider not in state.doc["shares"]:
        raise SharingError(f"PROVIDER_DOES_NOT_EXIST: provider {provider} does not exist in this metastore")
    share = state.share(provider, share_name)
    recipients = state.doc["recipients"].get(provider, {})
    mine = [
        r
        for r in share["recipients"]
        if recipients.get(r, {}).get("id", "").split(":")[-1] == backend.metastore_id
        and sharing_rules.seen(share.get("granted_at", {}).get(r), state.doc)
    ]
    if not mine:
        raise PrivilegeError(
            f"PERMISSION_DENIED: share {provider}.{share_name} is not granted to a recipient of this metastore"
            f" ({backend.metastore_id})"
        )
    mounts = state.doc["mounts"].setdefault(backend.metastore_id, {})
    if backend.names.is_catalog(catalog):
        if not if_not_exists:
            raise SharingError(f"CATALOG_ALREADY_EXISTS: catalog {catalog} already exists")
        if mounts.get(catalog) != {"provider": provider, "share": share_name}:
            return  # Databricks leaves an existing catalog alone, whatever it is
    else:
        backend.names.add_catalog(catalog)
        backend.privileges.store.set_owner(catalog, who)
    mounts[catalog] = {"provider": provider, "share": share_name}
    provider_names = backend.in_metastore(None if provider == first_metastore_id(backend.workdir) else provider).names
    for alias, full in sorted(share["tables"].items()):
        if not sharing_rules.seen(share.get("added_at", {}).get(alias), state.doc):
            continue  # added to the share, not yet seen by recipients
        schema, table = alias.split(".")
        ref = backend.names.table(catalog, schema, table)
        backend.spark.sql(f"CREATE DATABASE IF NOT EXISTS `spark_catalog`.`{ref.db}`").collect()
        src = provider_names.table(*full.split(".")).spark_name
        backend.spark.sql(f"CREATE OR REPLACE VIEW {ref.spark_name} AS SELECT * FROM {src}").collect()
        for obj in (f"{catalog}.{schema}", f"{catalog}.{schema}.{table}"):
            if obj not in backend.privileges.store.owners:
                backend.privileges.store.set_owner(obj, who)


def _show(share: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": a, "type": "TABLE", "shared_object": f} for a, f in sorted(share["tables"].items())]


# ---- parsing ---------------------------------------------------------------------------------------------------------
def _index(names: list[list[str]], word: str) -> int:
    for i, n in enumerate(names):
        if len(n) == 1 and n[0].upper() == word:
            return i
    return len(names)


def _name_after(names: list[list[str]], keyword: str) -> str:
    """The object named after ``keyword`` (``SHARE``, ``RECIPIENT``, ``CATALOG``), past ``IF [NOT] EXISTS``."""
    for n in names[_index(names, keyword) + 1 :]:
        if len(n) == 1 and n[0].upper() not in ("IF", "NOT", "EXISTS"):
            return normalize(n[0])
    raise SharingError(f"INVALID_PARAMETER_VALUE: no {keyword.lower()} named")


def _string_after(sig: list[Any], word: str) -> str | None:
    for a, b in itertools.pairwise(sig):
        if a.word == word and b.kind == STRING:
            return b.text[1:-1].replace("''", "'")
        if a.word == word and b.kind == QIDENT:
            return None
    return None
