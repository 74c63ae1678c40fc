"""The account-wide Delta Sharing state of a local warehouse (``<workdir>/sharing.json``): shares and recipients
keyed by their provider metastore, the catalogs each metastore mounted from a share, and the platform's settings.

Changed by :mod:`.sharing` (the sharing statements) and read by :mod:`.shared_catalogs` (who may still read a mounted
catalog), both holding :data:`state_lock` while they do.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from rls_local.warehouse.names import normalize

STATE_FILE = "sharing.json"
state_lock = threading.Lock()
"""Held from loading the state until a change to it is saved: two threads of this process never overwrite each
other's change."""


class SharingError(ValueError):
    """A sharing statement Databricks would refuse; one line, in Unity Catalog's words."""


class SharingState:
    def __init__(self, workdir: Path) -> None:
        self.path = Path(workdir) / STATE_FILE
        self.doc: dict[str, Any] = {}

    def load(self) -> None:
        doc = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        self.doc = {k: doc.get(k, {}) for k in ("shares", "recipients", "mounts", "settings")}

    def save(self) -> None:
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(self.doc, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)

    def share(self, metastore: str, name: str) -> dict[str, Any]:
        found = self.doc["shares"].get(metastore, {}).get(normalize(name))
        if found is None:
            raise SharingError(f"SHARE_DOES_NOT_EXIST: share {name} does not exist")
        return found
