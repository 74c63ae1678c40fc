"""What `rls verify` reports: one :class:`Check` per check, and the report over all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from rls import exitcodes

Status = Literal["pass", "fail", "warn", "skipped"]  # warn: said, never fails the run
Result = tuple[Status, str, list[str]]
"""What a check function returns: status, one-line detail, problems."""


def result(problems: list[str], detail: str) -> Result:
    """Pass without problems, fail with them."""
    return ("fail" if problems else "pass"), detail, problems


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    problems: tuple[str, ...] = ()


@dataclass
class VerifyReport:
    catalog: str
    schema: str
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0

    def check(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check named {name!r}")

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    @property
    def exit_code(self) -> int:
        return exitcodes.CHECK_FAILED if self.failed else exitcodes.OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "catalog": self.catalog,
            "schema": self.schema,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "checks": [
                {"name": c.name, "status": c.status, "detail": c.detail, "problems": list(c.problems)}
                for c in self.checks
            ],
        }

    def lines(self) -> list[str]:
        out = []
        for c in self.checks:
            out.append(f"{c.status.upper():7} {c.name}: {c.detail}")
            out += [f"        - {p}" for p in c.problems]
        failed = len(self.failed)
        warned = sum(c.status == "warn" for c in self.checks)
        summary = f"{len(self.checks)} checks, {failed} failed" if failed else f"{len(self.checks)} checks, none failed"
        out.append(summary + (f", {warned} warning(s)" if warned else ""))
        return out
