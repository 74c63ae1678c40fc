"""The Databricks Asset Bundle (databricks.yml, resources/*.yml), checked offline.

The bundle is loaded the way the Databricks CLI loads it, for the parts this bundle uses: `include` globs merged into
databricks.yml (maps merged key by key, lists concatenated), then one target's overrides merged on top
(`MergeTargetOverrides`), then job tasks / parameters / job clusters with the same key merged into one
(`MergeJobTasks` and friends). Local paths are resolved, as the CLI does, against the file that wrote them.
Nothing is interpolated: `${...}` strings stay as they are, which the official JSON schema allows (every
non-string field is a `oneOf` of its type and a `${bundle|workspace|var|resources|artifacts...}` pattern).
Each result is validated against that schema (the CLI's published bundle schema, kept in tests/data).
"""

from __future__ import annotations

import ast
import copy
import functools
import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from rls import exitcodes
from rls.config import load_config
from rls.jobs import TaskFailed
from rls.task import PARAMETERS as task_parameters

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = Path(__file__).parent / "data" / "databricks-bundle-schema.json"

TARGETS = ("dev", "dev_cluster", "prod", "prod_region")
PROD_TARGETS = ("prod", "prod_region")  # the home region, and every other region
TASK_ENTRY = ROOT / "src/rls/task.py"  # the wheel's `rls-task` console script every job task runs
DASHBOARD_VIEWS = {"vw_system_billing_usage", "vw_system_query_history", "vw_system_lakeflow_job_run_timeline"}
REQUIRED_VARIABLES = {"account_id", "collector_application_id", "warehouse_id"}  # no default: `--var` them on deploy


# ---------------------------------------------------------------------------------------------- loading, like the CLI


class BundleError(ValueError):
    """A bundle the CLI would refuse to load."""


class LocalPath(str):
    """A local path written in a bundle file; the CLI resolves it against the directory of that file."""

    base: Path

    def __new__(cls, value: str, base: Path) -> LocalPath:
        obj = super().__new__(cls, value)
        obj.base = base
        return obj

    def __getnewargs__(self) -> tuple[str, Path]:  # keeps `base` through copy.deepcopy
        return (str(self), self.base)

    @property
    def resolved(self) -> Path:
        return (self.base / self).resolve()


def _mark_paths(section: dict, base: Path) -> None:
    """Wrap the local paths of one file's top level or target section (the kinds this bundle uses)."""

    def mark(holder: dict, key: str) -> None:
        if isinstance(holder.get(key), str):
            holder[key] = LocalPath(holder[key], base)

    for artifact in (section.get("artifacts") or {}).values():
        mark(artifact, "path")
    resources = section.get("resources") or {}
    for job in (resources.get("jobs") or {}).values():
        for task in job.get("tasks") or []:
            mark(task.get("notebook_task") or {}, "notebook_path")
            for library in task.get("libraries") or []:
                mark(library, "whl")
        for env in job.get("environments") or []:
            deps = (env.get("spec") or {}).get("dependencies")
            if isinstance(deps, list):
                env["spec"]["dependencies"] = [LocalPath(d, base) if d.startswith(("./", "../")) else d for d in deps]
    for dashboard in (resources.get("dashboards") or {}).values():
        mark(dashboard, "file_path")


