"""The publisher's result: one line per system table / view, counts and an exit code. Rendering is the CLI's job."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from rls import exitcodes
from rls.sql import system_tables

Status = Literal["created", "altered", "unchanged", "skipped", "failed", "dropped"]
STATUSES: tuple[Status, ...] = ("created", "altered", "unchanged", "skipped", "failed", "dropped")


@dataclass(frozen=True)
class ViewResult:
    source: str | None  # `schema.table` of the system table; None for a pruned view whose table is gone
    view: str | None  # `catalog.schema.view` (unquoted, for humans); None when no name could be made
    status: Status
    reason: str | None = None  # why: skipped/failed always say; altered says what changed
    seconds: float = 0.0
    statements: int = 0  # SQL statements run for this view
    owner_note: str | None = None  # an ownership change that was refused (the view itself is as generated)

    @property
    def region(self) -> str | None:
        """Whether the source is regional (rows of this metastore's region only) or global, from the registry."""
        return system_tables.scope(self.source) if self.source else None


@dataclass
class PublishReport:
    catalog: str
    schema: str
    discovery: str  # information_schema | static
    discovery_error: str | None = None
    existing_read: str = ""  # how existing fingerprints were read
    results: list[ViewResult] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None  # a failure of the whole run (e.g. the schema could not be created)
    sharing: str | None = None  # several regions: what this deployment shares (home) or reads (other regions)
    sharing_error: str | None = None  # home region: the share could not be updated (this region's views were)
    missing_grants: list[str] = field(default_factory=list)  # system schemas the job may not read: one line each

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(r.status for r in self.results)
        return {s: c.get(s, 0) for s in STATUSES}

    @property
    def exit_code(self) -> int:
        """OK (0) when every view was published or deliberately skipped; PARTIAL (3) when some views failed (the
        others were published) or kept an owner other than the configured one (refused OWNER TO), or the share for
        the other regions could not be updated, or a system schema's views were skipped for a missing grant; ERROR (1)
        when the run itself could not publish (no schema, no access map)."""
        if self.error:
            return exitcodes.ERROR
        partial = any(r.status == "failed" or r.owner_note for r in self.results) or bool(self.sharing_error)
        partial = partial or bool(self.missing_grants)
        return exitcodes.PARTIAL if partial else exitcodes.OK

    def result(self, source: str) -> ViewResult:
        """The result for system table ``schema.table``."""
        for r in self.results:
            if r.source == source:
                return r
        raise KeyError(f"no result for {source!r}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "catalog": self.catalog,
            "schema": self.schema,
            "discovery": self.discovery,
            "discovery_error": self.discovery_error,
            "existing_read": self.existing_read,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "sharing": self.sharing,
            "sharing_error": self.sharing_error,
            "missing_grants": self.missing_grants,
            "exit_code": self.exit_code,
            "counts": self.counts,
            "results": [asdict(r) | {"seconds": round(r.seconds, 3), "region": r.region} for r in self.results],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)


def first_line(e: BaseException, limit: int = 300) -> str:
    """A one-line reason from an exception: Spark/Databricks errors run over many lines (plans, stack traces)."""
    lines = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()]
    return (lines[0] if lines else type(e).__name__)[:limit]
