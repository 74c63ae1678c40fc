"""Every configuration value is checked when the config loads, and the message names the key.

A value that is accepted and fails late can fail while the collector is elevated (a negative restore back-off
crashed the restore); one that is silently truncated (1.9 workers) does something nobody asked for.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rls.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[1]


def load_yaml(tmp_path: Path, text: str):
    path = tmp_path / "rls.yml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("collect: {restore_backoff_s: -1}", "collect.restore_backoff_s", "0 or more"),
        ("collect: {propagation_timeout_s: -5}", "collect.propagation_timeout_s", "0 or more"),
        ("collect: {read_local_admins: maybe}", "collect.read_local_admins", ""),
        ("collect: {elevation_concurrency: 0}", "collect.elevation_concurrency", "at least 1"),
        ("collect: {workspace_concurrency: 1.9}", "collect.workspace_concurrency", "whole number"),
        ("publish: {parallelism: 2.5}", "publish.parallelism", "whole number"),
        ("collect: {workspace_concurrency: true}", "collect.workspace_concurrency", "whole number"),
        ("collect: {rate_limits: {scim_gets: 5}}", "collect.rate_limits.scim_gets", "unknown family"),
        ("collect: {rate_limits: {write: 0}}", "collect.rate_limits.write", "positive"),
        ("collect: {rate_limits: {write: .inf}}", "collect.rate_limits.write", "finite"),
        ("collect: {http_timeout_s: .nan}", "collect.http_timeout_s", "finite"),
        ("collect: {http_timeout_s: 0}", "collect.http_timeout_s", "more than 0"),
        ("collect: {retry_timeout_s: -5}", "collect.retry_timeout_s", "more than 0"),
        ("collect: {max_admin_drop: .nan}", "collect.max_admin_drop", "finite"),
        ("collect: {max_admin_drop: 1.5}", "collect.max_admin_drop", "(0, 1]"),
        ("collect: {cloud: azur}", "collect.cloud", "aws, azure or gcp"),
        ("table_format: csv", "table_format", "delta or parquet"),
        ("catalog: '   '", "catalog", "non-empty string"),
        ("schema: ''", "schema", "non-empty string"),
        ("collect: {account_id: ''}", "collect.account_id", "non-empty string"),
        ("collect: {account_host: accounts.cloud.databricks.com}", "collect.account_host", "https://"),
        ("collect: {workspace_host_template: 'https://{host}.x'}", "collect.workspace_host_template", "only"),
        ("publish: {owner: ''}", "publish.owner", "non-empty string"),
        ("publish: {grant_select_to: ['']}", "publish.grant_select_to[0]", "non-empty string"),
        ("publish: {access_levels: {query.history: selff}}", "publish.access_levels.query.history", "admin, self"),
        ("publish: {access_levels: {history: self}}", "publish.access_levels", "schema.table"),
        ("publish: {identity_columns: {query.history: []}}", "publish.identity_columns.query.history", "non-empty"),
        ("publish: {prune: maybe}", "publish.prune", "true or false"),
    ],
)
def test_a_bad_value_is_refused_at_load_naming_its_key(tmp_path: Path, text: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_yaml(tmp_path, text)
    message = str(e.value)
    assert f"'{key}" in message and words in message and "\n" not in message, message


def test_good_values_still_load(tmp_path: Path) -> None:
    cfg = load_yaml(
        tmp_path,
        "collect: {workspace_concurrency: 4.0, restore_backoff_s: 0, rate_limits: {write: 2}, "
        "workspace_host_template: 'https://{deployment_name}.cloud.databricks.com'}\n"
        "publish: {parallelism: '3', access_levels: {query.history: self}}\n",
    )
    assert cfg.collect.workspace_concurrency == 4 and isinstance(cfg.collect.workspace_concurrency, int)
    assert cfg.collect.restore_backoff_s == 0 and cfg.publish.parallelism == 3
    load_config(ROOT / "rls.yml")


def test_the_cli_says_it_in_one_line_and_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "rls.yml"
    config.write_text("collect: {restore_backoff_s: -1}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-m", "rls", "collect", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "collect.restore_backoff_s" in lines[0], proc.stderr