def _load_file(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    _mark_paths(doc, path.parent)
    for target in (doc.get("targets") or {}).values():
        _mark_paths(target or {}, path.parent)
    return doc


def merge(a: Any, b: Any) -> Any:
    """libs/dyn/merge: maps merge key by key, sequences concatenate, anything else is replaced by `b`."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, dict) != isinstance(b, dict) or isinstance(a, list) != isinstance(b, list):
        raise BundleError(f"cannot merge {type(a).__name__} with {type(b).__name__}")
    if isinstance(a, dict):
        return {**a, **{k: merge(a[k], v) if k in a else v for k, v in b.items()}}
    if isinstance(a, list):
        return a + b
    return b


def load_bundle(root: Path = ROOT) -> dict:
    """databricks.yml with its `include` files merged in; a resource defined twice is an error, as in the CLI."""
    doc = _load_file(root / "databricks.yml")
    for pattern in doc.get("include") or []:
        for path in sorted(root.glob(pattern)):
            extra = _load_file(path)
            for kind, items in (extra.get("resources") or {}).items():
                clash = set(items or {}) & set((doc.get("resources") or {}).get(kind) or {})
                if clash:
                    raise BundleError(f"{path.name}: resources.{kind}.{sorted(clash)} defined twice")
            doc = merge(doc, extra)
    return doc


def _merge_by_key(items: list[dict], key: str) -> list[dict]:
    merged: dict[str, dict] = {}
    for item in items:
        merged[item[key]] = merge(merged[item[key]], item) if item[key] in merged else item
    return [merged[k] for k in sorted(merged)]


def select_target(doc: dict, name: str) -> tuple[dict, str | None]:
    """The configuration `-t <name>` deploys, and the target's mode (kept apart: it is not a schema field)."""
    targets = doc.get("targets") or {}
    if name not in targets:
        raise BundleError(f"no target {name!r}")
    target = targets[name] or {}
    out = copy.deepcopy({k: v for k, v in doc.items() if k != "targets"})
    for field in ("bundle", "workspace", "artifacts", "resources", "sync", "permissions", "presets"):
        if field in target:
            out[field] = merge(out.get(field), copy.deepcopy(target[field]))
    variables = out.get("variables") or {}
    for var, value in (target.get("variables") or {}).items():
        if var not in variables:
            raise BundleError(f"variable {var} is not defined but is assigned a value")
        full = isinstance(value, dict) and {"default", "lookup"} & value.keys()
        override = value if full else {"default": value}
        for field, other in (("default", "lookup"), ("lookup", "default")):
            if field in override:
                variables[var][field] = override[field]
                variables[var].pop(other, None)
    if "run_as" in target:
        out["run_as"] = target["run_as"]
    if "cluster_id" in target:
        out["bundle"] = {**out.get("bundle", {}), "cluster_id": target["cluster_id"]}
    for job in ((out.get("resources") or {}).get("jobs") or {}).values():
        for field, key in (("tasks", "task_key"), ("parameters", "name"), ("job_clusters", "job_cluster_key")):
            if isinstance(job.get(field), list):
                job[field] = _merge_by_key(job[field], key)
    return out, target.get("mode")


# ------------------------------------------------------------------------------------------------------- the schema


def _python_pattern(pattern: str) -> str:
    """The schema's patterns are Go regexps with \\p{L} / \\p{N}, which Python's `re` lacks."""
    return pattern.replace(r"[\p{L}\p{N}]", r"[^\W_]").replace(r"\p{L}", r"[^\W\d_]")


def _translate(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _python_pattern(v) if k == "pattern" else _translate(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_translate(v) for v in node]
    return node


@functools.cache
def validator() -> jsonschema.Draft202012Validator:
    schema = _translate(json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert r"\p{" not in json.dumps(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_errors(doc: dict) -> list[str]:
    """One line per error, from its most relevant cause (a `oneOf` error alone only says "not valid")."""
    leaves = [jsonschema.exceptions.best_match([e]) for e in validator().iter_errors(doc)]
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:200]}" for e in leaves)


# --------------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def bundle() -> dict:
    return load_bundle()


@pytest.fixture(scope="module")
def targets(bundle: dict) -> dict[str, tuple[dict, str | None]]:
    return {name: select_target(bundle, name) for name in TARGETS}


def _job(config: dict) -> dict:
    return config["resources"]["jobs"]["rls"]


def _walk(node: Any):
    yield node
    children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in children:
        yield from _walk(child)


# ------------------------------------------------------------------------------------------------ schema validation


def test_translated_patterns_still_tell_interpolations_from_junk():
    def job(value: Any) -> dict:
        return {"resources": {"jobs": {"j": {"max_concurrent_runs": value}}}}

    assert schema_errors(job(1)) == []
    assert schema_errors(job("${var.max_runs}")) == []
    assert schema_errors(job("${resources.jobs.other.max_runs}")) == []
    assert schema_errors(job("${nothing.known}")) != []
    assert schema_errors(job("one")) != []


def test_bundle_as_written_validates(bundle):
    assert set(bundle["targets"]) == set(TARGETS)
    assert schema_errors(bundle) == []


@pytest.mark.parametrize("name", TARGETS)
def test_each_target_validates(targets, name):
    config, mode = targets[name]
    assert mode in ("development", "production")
    assert schema_errors(config) == []


@pytest.mark.parametrize(
    ("file", "old", "new", "where"),
    [
        # control: the untouched copy passes, so the failures below come from the edits
        (None, None, None, None),
        ("resources/rls.job.yml", "max_concurrent_runs: 1", "max_concurrent_runs: once", "max_concurrent_runs"),
        ("resources/rls.job.yml", "python_wheel_task:", "python_wheel_tsak:", "'python_wheel_tsak' was unexpected"),
        ("resources/rls.job.yml", "package_name: rls", "package: rls", "tasks/0/python_wheel_task"),
        (
            "resources/rls.job.yml",
            "timezone_id: UTC\n",
            "timezone_id: UTC\n        pause_status: SOMETIMES\n",
            "schedule/pause_status",
        ),
        # a job parameter's default is a string: an unquoted YAML boolean is not
        ("resources/rls.job.yml", 'default: "false"', "default: false", "parameters/"),
        ("resources/rls.job.yml", "timeout_seconds: 10800", "timeout_seconds: ${nothing.known}", "timeout_seconds"),
        ("resources/rls.dashboard.yml", "embed_credentials: false", "embed_credentials: nope", "embed_credentials"),
        ("databricks.yml", "trigger_pause_status: UNPAUSED", "trigger_pause_status: 42", "trigger_pause_status"),
        ("databricks.yml", "level: CAN_MANAGE", "level: CAN_DO_ANYTHING", "permissions/0/level"),
        ("databricks.yml", "    type: whl\n", "    type: whl\n    kind: wheel\n", "'kind' was unexpected"),
        ("resources/rls.job.yml", "run_if: ALL_DONE", "run_if: WHENEVER", "run_if"),
    ],
)
def test_a_broken_copy_of_the_bundle_is_rejected(tmp_path, file, old, new, where):
    shutil.copy(ROOT / "databricks.yml", tmp_path / "databricks.yml")
    shutil.copytree(ROOT / "resources", tmp_path / "resources")
    if file:
        path = tmp_path / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{file} no longer contains {old!r}: update this test"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    doc = load_bundle(tmp_path)
    errors = schema_errors(doc) + [e for name in TARGETS for e in schema_errors(select_target(doc, name)[0])]
    if file:
        assert any(where in e for e in errors), errors
    else:
        assert errors == []


def test_target_loader_rejects_what_the_cli_rejects(bundle):
    with pytest.raises(BundleError, match="not defined"):
        select_target(merge(bundle, {"targets": {"dev": {"variables": {"no_such_variable": 1}}}}), "dev")
    with pytest.raises(BundleError, match="cannot merge"):
        merge({"schedule": {"pause_status": "PAUSED"}}, {"schedule": "daily"})


# ----------------------------------------------------------------------------------------------- what is deployed


def test_targets_and_modes(bundle, targets):
    assert [n for n, t in bundle["targets"].items() if t.get("default")] == ["dev"]
    assert {n: mode for n, (_, mode) in targets.items()} == {
        "dev": "development",
        "dev_cluster": "development",
        "prod": "production",
        "prod_region": "production",
    }


def _pause_status(config: dict, mode: str | None) -> str:
    """A schedule's own status, else presets.trigger_pause_status (which development mode defaults to PAUSED),
    else the API's default, UNPAUSED."""
    preset = config.get("presets", {}).get("trigger_pause_status") or ("PAUSED" if mode == "development" else None)
    return _job(config)["schedule"].get("pause_status") or preset or "UNPAUSED"


@pytest.mark.parametrize("name", PROD_TARGETS)
def test_prod_runs_as_the_collector_daily_and_dev_stays_paused(targets, name):
    prod, mode = targets[name]
    assert prod["run_as"] == {"service_principal_name": "${var.collector_application_id}"}
    assert _pause_status(prod, mode) == "UNPAUSED"
    # mode: production refuses a deployment without an explicit root_path (one shared copy)
    assert prod["workspace"]["root_path"].startswith("/Workspace/")
    assert {"service_principal_name": "${var.collector_application_id}", "level": "CAN_MANAGE"} in prod["permissions"]
    for dev in ("dev", "dev_cluster"):
        config, mode = targets[dev]
        assert "run_as" not in config
        assert _pause_status(config, mode) == "PAUSED"


def _wheel_tasks(job: dict) -> list[dict]:
    return [t for t in job["tasks"] if "python_wheel_task" in t]


def _console_scripts() -> dict[str, str]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]


def _task_argv(task: dict, values: dict[str, str]) -> list[str]:
    """The arguments a python_wheel_task passes, with `{{job.parameters.x}}` resolved from ``values``."""
    return [_PARAM_REF.sub(lambda m: values[m[1] or m[2]], a) for a in task["python_wheel_task"]["parameters"]]


@pytest.mark.parametrize("name", TARGETS)
def test_job_shape(targets, name):
    job = _job(targets[name][0])
    assert job["max_concurrent_runs"] == 1
    # the loader sorts tasks by key, like the CLI's task merge
    assert sorted(t["task_key"] for t in job["tasks"]) == ["collect", "fail_run", "publish"]
    # every task runs the wheel: the documented way to run a wheel on serverless (a python_wheel_task with an
    # environment, docs.databricks.com/jobs/python-wheel.html), never a notebook with an environment_key
    assert [t["task_key"] for t in _wheel_tasks(job)] == ["collect", "fail_run", "publish"]
    scripts = _console_scripts()
    for task in _wheel_tasks(job):
        wheel_task = task["python_wheel_task"]
        assert wheel_task["package_name"] == "rls"  # the distribution the artifact builds
        assert scripts[wheel_task["entry_point"]] == "rls.task:main"
        assert wheel_task["parameters"][0] == task["task_key"]
        assert 0 < task["timeout_seconds"] <= job["timeout_seconds"]
    # the job's parameters are exactly what the task entry point reads (a missing one would fail on Databricks only)
    assert {p["name"] for p in job["parameters"]} == set(task_parameters)
    assert len(job["schedule"]["quartz_cron_expression"].split()) in (6, 7)
    assert job["email_notifications"]["on_failure"] == "${var.notification_emails}"
    assert job["webhook_notifications"]["on_failure"] == "${var.failure_webhooks}"


def test_config_parameter_points_at_the_shipped_config(targets):
    params = {p["name"]: p["default"] for p in _job(targets["prod"][0])["parameters"]}
    assert params["config"] == "${workspace.file_path}/rls.yml"
    assert params["catalog"] == "${var.catalog}"
    assert params["schema"] == "${var.schema}"
    assert params["secret_scope"] == "${var.secret_scope}"
    assert params["account_id"] == "${var.account_id}"
    assert (params["dry_run"], params["force"]) == ("false", "false")
    assert (params["source_catalog"], params["sharing_provider"]) == (
        "${var.source_catalog}",
        "${var.sharing_provider}",
    )
    assert (ROOT / "rls.yml").is_file()


def _wheel_glob(bundle: dict) -> Path:
    (artifact,) = bundle["artifacts"].values()
    assert artifact["type"] == "whl"
    assert artifact["build"] == "uv build --wheel"
    assert artifact["path"].resolved == ROOT
    assert (ROOT / "pyproject.toml").is_file()
    return artifact["path"].resolved / "dist" / "*.whl"  # the CLI's default files for a whl artifact


@pytest.mark.parametrize("name", TARGETS)
def test_tasks_install_the_wheel_the_artifact_builds(bundle, targets, name):
    wheel = _wheel_glob(bundle)
    config, _ = targets[name]
    job = _job(config)
    environments = {e["environment_key"]: e for e in job["environments"]}
    assert [d.resolved for d in environments["default"]["spec"]["dependencies"]] == [wheel]
    cluster = config.get("bundle", {}).get("cluster_id")
    for task in _wheel_tasks(job):
        # the CLI's `cluster_id` override swaps environment_key for existing_cluster_id on every task with compute
        assert task["environment_key"] in environments
        assert "existing_cluster_id" not in task
        if cluster:
            assert [lib["whl"].resolved for lib in task["libraries"]] == [wheel]
        else:
            assert "libraries" not in task  # serverless tasks take libraries from their environment only
    assert (cluster == "${var.existing_cluster_id}") == (name == "dev_cluster")


def test_every_local_path_exists(bundle):
    paths = [n for n in _walk(bundle) if isinstance(n, LocalPath)]
    assert paths
    for path in paths:
        if "*" in path:
            continue  # build output (dist/*.whl): checked against the artifact above
        assert path.resolved.exists(), f"{path} (from {path.base}) does not exist"
        if path.resolved.suffix == ".py":
            assert path.resolved.read_text(encoding="utf-8").startswith("# Databricks notebook source\n")


# ------------------------------------------------------------------------------------------------------ regions
# One collection, in the home region (`prod`); every other region (`prod_region`) only publishes, over the home
# region's tables mounted through Delta Sharing. No condition task decides it (an empty operand is no documented
# path): the collect task itself does nothing where `source_catalog` is set, and a publish without views fails.

_PARAM_REF = re.compile(r"\{\{\s*job\.parameters\.(?:\[([^\]]+)\]|([\w-]+))\s*\}\}")


def _parameter_refs(node: Any) -> set[str]:
    """Job parameters named by `{{job.parameters.<name>}}` (or `{{job.parameters.[<name>]}}`) anywhere in a job."""
    return {a or b for n in _walk(node) if isinstance(n, str) for a, b in _PARAM_REF.findall(n)}


def _tasks(job: dict) -> dict[str, dict]:
    return {t["task_key"]: t for t in job["tasks"]}


def test_parameter_reference_finder_can_fail():
    assert _parameter_refs({"a": ["{{job.parameters.x}}", "{{ job.parameters.[y-z] }}", "{{job.id}}"]}) == {"x", "y-z"}
    assert _parameter_refs({"a": "${var.x} {{tasks.t.values.v}}"}) == set()


@pytest.mark.parametrize("name", TARGETS)
def test_every_referenced_job_parameter_is_declared(targets, name):
    job = _job(targets[name][0])
    refs = _parameter_refs(job)
    assert "source_catalog" in refs  # what tells the home region from the others
    assert refs <= {p["name"] for p in job["parameters"]}, refs - {p["name"] for p in job["parameters"]}


@pytest.mark.parametrize("name", TARGETS)
def test_every_task_argument_reaches_the_entry_point(targets, name):
    """The arguments each task passes parse (rls.task.parse) into the job's parameters, and the region's
    source_catalog reaches both collect (to stand down) and publish (to read the share)."""
    from rls.task import parse

    job = _job(targets[name][0])
    values = {p["name"]: f"<{p['name']}>" for p in job["parameters"]}
    tasks = _tasks(job)
    for key, task in tasks.items():
        parsed_task, params = parse(_task_argv(task, values))
        assert parsed_task == key
        assert all(params[n] == f"<{n}>" for n in params)
    for key in ("collect", "publish"):
        params = parse(_task_argv(tasks[key], values))[1]
        assert {"catalog", "schema", "config", "account_id", "source_catalog", "sharing_provider"} <= params.keys()
    assert "secret_scope" in parse(_task_argv(tasks["collect"], values))[1]


def test_task_arguments_are_refused_in_one_line():
    from rls.errors import InputError
    from rls.task import parse

    with pytest.raises(InputError, match="first argument"):
        parse(["colect"])
    with pytest.raises(InputError, match="--catalgo=x"):
        parse(["collect", "--catalgo=x"])
    assert parse(["publish", "--source_catalog="]) == ("publish", {"source_catalog": ""})


@pytest.mark.parametrize("name", TARGETS)
def test_only_documented_deploy_paths(bundle, targets, name):
    """No notebook task with an environment_key, no condition task with an empty operand or a dependency on one
    without an outcome (docs/platform-facts.md, "Bundles": unverified on the server)."""
    job = _job(targets[name][0])
    for task in job["tasks"]:
        assert not ("notebook_task" in task and "environment_key" in task), task["task_key"]
        condition = task.get("condition_task")
        if condition:
            assert condition.get("left") and condition.get("right"), task["task_key"]
    conditions = {t["task_key"] for t in job["tasks"] if "condition_task" in t}
    for task in job["tasks"]:
        for dep in task.get("depends_on", []):
            assert dep["task_key"] not in conditions or "outcome" in dep


def test_the_cli_version_is_pinned_for_dashboards_with_run_as(bundle):
    """CLI releases before v0.297.0 refuse a dashboard in a bundle whose run_as differs from the deployer
    (databricks/cli #4961); the prod targets have both."""
    pin = bundle["bundle"]["databricks_cli_version"]
    match = re.fullmatch(r">=\s*(\d+)\.(\d+)\.(\d+)", pin.strip())
    assert match, pin
    assert tuple(map(int, match.groups())) >= (0, 297, 0)


@pytest.mark.parametrize("name", TARGETS)
def test_only_the_home_region_collects(targets, name):
    tasks = _tasks(_job(targets[name][0]))
    assert "depends_on" not in tasks["collect"]
    assert tasks["publish"]["depends_on"] == [{"task_key": "collect"}]
    assert tasks["publish"]["run_if"] == "ALL_DONE"  # after any collect outcome, and after its no-op elsewhere


def test_collect_stands_down_in_another_region_without_touching_anything(monkeypatch):
    """The collect task with source_catalog set returns before reading a secret or opening Spark: a region that
    is not home never collects."""
    from rls import task

    def refuse(*_a, **_k):
        raise AssertionError("another region's collect task touched a secret or the account")

    monkeypatch.setattr("rls.jobs.collector_credentials", refuse)
    monkeypatch.setattr("rls.jobs.run_task", refuse)
    assert task.run("collect", {"source_catalog": "rls_home", "sharing_provider": "home"}) == {}


def test_a_publish_that_leaves_no_view_fails_the_task():
    from rls.jobs import check_task_outcome
    from rls.publish.report import PublishReport, ViewResult

    cfg = load_config(None, {"catalog": "main", "schema": "rls"})
    empty = PublishReport("main", "rls", "information_schema")
    with pytest.raises(TaskFailed, match=r"no view was published in main\.rls"):
        check_task_outcome("publish", cfg, {"publish": empty})
    one = PublishReport("main", "rls", "information_schema", results=[ViewResult("access.audit", "v", "unchanged")])
    check_task_outcome("publish", cfg, {"publish": one})  # control: one view in place is a success


def _evaluate(op: str, left: str, right: str) -> bool:
    if op in ("EQUAL_TO", "NOT_EQUAL"):
        return (left == right) == (op == "EQUAL_TO")  # string comparison
    a, b = float(left), float(right)
    return {"GREATER_THAN": a > b, "GREATER_THAN_OR_EQUAL": a >= b, "LESS_THAN": a < b, "LESS_THAN_OR_EQUAL": a <= b}[
        op
    ]


def simulate_run(job: dict, params: dict[str, str], failing: frozenset[str] = frozenset()) -> dict[str, str]:
    """Each task's end state in one run, by the documented rules (docs.databricks.com/jobs/run-if.html, if-else.html):
    a condition task ends `true` or `false`; a dependency on it with a different `outcome` is not met, and its dependent
    is excluded; a task whose dependencies are all excluded is excluded, whatever its run_if; an excluded dependency
    counts as succeeded; ALL_SUCCESS needs every other dependency succeeded, ALL_DONE only that they ended."""
    declared = {p["name"]: p["default"] for p in job["parameters"]}
    values = {**declared, **params}

    def resolve(operand: str) -> str:
        return _PARAM_REF.sub(lambda m: values[m[1] or m[2]], operand)

    tasks = _tasks(job)
    state: dict[str, str] = {}
    while len(state) < len(tasks):
        ready = [
            k
            for k, t in tasks.items()
            if k not in state and all(d["task_key"] in state for d in t.get("depends_on", []))
        ]
        assert ready, "dependency cycle"
        for key in ready:
            task = tasks[key]
            deps = []
            for dep in task.get("depends_on", []):
                upstream = state[dep["task_key"]]
                if "outcome" in dep:
                    assert upstream in ("true", "false"), "outcome is only for condition task dependencies"
                    deps.append("succeeded" if upstream == dep["outcome"] else "excluded")
                else:
                    deps.append("succeeded" if upstream in ("true", "false") else upstream)
            run_if = task.get("run_if", "ALL_SUCCESS")
            if deps and all(d == "excluded" for d in deps):
                state[key] = "excluded"
            elif run_if == "ALL_SUCCESS" and any(d not in ("succeeded", "excluded") for d in deps):
                state[key] = "upstream failed"
            elif run_if == "AT_LEAST_ONE_FAILED" and not any(d in ("failed", "upstream failed") for d in deps):
                state[key] = "excluded"  # a failure-handling task whose condition is not met
            elif run_if not in ("ALL_SUCCESS", "ALL_DONE", "AT_LEAST_ONE_FAILED"):
                raise AssertionError(f"run_if {run_if} is not simulated")
            elif "condition_task" in task:
                c = task["condition_task"]
                state[key] = str(_evaluate(c["op"], resolve(c["left"]), resolve(c["right"]))).lower()
            else:
                # fail_run fails whenever it runs (test_fail_run_fails_with_one_clear_line)
                state[key] = "failed" if key in failing or key == "fail_run" else "succeeded"
    return state


def run_result(job: dict, state: dict[str, str]) -> str:
    """The run's result by the documented rule (docs.databricks.com/jobs/run-if.html, "How does Databricks Jobs
    determine job run status?"): FAILED when a leaf task (no task depends on it) failed; SUCCESS_WITH_FAILURES when
    some task failed but every leaf succeeded; SUCCESS otherwise. on_failure fires on FAILED (and TIMED_OUT) only."""
    upstream = {d["task_key"] for t in job["tasks"] for d in t.get("depends_on", [])}
    failed = {k for k, s in state.items() if s in ("failed", "upstream failed")}
    if failed & (set(state) - upstream):
        return "FAILED"
    return "SUCCESS_WITH_FAILURES" if failed else "SUCCESS"


HOME = {"source_catalog": "", "sharing_provider": ""}  # the variables' defaults: `-t prod`
OTHER_REGION = {"source_catalog": "rls_home", "sharing_provider": "home_metastore"}  # `-t prod_region --var ...`


@pytest.mark.parametrize("name", PROD_TARGETS)
def test_run_collects_at_home_and_publishes_everywhere(targets, name):
    job = _job(targets[name][0])
    home = simulate_run(job, HOME)
    assert home == {"collect": "succeeded", "publish": "succeeded", "fail_run": "excluded"}
    assert run_result(job, home) == "SUCCESS"
    # a failed collect still publishes (last-known-good rows)
    assert simulate_run(job, HOME, frozenset({"collect"}))["publish"] == "succeeded"
    other = simulate_run(job, OTHER_REGION)  # collect stands down (succeeds doing nothing), publish publishes
    assert other == {"collect": "succeeded", "publish": "succeeded", "fail_run": "excluded"}
    assert run_result(job, other) == "SUCCESS"
    # a publish that leaves no view fails its task (check_task_outcome): the region's run ends FAILED
    assert run_result(job, simulate_run(job, OTHER_REGION, frozenset({"publish"}))) == "FAILED"


@pytest.mark.parametrize("name", PROD_TARGETS)
@pytest.mark.parametrize(
    ("params", "failing"),
    [(HOME, {"collect"}), (HOME, {"publish"}), (HOME, {"collect", "publish"}), (OTHER_REGION, {"publish"})],
)
def test_a_run_where_collect_or_publish_failed_ends_failed_so_on_failure_fires(targets, name, params, failing):
    job = _job(targets[name][0])
    state = simulate_run(job, params, frozenset(failing))
    assert state["fail_run"] == "failed"
    assert run_result(job, state) == "FAILED"


def test_without_fail_run_a_failed_collect_would_end_success_with_failures(targets):
    """Control: publish runs after any collect outcome, so as the leaf it hides a failed collect from on_failure."""
    job = copy.deepcopy(_job(targets["prod"][0]))
    job["tasks"] = [t for t in job["tasks"] if t["task_key"] != "fail_run"]
    state = simulate_run(job, HOME, frozenset({"collect"}))
    assert state["publish"] == "succeeded"
    assert run_result(job, state) == "SUCCESS_WITH_FAILURES"


def test_fail_run_fails_with_one_clear_line():
    from rls.task import main

    with pytest.raises(TaskFailed) as failed:
        main(["fail_run"])
    assert failed.value.exit_code == exitcodes.ERROR
    assert "\n" not in str(failed.value) and "on_failure" in str(failed.value)


@pytest.mark.parametrize("name", TARGETS)
def test_the_doctor_job_runs_the_wheel_read_only(bundle, targets, name):
    """`databricks bundle run rls_doctor`: the same wheel entry point, task `doctor`, with the parameters it reads."""
    from rls.task import parse

    config, _ = targets[name]
    job = config["resources"]["jobs"]["rls_doctor"]
    (task,) = job["tasks"]
    assert task["python_wheel_task"]["entry_point"] == "rls-task"
    values = {p["name"]: f"<{p['name']}>" for p in job["parameters"]}
    parsed, params = parse(_task_argv(task, values))
    assert parsed == "doctor" and {"config", "secret_scope", "account_id"} <= params.keys()
    assert _parameter_refs(job) <= set(values)
    if config.get("bundle", {}).get("cluster_id"):
        assert [lib["whl"].resolved for lib in task["libraries"]] == [_wheel_glob(bundle)]
    else:
        deps = [d.resolved for e in job["environments"] for d in e["spec"]["dependencies"]]
        assert deps == [_wheel_glob(bundle)] and task["environment_key"] == "default"


def test_prod_region_is_deployed_like_prod(bundle, targets):
    prod, prod_region = bundle["targets"]["prod"], bundle["targets"]["prod_region"]
    assert prod_region["mode"] == prod["mode"] == "production"
    for key in ("run_as", "workspace", "permissions", "presets"):
        assert prod_region[key] == prod[key], key
    # the host comes from the deploying profile (`-p`): a bundle host cannot be a variable
    assert "host" not in prod_region["workspace"]
    assert "variables" not in prod_region  # source_catalog / sharing_provider are --var'd per region
    for region in (prod, prod_region):
        assert "${var.source_catalog}" not in json.dumps(region)
    viewers = targets["prod_region"][0]["resources"]["dashboards"]["rls_overview"]["permissions"]
    assert {"group_name": "${var.dashboard_viewers_group}", "level": "CAN_READ"} in viewers


def test_sharing_variables_default_to_the_home_region(bundle):
    variables = bundle["variables"]
    assert variables["source_catalog"]["default"] == ""
    assert variables["sharing_provider"]["default"] == ""
    header = (ROOT / "databricks.yml").read_text(encoding="utf-8").split("\nbundle:", 1)[0]
    assert "-t prod_region -p <profile>" in header
    assert "--var source_catalog=" in header and "--var sharing_provider=" in header


# ------------------------------------------------------------------------- run_task: job parameters -> config


def test_run_task_takes_its_config_overrides_from_config_overrides():
    tree = ast.parse((ROOT / "src/rls/jobs.py").read_text(encoding="utf-8"))
    run_task = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "run_task")
    (_,) = _calls(run_task, "job_context")  # the bundle task's context, where its parameters become overrides
    job_context = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "job_context")
    (call,) = _calls(job_context, "Context")
    assert ast.unparse(call.args[1]) == "config_overrides(params)"


