"""Three-part Unity Catalog names on Spark's two-level session catalog.

``<catalog>.<schema>.<table>`` is stored as ``spark_catalog.<db>.<tbl>`` with ``db = enc(catalog) + "__" +
enc(schema)`` and ``tbl = enc(table)``. Names are compared case-insensitively, as Unity Catalog does (it stores
them lower-cased), so every part is lower-cased first. ``enc`` keeps a plain name readable (``main__rls``) and
turns anything else (backticks, quotes, spaces, unicode, 255 characters: nothing the Hive metastore accepts) into
``_<hash>_<slug>``; the registry file maps those back. Because a readable part never contains ``__`` and never
starts with ``_``, the mapping is injective, and ``db`` splits back at its first ``__``.

The registry (``<workdir>/names.json``) also holds the known catalogs: only a dotted chain whose first part is a
known catalog is a table name (``x.user_identity.email`` is a struct access).

Metastores: a Databricks account has one Unity Catalog metastore per region, each with its own catalogs (two regions
both have a ``system`` and a ``main``), and a statement sees the catalogs of its workspace's metastore only. The
first metastore of a scenario uses the names above; any other has its own registry (``<workdir>/metastores/<m>/``)
whose catalogs are stored as ``enc("<m>/<catalog>")`` — never readable (``/``), so never equal to another
metastore's — and which knows only its own catalogs: ``main.rls.x`` written in one region cannot reach another's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SESSION_CATALOG = "spark_catalog"
REGISTRY_FILE = "names.json"
MARKER = "warehouse.json"  # a prepared work directory: its registry file, account and first metastore
_READABLE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_MAX_READABLE = 60  # two parts + "__" stay under the metastore's 128-character database names
_SEP = "__"


def normalize(name: str) -> str:
    """Unity Catalog identifiers are case-insensitive."""
    return name.lower()


def encode(name: str) -> str:
    """A Hive-legal, collision-free stand-in for one (normalized) identifier part."""
    n = normalize(name)
    if _READABLE.fullmatch(n) and len(n) <= _MAX_READABLE:
        return n
    digest = hashlib.sha256(n.encode("utf-8")).hexdigest()[:20]
    slug = re.sub(r"_+", "_", re.sub(r"[^a-z0-9]", "_", n)).strip("_")[:20].rstrip("_")
    return f"_{digest}_{slug}" if slug else f"_{digest}"


@dataclass(frozen=True)
class TableRef:
    """A resolved three-part name: the original parts and where Spark keeps the object."""

    catalog: str
    schema: str
    name: str
    db: str
    table: str

    @property
    def spark_name(self) -> str:
        return f"`{SESSION_CATALOG}`.`{self.db}`.`{self.table}`"


class NameRegistry:
    """Known catalogs and the reverse mapping of encoded names, persisted in the workdir. Thread-safe.

    Use :meth:`for_workdir`: backends of one process on one workdir must share a registry, or a catalog registered
    through one would stay unknown to the other.
    """

    _shared: dict[Path, NameRegistry] = {}
    _shared_lock = threading.Lock()

    @classmethod
    def for_workdir(cls, workdir: Path, scope: str | None = None) -> NameRegistry:
        key = Path(workdir).resolve()
        with cls._shared_lock:
            if key not in cls._shared:
                cls._shared[key] = cls(key, scope)
            registry = cls._shared[key]
        if registry.scope != (normalize(scope) if scope else None):
            raise ValueError(f"{key} holds the names of metastore {registry.scope!r}, not {scope!r}")
        return registry

    def __init__(self, workdir: Path, scope: str | None = None) -> None:
        self.scope = normalize(scope) if scope else None
        """The metastore this registry names catalogs for (None: the first one, with plain names)."""
        self.path = Path(workdir) / REGISTRY_FILE
        self._lock = threading.Lock()
        self._catalogs: set[str] = set()
        self._names: dict[str, str] = {}
        if self.path.exists():
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            self._catalogs = set(doc.get("catalogs", []))
            self._names = dict(doc.get("names", {}))

    # ---- catalogs ---------------------------------------------------------------------------------------------
    def catalogs(self) -> list[str]:
        with self._lock:
            return sorted(self._catalogs)

    def is_catalog(self, name: str) -> bool:
        with self._lock:
            return normalize(name) in self._catalogs

    def add_catalog(self, name: str) -> None:
        n = normalize(name)
        if n == SESSION_CATALOG:
            # Spark's own catalog: its names are already Spark names and must never be rewritten.
            raise ValueError(f"{SESSION_CATALOG!r} is reserved by the local warehouse")
        with self._lock:
            if n in self._catalogs:
                return
            self._catalogs.add(n)
            self._remember(self._scoped(n))
            self._save()
        logger.info("catalog %r registered", n)

    # ---- names ------------------------------------------------------------------------------------------------
    def db(self, catalog: str, schema: str) -> str:
        with self._lock:
            before = len(self._names)
            db = self._remember(self._scoped(catalog)) + _SEP + self._remember(schema)
            if len(self._names) != before:
                self._save()
        return db

    def part(self, name: str) -> str:
        with self._lock:
            before = len(self._names)
            enc = self._remember(name)
            if len(self._names) != before:
                self._save()
        return enc

    def table(self, catalog: str, schema: str, name: str) -> TableRef:
        return TableRef(
            normalize(catalog), normalize(schema), normalize(name), self.db(catalog, schema), self.part(name)
        )

    def decode_part(self, enc: str) -> str:
        with self._lock:
            return self._names.get(enc, enc)

    def decode_db(self, db: str) -> tuple[str, str] | None:
        """``(catalog, schema)`` of a Spark database, or None when it does not stand for a catalog's schema."""
        cat, sep, schema = db.partition(_SEP)
        if not sep or not cat or not schema:
            return None
        cat, schema = self.decode_part(cat), self.decode_part(schema)
        if self.scope is not None:
            prefix = f"{self.scope}/"
            if not cat.startswith(prefix):
                return None  # the first metastore's, or a stray database: not a catalog of this metastore
            cat = cat[len(prefix) :]
        return (cat, schema) if self.is_catalog(cat) else None

    def decode_listing(self, row: dict[str, Any]) -> dict[str, Any]:
        """A SHOW TABLES / SHOW VIEWS row with Unity Catalog names (``namespace`` is the schema, as on Databricks)."""
        out = dict(row)
        if out.get("namespace"):
            decoded = self.decode_db(out["namespace"])
            if decoded:
                out["namespace"] = decoded[1]
        for key in ("tableName", "viewName"):
            if out.get(key):
                out[key] = self.decode_part(out[key])
        return out

    def decode_describe(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """DESCRIBE TABLE EXTENDED rows whose Catalog / Database / Table say the original names."""
        db_row = next((r for r in rows if r.get("col_name") == "Database"), None)
        decoded = self.decode_db(db_row["data_type"]) if db_row else None
        if decoded is None:
            return rows
        out = []
        for r in rows:
            r = dict(r)
            if r.get("col_name") == "Catalog":
                r["data_type"] = decoded[0]
            elif r.get("col_name") == "Database":
                r["data_type"] = decoded[1]
            elif r.get("col_name") == "Table":
                r["data_type"] = self.decode_part(r["data_type"])
            out.append(r)
        return out

    # ---- internals (lock held) --------------------------------------------------------------------------------
    def _scoped(self, catalog: str) -> str:
        n = normalize(catalog)
        return f"{self.scope}/{n}" if self.scope is not None else n

    def _remember(self, name: str) -> str:
        n = normalize(name)
        enc = encode(n)
        if enc != n:
            self._names.setdefault(enc, n)
        return enc

    def _save(self) -> None:
        # Write-then-rename: a crash never leaves half a registry behind.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        doc = {"catalogs": sorted(self._catalogs), "names": dict(sorted(self._names.items()))}
        tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path)
