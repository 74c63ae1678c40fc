"""`rls demo` and `rls sql`: the whole job on this machine, and querying its result as any identity."""

from __future__ import annotations

import os
import shlex
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console

from rls import exitcodes
from rls.runoptions import Progress, RunOptions
from rls.target import LEDGER_DIR, Target
from rls_local import local
from rls_local.scenario import Scenario, load_scenario

DEMO_VIEW = "vw_system_access_audit"
SELF_VIEW = "vw_system_query_history"  # `self` level in the demo config: admins' rows plus one's own queries
QUERY_HINT = f"SELECT workspace_id, count(*) FROM {DEMO_VIEW} GROUP BY 1"  # the query the demo suggests trying
_OWNED = (
    "warehouse",
    "metastore_db",
    "derby.log",
    "names.json",
    "warehouse.json",
    "spark-tmp",
    "metastores",
    "sharing.json",
    local.SETTINGS_FILE,
    local.STATE_FILE,
    LEDGER_DIR,
)


@dataclass
class Visibility:
    identity: str
    rows: int
    workspaces: list[str]
    query_history_rows: int
    metastore: str = ""  # the region's metastore the views were queried in


@dataclass
class DemoResult:
    scenario: Scenario
    workdir: Path
    flow: local.FlowResult
    visibility: list[Visibility]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        codes = [self.flow.collect.exit_code] + ([self.flow.publish.exit_code] if self.flow.publish else [])
        codes += [region.publish.exit_code for region in self.flow.regions.values()]
        return max(codes) if self.flow.publish or self.flow.collect.exit_code else exitcodes.ERROR

    def as_dict(self) -> dict[str, Any]:
        return {
            "workdir": str(self.workdir),
            "collect": self.flow.collect.as_dict(),
            "publish": self.flow.publish.as_dict() if self.flow.publish else None,
            "regions": {
                mid: {"region": r.region, "publish": r.publish.as_dict()} for mid, r in self.flow.regions.items()
            },
            "visibility": [vars(v) for v in self.visibility],
            "seconds": self.seconds,
            "exit_code": self.exit_code,
        }


def default_scenario() -> Path:
    return Path(str(resources.files("rls_local") / "data" / "example-scenario.json"))


def demo_config() -> Path:
    return Path(str(resources.files("rls_local") / "data" / "demo-config.yml"))


def run_demo(
    scenario_path: Path | None,
    workdir: Path,
    *,
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
) -> DemoResult:
    from rls_local.warehouse import open_warehouse, prepare_warehouse

    say = log or (lambda _: None)
    t0 = time.perf_counter()
    scenario = load_scenario(scenario_path or default_scenario())
    _clear(workdir)
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    open_warehouse(workdir, create=True)
    seconds["spark_start"] = time.perf_counter() - t
    say(f"local Spark warehouse ready in {workdir} ({seconds['spark_start']:.1f}s)")
    t = time.perf_counter()
    backend = prepare_warehouse(workdir, scenario)  # the session started above is reused
    seconds["data_generation"] = time.perf_counter() - t
    say(f"synthetic system tables for {len(scenario.workspaces)} workspaces ({seconds['data_generation']:.1f}s)")
    flow = local.run_flow(
        backend, scenario, workdir, config_path=demo_config(), options=RunOptions(progress=progress), regions=True
    )
    seconds.update(flow.seconds)
    visibility = []
    if flow.publish is not None:
        from rls_local.regions import deployments

        there = {d.metastore_id: backend.in_metastore(d.scope) for d in deployments(scenario)}
        for mid, b in there.items():
            if mid in flow.regions or b.metastore is None:
                visibility += _visibility(b, flow.cfg, scenario, mid)
    seconds["total"] = time.perf_counter() - t0
    return DemoResult(scenario, workdir, flow, visibility, seconds)


def _visibility(backend: Any, cfg: Any, scenario: Scenario, metastore: str) -> list[Visibility]:
    view, own = Target.of(cfg).name(DEMO_VIEW), Target.of(cfg).name(SELF_VIEW)
    # A view can be missing: its system schema was not granted to the job (job_system_grants); it then shows nothing.
    parts = [
        sql
        for name, sql in (
            (view, f"SELECT 'admin' AS k, coalesce(workspace_id, 'NULL') AS w, count(*) AS n FROM {view} GROUP BY 2"),
            (own, f"SELECT 'self' AS k, NULL AS w, count(*) AS n FROM {own}"),
        )
        if backend.table_exists(name)
    ]
    out = []
    for ident in _sample_identities(scenario):
        if not parts:
            out.append(Visibility(ident, 0, [], 0, metastore))
            continue
        with backend.as_identity(ident):  # one statement per identity: both views in one Spark job
            got = backend.fetch("\nUNION ALL ".join(parts))
        rows = sorted((r for r in got if r["k"] == "admin"), key=lambda r: r["w"])
        queries = next((r["n"] for r in got if r["k"] == "self"), 0)
        out.append(Visibility(ident, sum(r["n"] for r in rows), [r["w"] for r in rows], queries, metastore))
    return out