def test_job_parameters_map_to_the_sharing_config():
    from rls.jobs import config_overrides

    home = load_config(ROOT / "rls.yml", config_overrides({**HOME, "catalog": "main", "schema": "rls"}))
    assert (home.sharing.source_catalog, home.sharing.provider, home.reads_shared) == (None, None, False)
    other = load_config(ROOT / "rls.yml", config_overrides({**OTHER_REGION, "catalog": "main", "schema": "rls"}))
    assert (other.sharing.source_catalog, other.sharing.provider) == ("rls_home", "home_metastore")
    assert other.reads_shared
    assert other.collected_table("principals") == ("rls_home", "rls", "principals")
    # widgets of an older job (no such parameter) behave like the home region
    assert load_config(None, config_overrides({"catalog": "c", "schema": "s"})).reads_shared is False


def _with_sharing_example(tmp_path: Path) -> Path:
    """The shipped rls.yml with its commented-out `sharing:` example switched on, as the home region would."""
    lines = (ROOT / "rls.yml").read_text(encoding="utf-8").splitlines()
    start = lines.index("# sharing:")
    on = [line[2:] for line in lines[start:] if line.startswith("# ") or line == "#"]
    path = tmp_path / "rls.yml"
    path.write_text("\n".join(lines[:start] + on) + "\n", encoding="utf-8")
    return path


