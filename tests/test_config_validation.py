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
        ("collect: {restore_backoff_s: -1}", "collect.restore_backoff_s", "0 to 60 seconds"),
        ("collect: {propagation_timeout_s: -5}", "collect.propagation_timeout_s", "0 to 3600 seconds"),
        ("collect: {read_local_admins: maybe}", "collect.read_local_admins", ""),
        ("collect: {elevation_concurrency: 0}", "collect.elevation_concurrency", "1 to 16"),
        ("collect: {workspace_concurrency: 1.9}", "collect.workspace_concurrency", "whole number"),
        ("publish: {parallelism: 2.5}", "publish.parallelism", "whole number"),
        ("collect: {workspace_concurrency: true}", "collect.workspace_concurrency", "whole number"),
        ("collect: {rate_limits: {scim_gets: 5}}", "collect.rate_limits.scim_gets", "unknown family"),
        ("collect: {rate_limits: {write: 0}}", "collect.rate_limits.write", "0.01 to 1000"),
        ("collect: {rate_limits: {write: .inf}}", "collect.rate_limits.write", "finite"),
        ("collect: {http_timeout_s: .nan}", "collect.http_timeout_s", "finite"),
        ("collect: {http_timeout_s: 0}", "collect.http_timeout_s", "1 to 600 seconds"),
        ("collect: {retry_timeout_s: -5}", "collect.retry_timeout_s", "1 to 3600 seconds"),
        ("collect: {max_admin_drop: .nan}", "collect.max_admin_drop", "finite"),
        ("collect: {max_admin_drop: 1.5}", "collect.max_admin_drop", "more than 0 to 1"),
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
        ("collect: {on_lease_held: block}", "collect.on_lease_held", "refuse or wait"),
        ("collect: {lease_ttl_s: 60}", "collect.lease_ttl_s", "120 to 3600 seconds"),
        ("collect: {lease_wait_s: -1}", "collect.lease_wait_s", "0 to 86400 seconds"),
        ("collect: {lease_ttl_s: 600, restore_backoff_s: 60}", "collect.lease_ttl_s", "no time to undo an elevation"),
    ],
)
def test_a_bad_value_is_refused_at_load_naming_its_key(tmp_path: Path, text: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_yaml(tmp_path, text)
    message = str(e.value)
    assert f"'{key}" in message and words in message and "\n" not in message, message


# The overflow attack and its kin: absurdly large or small values of every numeric key, refused at load with the range
# (restore_backoff_s: 1e308 once raised OverflowError mid-restore and left an elevation in place).
EXTREMES = [
    ("collect: {restore_backoff_s: 1e308}", "collect.restore_backoff_s"),
    ("collect: {http_timeout_s: 1e308}", "collect.http_timeout_s"),
    ("collect: {http_timeout_s: 1e-300}", "collect.http_timeout_s"),
    ("collect: {retry_timeout_s: 1e308}", "collect.retry_timeout_s"),
    ("collect: {propagation_timeout_s: 1e308}", "collect.propagation_timeout_s"),
    ("collect: {rate_limits: {scim_get: 1e-300}}", "collect.rate_limits.scim_get"),
    ("collect: {rate_limits: {write: 1e308}}", "collect.rate_limits.write"),
    ("collect: {workspace_concurrency: 1000000000}", "collect.workspace_concurrency"),
    ("collect: {elevation_concurrency: 100000}", "collect.elevation_concurrency"),
    ("collect: {max_admin_drop: 1e-300}", None),  # tiny but positive: a valid (strict) threshold
    ("publish: {parallelism: 99999999999999999999}", "publish.parallelism"),
    ("publish: {parallelism: -3}", "publish.parallelism"),
]


@pytest.mark.parametrize(("text", "key"), EXTREMES)
def test_every_numeric_key_has_a_range_checked_at_load(tmp_path: Path, text: str, key: str | None) -> None:
    from rls.config_validation import bound_of

    if key is None:
        load_yaml(tmp_path, text)
        return
    with pytest.raises(ConfigError) as e:
        load_yaml(tmp_path, text)
    message = str(e.value)
    assert f"'{key}'" in message and bound_of(key).text() in message and "\n" not in message, message


def test_every_numeric_key_has_bounds_and_the_readme_and_help_say_them() -> None:
    """A numeric key added without a range fails here; so does a README row or --help text that does not say it."""
    from rls.config import CollectConfig, PublishConfig, RlsConfig, SharingConfig
    from rls.config_help import field_help
    from rls.config_validation import bound_of, numeric_values

    readme = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")  # the configuration table
    helps = {
        "collect": field_help(CollectConfig),
        "publish": field_help(PublishConfig),
        "sharing": field_help(SharingConfig),
    }
    keys = [k for k, _ in numeric_values(RlsConfig())]
    assert "collect.rate_limits.scim_get" in keys and "collect.restore_backoff_s" in keys
    for key in keys:
        bound = bound_of(key)  # KeyError: a numeric key without a range
        section, name = key.split(".")[:2]
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{section}.{name}` |"))
        assert f"Range: {bound.text()}." in row, row
        assert f"Range: {bound.text()}." in helps[section][name]
        assert bound.holds(dict(numeric_values(RlsConfig()))[key]), f"the default of {key} is outside its range"


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