def _clear(workdir: Path) -> None:
    """The demo starts from a fresh warehouse; it removes only what it creates itself."""
    for name in _OWNED:
        p = workdir / name
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


def _sample_identities(s: Scenario, limit: int = 8) -> list[str]:
    idents = [u.user_name for u in s.users] + [p.application_id for p in s.service_principals]
    return idents[:limit]


def print_summary(console: Console, r: DemoResult) -> None:
    from rls.render import Summary, collect_summary, plain, publish_summary

    def line(text: str) -> None:
        # One line however narrow the output (80 columns when piped): the command in it must copy and paste whole.
        console.print(plain(text), soft_wrap=True)

    collect_summary(console, r.flow.collect)
    if r.flow.publish is not None:
        home = "the home region" if r.flow.regions else None
        publish_summary(console, r.flow.publish, home)
    for region in r.flow.regions.values():
        line(f"region {region.region} (metastore {region.metastore_id}): {region.publish.sharing}")
        publish_summary(console, region.publish, f"region {region.region}")
    cols = ["session_user()", "audit rows", "workspaces", "query history rows (self level)"]
    several = bool(r.flow.regions)
    t = Summary(f"who sees what: audit in {DEMO_VIEW}, query history in {SELF_VIEW}", (["metastore"] * several) + cols)
    for v in r.visibility:
        row = (v.identity, v.rows, ", ".join(v.workspaces) or "-", v.query_history_rows)
        t.add_row(*((v.metastore,) if several else ()), *row)  # identities and workspace ids are data: literal text
    t.print(console)
    c = r.flow.collect
    admins = len({(x.workspace_id) for x in c.workspaces if x.outcome == "collected"})
    line(
        f"{len(r.scenario.workspaces)} workspaces ({admins} collected), {c.admin_rows} admin assignments, "
        f"views: {_view_count(r)}; " + ", ".join(f"{k} {v:.1f}s" for k, v in r.seconds.items())
    )
    who = r.visibility[0].identity if r.visibility else "ID"
    line("query it: " + query_hint(r.workdir, who))
    line(f"final emulator state: {r.workdir / local.STATE_FILE}")


def query_hint(workdir: Path, identity: str) -> str:
    """The ``rls sql`` command that queries the demo's view as ``identity``, shell-quoted, run the way this ``rls``
    was: ``./dev`` names itself in ``RLS_LAUNCHER`` (uv may be off PATH there: ``./dev`` runs ``python3 -m uv``)."""
    launcher = shlex.split(os.environ.get("RLS_LAUNCHER") or "uv run rls")
    return shlex.join([*launcher, "sql", "--workdir", str(workdir), "--as", identity, "--json", QUERY_HINT])


def _view_count(r: DemoResult) -> int:
    if r.flow.publish is None:
        return 0
    counts = r.flow.publish.counts
    return counts["created"] + counts["altered"] + counts["unchanged"]


def known_metastores(workdir: Path) -> list[str] | None:
    """The metastore ids ``rls sql --metastore`` accepts in ``workdir`` (None: no local warehouse there)."""
    if not (workdir / local.SETTINGS_FILE).exists():
        return None
    return list(local.read_settings(workdir).get("metastores") or {})


def unknown_identity(workdir: Path, identity: str) -> str | None:
    """A one-line warning when ``identity`` is no user name or application id of the workdir's account: the views
    match current_user() against those, so such a query silently returns no rows. None when it is known (or the
    workdir predates the remembered account)."""
    path = workdir / local.SCENARIO_FILE
    if not path.exists():
        return None
    from rls_local.scenario import load_scenario

    s = load_scenario(path)
    known = {u.user_name.lower() for u in s.users} | {sp.application_id.lower() for sp in s.service_principals}
    if identity.lower() in known:
        return None
    return (
        f"warning: {identity} is not a user name or service principal application id of this workdir's account:"
        " the views show it no rows"
    )


def query_as(workdir: Path, identity: str, sql: str, metastore: str | None = None) -> list[dict[str, Any]]:
    """Run ``sql`` on the warehouse in ``workdir`` with current_user() = ``identity``, in the demo's namespace of
    ``metastore`` (any metastore id of the scenario: its region's deployment; default: the first)."""
    from rls_local.jobs import metastore_scope
    from rls_local.warehouse import open_warehouse

    settings = local.read_settings(workdir)
    backend = open_warehouse(workdir).in_metastore(metastore_scope(settings, metastore))
    backend.use(settings["catalog"], settings["schema"])
    with backend.as_identity(identity):
        return backend.fetch(sql)