def test_one_config_file_serves_every_region(tmp_path):
    """Every region deploys the same rls.yml; its recipients are the home region's list and must not break the
    other regions, where the config refuses recipients next to source_catalog."""
    from rls.config import ConfigError
    from rls.jobs import config_overrides

    path = _with_sharing_example(tmp_path)
    home = load_config(path, config_overrides(HOME))
    assert home.sharing.recipients and not home.reads_shared
    other = load_config(path, config_overrides(OTHER_REGION))
    assert other.reads_shared and other.sharing.recipients == {}
    with pytest.raises(ConfigError, match=r"sharing\.recipients"):  # what the override avoids
        load_config(path, {"sharing.source_catalog": "rls_home", "sharing.provider": "home_metastore"})


# -------------------------------------------------------------------------------------------------------- variables


def _bundle_texts() -> dict[str, str]:
    files = [ROOT / "databricks.yml", *sorted((ROOT / "resources").glob("*.yml"))]
    return {f.relative_to(ROOT).as_posix(): f.read_text(encoding="utf-8") for f in files}


def test_variables_are_defined_used_and_only_the_expected_ones_required(bundle):
    variables = bundle["variables"]
    used = {m for text in _bundle_texts().values() for m in re.findall(r"\$\{var\.([\w-]+)", text)}
    assert used <= variables.keys(), used - variables.keys()
    assert variables.keys() <= used, variables.keys() - used
    required = {n for n, v in variables.items() if "default" not in v and "lookup" not in v}
    assert required == REQUIRED_VARIABLES
    for name in ("notification_emails", "failure_webhooks"):
        # the job fields are lists: a comma string would not pass the schema, so these are complex variables
        assert variables[name]["type"] == "complex"
        assert variables[name]["default"] == []


