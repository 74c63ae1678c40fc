"""Delta Sharing as the platform checks it: who may grant a share to a recipient, and recipients that see changes
only after a caching delay (the other region's publish waits, within a bound, instead of failing)."""

from __future__ import annotations

import dataclasses
import itertools
import time

import pytest

from rls import tables
from rls.config import ConfigError, RlsConfig, load_config
from rls.publish.sharing import (
    SHARED_TABLES,
    ShareGrantRefused,
    ShareNotVisible,
    mount_source,
    share_collected_tables,
)
from rls.sql import quote_name
from rls_local.warehouse.refusals import PrivilegeError
from rls_local.warehouse.sharing import set_cache_seconds

_n = itertools.count()
DEV = "carol@example.com"  # not metastore admin
READER = "bob@example.com"  # member of analysts


def test_granting_a_share_needs_share_rights_and_recipient_rights(warehouse):
    n = next(_n)
    share, recipient = f"rules_share_{n}", f"rules_recipient_{n}"
    warehouse.execute(f"CREATE SHARE `{share}`")  # owned by the platform's principal (metastore admin)
    warehouse.execute(f"CREATE RECIPIENT `{recipient}` USING ID 'aws:us-west-2:ms-rules-{n}'")
    grant = f"GRANT SELECT ON SHARE `{share}` TO RECIPIENT `{recipient}`"
    with warehouse.as_identity(DEV), pytest.raises(PrivilegeError) as refused:
        warehouse.execute(grant)
    assert f"share {share} or USE SHARE and SET SHARE PERMISSION" in str(refused.value)
    assert f"recipient {recipient} or USE RECIPIENT" in str(refused.value)
    warehouse.execute(f"GRANT USE SHARE, SET SHARE PERMISSION ON METASTORE TO `{DEV}`")
    with warehouse.as_identity(DEV), pytest.raises(PrivilegeError, match="USE RECIPIENT") as refused:
        warehouse.execute(grant)
    assert "SET SHARE PERMISSION" not in str(refused.value)  # that half is satisfied now
    warehouse.execute("GRANT USE RECIPIENT ON METASTORE TO `analysts`")  # through a group counts too
    with warehouse.as_identity(READER), pytest.raises(PrivilegeError, match="USE SHARE and SET SHARE PERMISSION"):
        warehouse.execute(grant)  # bob has the recipient half (analysts), not the share half
    warehouse.execute(f"GRANT USE RECIPIENT ON METASTORE TO `{DEV}`")
    with warehouse.as_identity(DEV):
        warehouse.execute(grant)
    with warehouse.as_identity(DEV), pytest.raises(PrivilegeError, match="metastore admin"):
        warehouse.execute(f"GRANT USE RECIPIENT ON METASTORE TO `{READER}`")  # only a metastore admin grants those


def test_publish_names_the_grant_that_lets_it_share_and_it_works(warehouse):
    n = next(_n)
    me = f"sharer-{n}@example.com"  # a fresh identity: no metastore-level privilege yet
    schema, recipient = f"share_checks_{n}", f"other_region_{n}"
    warehouse.execute(f"GRANT CREATE SCHEMA ON CATALOG `main` TO `{me}`")
    warehouse.execute(f"CREATE RECIPIENT `{recipient}` USING ID 'aws:us-west-2:ms-checks-{n}'")  # not the job's
    cfg = RlsConfig(catalog="main", schema=schema, table_format="parquet")
    cfg.sharing.share, cfg.sharing.recipients = f"checks_share_{n}", {recipient: f"aws:us-west-2:ms-checks-{n}"}
    with warehouse.run_as(me):
        warehouse.execute(f"CREATE SCHEMA {quote_name('main', schema)}")
        for table in SHARED_TABLES:
            warehouse.execute(f"CREATE TABLE {quote_name('main', schema, table)} (x INT) USING parquet")
        with pytest.raises(ShareGrantRefused) as refused:
            share_collected_tables(warehouse, cfg, me)
        line = str(refused.value)
        fix = f"GRANT USE SHARE, SET SHARE PERMISSION, USE RECIPIENT ON METASTORE TO `{me}`"
        assert line.endswith(fix) and "\n" not in line and recipient in line and "USE RECIPIENT" in line
    warehouse.execute(fix)  # what the line says, run by a metastore admin
    with warehouse.run_as(me):
        assert share_collected_tables(warehouse, cfg, me) == []  # tables were shared the first time; now granted
    shared = warehouse.fetch(f"SHOW ALL IN SHARE `{cfg.sharing.share}`")
    assert {r["name"] for r in shared} == {f"{schema}.{t}" for t in SHARED_TABLES}


def _home_share(warehouse, n: int) -> tuple[str, RlsConfig]:
    """The home side: a share holding an access map, granted to the recipient of metastore ms-cache-<n>."""
    schema, share, metastore = f"cache_home_{n}", f"cache_share_{n}", f"ms-cache-{n}"
    warehouse.execute(f"CREATE SCHEMA {quote_name('main', schema)}")
    warehouse.execute(f"CREATE TABLE {quote_name('main', schema, tables.ACCESS_MAP)} (x INT) USING parquet")
    warehouse.execute(f"CREATE SHARE `{share}`")
    warehouse.execute(f"ALTER SHARE `{share}` ADD TABLE {quote_name('main', schema, tables.ACCESS_MAP)}")
    warehouse.execute(f"CREATE RECIPIENT `r_{n}` USING ID 'aws:us-west-2:{metastore}'")
    warehouse.execute(f"GRANT SELECT ON SHARE `{share}` TO RECIPIENT `r_{n}`")
    cfg = RlsConfig(catalog="main", schema=schema, table_format="parquet")
    cfg.sharing = dataclasses.replace(
        cfg.sharing, share=share, source_catalog=f"home_{n}", provider=warehouse.metastore_id
    )
    return metastore, cfg


def test_another_region_waits_for_the_caching_delay_within_the_bound(warehouse):
    set_cache_seconds(warehouse.workdir, 1.5)  # the platform's delay (about a minute on Databricks)
    try:
        metastore, cfg = _home_share(warehouse, next(_n))
        there = warehouse.in_metastore(metastore)
        access_map = quote_name(*cfg.collected_table(tables.ACCESS_MAP))
        cfg.sharing.visibility_timeout_s = 30.0
        start = time.monotonic()
        attempts = mount_source(there, cfg, lambda: there.table_exists(access_map))
        assert attempts > 1 and time.monotonic() - start >= 1.5  # refused at first, then seen: retried, not failed
        assert there.table_exists(access_map)
        metastore, cfg = _home_share(warehouse, next(_n))
        there = warehouse.in_metastore(metastore)
        cfg.sharing.visibility_timeout_s = 0.5  # shorter than the delay: a bounded failure, not a hang
        start = time.monotonic()
        with pytest.raises(ShareNotVisible, match=r"not usable after \d+ attempt\(s\) in 0.5 s") as e:
            mount_source(there, cfg, lambda: True)
        assert time.monotonic() - start < 10 and "sharing.visibility_timeout_s" in str(e.value)
        assert "not granted to a recipient of this metastore" in str(e.value)
    finally:
        set_cache_seconds(warehouse.workdir, 0.0)


@pytest.mark.parametrize("value", [-1, 1801])
def test_the_visibility_timeout_is_bounded(value):
    with pytest.raises(ConfigError, match=r"'sharing\.visibility_timeout_s': must be 0 to 1800 seconds"):
        load_config(None, {"sharing.visibility_timeout_s": value})
    assert load_config(None).sharing.visibility_timeout_s == 120.0
