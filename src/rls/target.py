"""Where the job keeps what it owns: one schema (the collector's tables, the views) and one volume in it (the
elevation ledger). Named here once; every statement that creates them comes from here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rls.sql.quoting import quote_name

VOLUME = "rls_state"  # the job's volume in its schema: the elevation ledger's files (Files API, create-once)
LEDGER_DIR = "elevation-ledger"  # a directory: one immutable file per event (volumes refuse appends)


@dataclass(frozen=True)
class Target:
    catalog: str
    schema: str

    @classmethod
    def of(cls, cfg: Any) -> Target:
        """The target of a configuration (``catalog``, ``schema``)."""
        return cls(cfg.catalog, cfg.schema)

    @property
    def display(self) -> str:
        return f"{self.catalog}.{self.schema}"

    @property
    def quoted(self) -> str:
        """The schema's name, quoted."""
        return quote_name(self.catalog, self.schema)

    def name(self, table: str) -> str:
        """A table or view of the schema, quoted."""
        return quote_name(self.catalog, self.schema, table)

    @property
    def volume_path(self) -> Path:
        """The volume's files, as Unity Catalog names them (``/Volumes/<catalog>/<schema>/rls_state``)."""
        return Path("/Volumes") / self.catalog / self.schema / VOLUME

    @property
    def ledger_path(self) -> Path:
        """The elevation ledger's directory in the volume (unless ``collect.elevation_ledger`` names another)."""
        return self.volume_path / LEDGER_DIR

    def create_schema_sql(self) -> str:
        return f"CREATE SCHEMA IF NOT EXISTS {self.quoted}"

    def ensure_schema(self, backend: Any) -> None:
        """Create the schema if it is missing (its owner: whoever runs this, the job's identity on Databricks)."""
        backend.execute(self.create_schema_sql())

    def ensure_volume(self, backend: Any) -> None:
        """Create the schema and its volume if missing (only a task that collects does: it writes the ledger)."""
        self.ensure_schema(backend)
        backend.execute(f"CREATE VOLUME IF NOT EXISTS {self.name(VOLUME)}")