# -------------------------------------------------------------------------------------------------------- dashboard


def test_dashboard_runs_as_each_viewer(bundle, targets):
    dashboard = bundle["resources"]["dashboards"]["rls_overview"]
    assert dashboard["embed_credentials"] is False  # True would show the publisher's rows to every viewer
    assert dashboard["warehouse_id"] == "${var.warehouse_id}"
    assert (dashboard["dataset_catalog"], dashboard["dataset_schema"]) == ("${var.catalog}", "${var.schema}")
    for config, _ in targets.values():
        assert config["resources"]["dashboards"]["rls_overview"]["embed_credentials"] is False
    prod_permissions = targets["prod"][0]["resources"]["dashboards"]["rls_overview"]["permissions"]
    assert {"group_name": "${var.dashboard_viewers_group}", "level": "CAN_READ"} in prod_permissions


def test_dashboard_file_reads_the_views(bundle):
    lvdash = json.loads(bundle["resources"]["dashboards"]["rls_overview"]["file_path"].resolved.read_text())
    datasets = {d["name"]: "".join(d["queryLines"]) for d in lvdash["datasets"]}
    widgets = [item["widget"] for page in lvdash["pages"] for item in page["layout"]]
    assert len({w["name"] for w in widgets}) == len(widgets)
    used = {q["query"]["datasetName"] for w in widgets for q in w.get("queries", [])}
    assert used == datasets.keys()  # every widget has its dataset, every dataset a widget
    read = r"\b(?:FROM|JOIN)\s+([\w.`]+)"
    tables = {t.strip("`").lower() for sql in datasets.values() for t in re.findall(read, sql)}
    assert tables >= DASHBOARD_VIEWS
    # only published objects: the filtered views and the reference view of the public price list, never system.*
    # (a viewer holds SELECT on the published objects only)
    assert tables - DASHBOARD_VIEWS == {"ref_system_billing_list_prices"}
    assert not any(t.startswith("system.") for t in tables)


