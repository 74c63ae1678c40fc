"""Fixtures shared by every test package.

``warehouse`` (session scope): a :class:`rls_local.warehouse.LocalWarehouseBackend` on a temporary work directory,
prepared for the example scenario (``local/src/rls_local/data/example-scenario.json``):

- the emulated platform: ``is_account_group_member('<group>')`` answers from that scenario's account groups;
- synthetic ``system.*`` tables (rows for every workspace, ``'0'`` and NULL) and ``system.information_schema``;
- no current namespace and no identity: use ``warehouse.use(catalog, schema)`` and
  ``with warehouse.as_identity("bob@example.com"): warehouse.fetch(...)``.

It is shared by the whole test session (Spark starts once per process, ~5 s): create your own schemas (e.g.
``CREATE SCHEMA IF NOT EXISTS main.<your_test>``) rather than changing ``system.*``, and compare
``warehouse.statements`` before/after rather than from zero. The setup itself records no statements.

``use_scenario``: call it with another :class:`rls_local.scenario.Scenario` to make ``is_account_group_member`` answer
from that scenario for the rest of the test; the example scenario's memberships are restored afterwards.

Tiers (``pytest_collection_modifyitems`` below, the one place they are chosen): a test is ``slow`` when it needs the
session's Spark (the ``warehouse`` fixture, directly or through another fixture) or starts a process (its code, a
fixture or a helper of the tests' own reaches ``subprocess``); every other test is fast, and so is the ``smoke`` test
(the whole path: collect over the real SDK from the emulator, publish, read a view as several identities, compare
with the oracle). ``pytest --fast`` (``./dev test --fast``) runs the fast tier alone; ``pytest`` runs everything.
New tests are tiered by the same rules, nobody marks them by hand.

``rls_in_process``: ``rls_in_process("run", "--workdir", W, ...)`` runs the console script's ``main`` in this process
and returns its exit code, stdout and stderr (as ``subprocess.run`` would), without a JVM start per command
(tests/inprocess.py; ``run_main_redirected`` for a module-scoped fixture). It stops the shared ``warehouse``'s Spark
for another workdir, so the collection hook runs the modules that use either last, and tiers their tests as slow.
Keep a real process only where the process boundary is what is tested.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import CodeType, FunctionType
from typing import TYPE_CHECKING

import pytest

from inprocess import Ran, run_main
from rls_local.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    from rls_local.warehouse import LocalWarehouseBackend

TESTS = Path(__file__).resolve().parent
EXAMPLE_SCENARIO = TESTS.parent / "local" / "src" / "rls_local" / "data" / "example-scenario.json"

# The fast tier's one Spark test: a view of the example account read by each identity, checked against the oracle.
SMOKE = "collect/test_collector_e2e.py::test_views_show_each_identity_exactly_its_admin_workspaces[example]"
# Modules that compare snapshots of the whole session warehouse (every schema, table and view): each snapshot costs a
# metastore call per schema, and every flow adds schemas, so they run before the others (on each worker's young
# warehouse: seconds instead of a minute).
FIRST = {"tests/warehouse/test_attacks.py"}
# The in-process modules that take longest (each runs a demo or a whole `rls run` in a process of its own, then opens
# its workdir here: about 90-110 s each), first among the modules that run last: the workers that take them and the
# shorter ones after end together (longest first), instead of one worker starting a long one when the other is done.
LONGEST_LAST = ("tests/test_cli.py", "tests/test_operator_path.py", "tests/test_exit_codes.py")
SPARK_FIXTURES = {"warehouse", "rls_in_process"}
PROCESS_NAMES = {"subprocess", "Popen"}  # a name any code that starts a process uses
IN_PROCESS_NAMES = {"run_main_redirected"}  # `rls` in this process from a fixture that cannot have rls_in_process


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast", action="store_true", help="only the fast tier: no Spark but the smoke test, no process (see conftest)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    fast, slow, last = [], [], set()
    for item in items:
        reached = _names_reached(item)
        in_process = "rls_in_process" in getattr(item, "fixturenames", ()) or bool(IN_PROCESS_NAMES & reached)
        if in_process:
            last.add(getattr(item, "module", None))
        if item.nodeid.removeprefix("tests/") == SMOKE:
            item.add_marker(pytest.mark.smoke)
            fast.append(item)
        elif SPARK_FIXTURES & set(getattr(item, "fixturenames", ())) or in_process or PROCESS_NAMES & reached:
            item.add_marker(pytest.mark.slow)
            slow.append(item)
        else:
            fast.append(item)
    if config.getoption("--fast") and slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = fast

    # Whole modules, so that their module-scoped fixtures are set up once; FIRST before the others, in-process last,
    # the longest of those first (LONGEST_LAST).
    def order(item: pytest.Item) -> tuple[bool, bool, int]:
        path = item.nodeid.split("::")[0]
        late = getattr(item, "module", None) in last
        return late, path not in FIRST, LONGEST_LAST.index(path) if late and path in LONGEST_LAST else len(LONGEST_LAST)

    items.sort(key=order)


SHARED_RUNS = "collected_once("  # tests/flow.py: one collection per account, cached for the rest of the process


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: unknown when it is not loaded (-p no:xdist)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """Under ``--dist loadfile`` (./dev test): whole modules per worker, except that the modules reading the runs
    ``flow.collected_once`` caches go to one worker together. Each worker is its own process: apart, every worker
    would collect the same accounts again (about half a minute each)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    root, shared = config.rootpath, {}

    def scope(module: str) -> str:
        if module not in shared:
            path = root / module
            shared[module] = path.is_file() and SHARED_RUNS in path.read_text(encoding="utf-8")
        return "modules sharing flow.collected_once" if shared[module] else module

    class Scheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope(super()._split_scope(nodeid))

    return Scheduling(config, log)


