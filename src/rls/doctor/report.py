"""What `rls doctor` reports: one :class:`Check` per question, each ok / warn / fail with one line and its fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from rls import exitcodes

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


@dataclass
class DoctorReport:
    where: str  # "account <id>" or "local workdir <dir>"
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, status: Status, detail: str, fix: str = "") -> None:
        self.checks.append(Check(name, status, detail, fix))

    @property
    def exit_code(self) -> int:
        """0 when every check is ok; 3 (PARTIAL) with warnings only; 6 (CHECK_FAILED) when any check failed."""
        statuses = {c.status for c in self.checks}
        if "fail" in statuses:
            return exitcodes.CHECK_FAILED
        return exitcodes.PARTIAL if "warn" in statuses else exitcodes.OK

    def as_dict(self) -> dict[str, Any]:
        return {"where": self.where, "exit_code": self.exit_code, "checks": [asdict(c) for c in self.checks]}

    def lines(self) -> list[str]:
        out = [f"rls doctor: {self.where} (read-only: nothing was written)"]
        for c in self.checks:
            out.append(f"{c.status.upper():4} {c.name}: {c.detail}")
            if c.fix and c.status != "ok":
                out.append(f"     fix: {c.fix}")
        counts = {s: sum(c.status == s for c in self.checks) for s in ("ok", "warn", "fail")}
        out.append(f"{len(self.checks)} checks: {counts['ok']} ok, {counts['warn']} warnings, {counts['fail']} failed")
        return out