# -------------------------------------------------------------------------------------------------------- secrets

_SECRET_VALUE = re.compile(r"\b(?:dapi|dose|dkea)[0-9a-f]{16,}|-----BEGIN [A-Z ]*PRIVATE KEY|\bAKIA[0-9A-Z]{16}\b")
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+=_-]{32,}")
_SECRET_KEY = re.compile(
    r"^\s*-?\s*[\w-]*?(?:secret|password|passwd|token|api_key|access_key|private_key)\s*:\s*(?P<value>\S.*)$",
    re.IGNORECASE | re.MULTILINE,
)


def find_secrets(text: str, yaml_keys: bool = True) -> list[str]:
    """Literal values that look like credentials: known token shapes, long random-looking runs, and literal values
    under credential-named YAML keys (a `${...}` reference is fine)."""
    found = [m.group(0) for m in _SECRET_VALUE.finditer(text)]
    found += [t for t in _LONG_TOKEN.findall(text) if re.search(r"\d", t) and re.search(r"[A-Za-z]", t)]
    if yaml_keys:
        found += [m.group(0).strip() for m in _SECRET_KEY.finditer(text) if not m["value"].startswith(("${", "#"))]
    return found


def test_secret_finder_can_fail():
    assert find_secrets("client_secret: hunter2")
    assert find_secrets("  token: abc")
    assert find_secrets("value: dapi0123456789abcdef0123456789abcdef")
    assert find_secrets("x: dose0123456789abcdef0123456789ab")
    assert find_secrets("x: 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo='")
    assert find_secrets("secret_scope: ${var.secret_scope}\nclient_secret: ${var.x}") == []


def test_no_secret_looking_values_in_the_bundle():
    texts = _bundle_texts()
    texts["rls.yml"] = (ROOT / "rls.yml").read_text(encoding="utf-8")
    for name, text in texts.items():
        assert find_secrets(text) == [], name
    assert find_secrets(TASK_ENTRY.read_text(encoding="utf-8"), yaml_keys=False) == []


# ---------------------------------------------------------------------------------------------------- task entry


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    def called(node: ast.Call) -> str:
        f = node.func
        return f.id if isinstance(f, ast.Name) else ast.unparse(f)

    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and called(n) == name]


def test_shipped_config_loads_and_comments_every_key():
    path = ROOT / "rls.yml"
    load_config(path)  # raises on any key config.py does not know
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        key = re.match(r"^\s*(\w+):", line)
        if key and key[1] not in ("collect", "publish"):
            assert lines[i - 1].lstrip().startswith("#"), f"rls.yml line {i + 1}: {key[1]} has no comment above it"