def _names_reached(item: pytest.Item) -> set[str]:
    """Which of PROCESS_NAMES and IN_PROCESS_NAMES the test function, a fixture it asks for (autouse ones are left
    out: they serve a whole directory and start nothing for a test that does not ask for them) or a helper of the
    tests' own they call names."""
    wanted, found = PROCESS_NAMES | IN_PROCESS_NAMES, set()
    functions: list[object] = [getattr(item, "function", None)]
    info = getattr(item, "_fixtureinfo", None)
    names, asked = list(info.argnames) if info else [], set()
    while names:
        name = names.pop()
        if name in asked:
            continue
        asked.add(name)
        for d in info.name2fixturedefs.get(name, ()):
            functions.append(d.func)
            names += d.argnames
    seen: set[CodeType] = set()
    while functions:
        f = functions.pop()
        f = getattr(f, "__wrapped__", f)  # hypothesis' @given, fixture wrappers
        if not isinstance(f, FunctionType) or not f.__code__.co_filename.startswith(str(TESTS)):
            continue
        codes = [f.__code__]
        while codes:
            code = codes.pop()
            if code in seen:
                continue
            seen.add(code)
            found |= wanted & set(code.co_names)
            codes += [c for c in code.co_consts if isinstance(c, CodeType)]
            functions += [f.__globals__.get(n) for n in code.co_names]
    return found


# JVMs that live for one command or one module (a test's `rls` process, an in-process command on another workdir)
# compile with C1 only: C2's compiler threads would spend more CPU than such a JVM runs for (prepare + one collect:
# 40 CPU-s instead of 70 on this machine), and the suite is CPU-bound. The session warehouse lives for the whole
# worker and keeps the full JIT (fixture below): with C1 there too the whole suite ran markedly slower (measured
# twice), its JVM's steady state outweighs its warm-up. A setting of the local JVM only: the SQL is the same.
SHORT_LIVED_JVM = "-XX:TieredStopAtLevel=1"
os.environ.setdefault("RLS_LOCAL_JVM_OPTIONS", SHORT_LIVED_JVM)


@pytest.fixture(scope="session")
def example_scenario() -> Scenario:
    return load_scenario(EXAMPLE_SCENARIO)


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory, example_scenario: Scenario) -> Iterator[LocalWarehouseBackend]:
    from rls_local.warehouse import prepare_warehouse

    # One region: the tests written for a single metastore read every workspace's rows from `system`; the regional
    # world is built by tests/collect/test_regions.py (and `rls demo`).
    short_lived = os.environ.pop("RLS_LOCAL_JVM_OPTIONS", None)  # this JVM lives as long as the worker: full JIT
    try:
        backend = prepare_warehouse(tmp_path_factory.mktemp("warehouse"), example_scenario, regions=False)
    finally:
        if short_lived is not None:
            os.environ["RLS_LOCAL_JVM_OPTIONS"] = short_lived
    yield backend
    backend.spark.stop()


@pytest.fixture
def use_scenario(warehouse: LocalWarehouseBackend, example_scenario: Scenario) -> Iterator[Callable[[Scenario], None]]:
    from rls_local.warehouse import install_platform

    def install(scenario: Scenario) -> None:
        install_platform(warehouse, scenario)

    yield install
    install_platform(warehouse, example_scenario)


@pytest.fixture(autouse=True)
def _platform_kept(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that had the session warehouse leaves ``is_account_group_member`` answering as it was when the test
    began, whatever the test installed (tests/flow.py installs its scenario's): the next test never inherits another
    account's memberships. A module-scoped fixture that installs its own account (set up before this) keeps it for
    the module's tests and puts the example back itself. Only for a test that has the session's Spark anyway, and
    only when something else was installed (rewriting the membership table costs a Spark job)."""
    if "warehouse" not in request.fixturenames:
        yield
        return
    from rls_local.warehouse.platform import install_memberships, installed

    warehouse = request.getfixturevalue("warehouse")
    before = installed(warehouse)
    yield
    if before is not None and installed(warehouse) != before:
        install_memberships(warehouse, before)


@pytest.fixture
def attached_policies(warehouse: LocalWarehouseBackend) -> Iterator[None]:
    """A row filter on the metastore (reaches every catalog, `system` included) and one on catalog `main`; removed
    after the test, with the READ METADATA grant tests give the platform's principal on `system`."""
    from rls_local.warehouse.policies import attach_policy, detach_policy

    warehouse.execute("CREATE SCHEMA IF NOT EXISTS `main`.`policies_t`")  # the catalog `main` exists

    store = warehouse.privileges.store
    attach_policy(store, None, "everywhere_rf")
    attach_policy(store, "main", "main_rf", "COLUMN_MASK")
    yield
    detach_policy(store, "everywhere_rf")
    detach_policy(store, "main_rf")
    warehouse.run(f"REVOKE READ METADATA ON CATALOG `system` FROM `{warehouse.platform_principal}`")


@pytest.fixture
def rls_in_process(capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """``rls ARGS`` through the console script's ``main`` in this process (see the module docstring)."""
    return lambda *args: run_main(capsys, *args)


@pytest.fixture
def silent_host() -> Iterator[str]:
    """A real TCP server that accepts connections and never answers: every call to it times out."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for c in held:
        c.close()
    server.close()
