"""The shape of the code, as rules a change cannot break without a test failing.

- No import circle among the modules of `rls` and of the local stack, counting every import (lazy ones inside
  functions and the ones under ``if TYPE_CHECKING:`` too: a circle drawn only for the type checker is still two
  modules that cannot be read one after the other).
- No module imports another module's private name (``from x import _y``).
- `rls` reads from top to bottom: the commands (CLI, job tasks, doctor) on verify/explain, on publish, on collect, on
  the tables' writer, on the base (config, SQL seam, model, the tables' names and shapes); no module imports from a
  layer above its own.
- The collected tables have one owner: only `rls.tables` writes tables (the SQL seam's write methods are called from
  nowhere else in `rls`).
- Every module stays within 300 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"rls": ROOT / "src" / "rls", "rls_local": ROOT / "local" / "src" / "rls_local"}
WRITES = {"save_table", "save_tables", "save_query", "stage_tables", "write_staged"}  # rls.sql.backend.SqlBackend
MAX_LINES = 300
# Bottom first; a module belongs to the first layer naming it or a package above it ("=": that module alone).
LAYERS = (
    ("base", ("=rls", "rls.errors", "rls.exitcodes", "rls.parallel", "rls.runoptions", "rls.sql", "rls.model",
              "rls.config", "rls.config_reading", "rls.config_validation", "rls.config_help", "rls.target",
              "=rls.tables")),
    ("tables", ("rls.tables",)),
    ("collect", ("rls.collect",)),
    ("publish", ("rls.publish",)),
    ("verify", ("rls.verify", "rls.explain", "rls.explanation")),
    ("commands", ("rls",)),
)  # fmt: skip


def _modules() -> dict[str, Path]:
    out = {}
    for root in PACKAGES.values():
        for path in root.rglob("*.py"):
            parts = path.relative_to(root.parent).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def _owner(name: str) -> str | None:
    """The module of ours that ``name`` (a module or a name inside one) lives in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> list[tuple[str, str]]:
    """(module imported, name taken from it or "") for every absolute import of ``module``, wherever it stands."""
    found = []
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, "") for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.module, a.name) for a in node.names]
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        targets = set()
        for imported, name in _imports(module):
            # `from pkg import sub` imports the submodule; `from mod import name` the module itself
            target = _owner(f"{imported}.{name}" if f"{imported}.{name}" in MODULES else imported)
            if target is not None and target != module:
                targets.add(target)
        graph[module] = targets
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_circle_finder_finds_a_circle() -> None:
    """Control: the finder sees a circle of three and a module importing itself is none."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circles() -> None:
    assert circles(_graph()) == []


def test_no_module_takes_another_modules_private_names() -> None:
    bad = [
        f"{module} imports {name} from {imported}"
        for module in MODULES
        for imported, name in _imports(module)
        if name.startswith("_") and not name.startswith("__") and _owner(imported) not in (None, module)
    ]
    assert bad == []


def layer(module: str) -> int:
    for rank, (_, members) in enumerate(LAYERS):
        for m in members:
            if module == m.lstrip("=") or (not m.startswith("=") and module.startswith(m + ".")):
                return rank
    raise AssertionError(f"{module} is in no layer")


def test_rls_imports_only_its_own_layer_and_below() -> None:
    upward = [
        f"{module} ({LAYERS[layer(module)][0]}) imports {target} ({LAYERS[layer(target)][0]})"
        for module, targets in _graph().items()
        if module.startswith("rls.") or module == "rls"
        for target in targets
        if layer(target) > layer(module)
    ]
    assert upward == []
    assert layer("rls.tables") < layer("rls.tables.snapshot") < layer("rls.collect.collector") < layer("rls.cli")


def test_only_rls_tables_writes_tables() -> None:
    """Calls of the SQL seam's write methods in `rls`: the seam itself defines them, `rls.tables` writes the collected
    tables; publish and everything else only read tables (they create views)."""
    writers = set()
    for module, path in MODULES.items():
        if not module.startswith("rls.") or module.startswith(("rls.sql", "rls.tables")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
                writers.add(f"{module}:{node.lineno} .{node.func.attr}()")
    assert writers == set()
    # and the rule has something to hold: rls.tables does write
    snapshot = (PACKAGES["rls"] / "tables" / "snapshot.py").read_text(encoding="utf-8")
    assert any(f".{w}(" in snapshot for w in WRITES)


def test_modules_stay_within_300_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in MODULES.values() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
