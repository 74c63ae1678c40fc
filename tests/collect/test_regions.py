"""Several regions, one collection: every region's views filter its own system tables by the account-wide admin map,
which reaches the other regions through a Delta Share that only their publishing principal can read."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

import oracle
from flow import QUICK, fresh_schema, visible
from rls import exitcodes, tables
from rls.config import ConfigError
from rls.explain import explain
from rls.jobs import execute
from rls.sql import quote_name
from rls.verify import verify
from rls_local.context import local_ledger
from rls_local.local import recipient_name, run_flow
from rls_local.regions import SOURCE_CATALOG, deployments
from rls_local.warehouse import build_system_tables, install_platform
from rls_local.warehouse.refusals import NotVisibleError, PrivilegeError

VIEWS = {  # view -> the table's scope in the facts sheet (the oracle's own copy, not the registry's)
    "vw_system_access_audit": "regional",  # regional for workspace-level rows
    "vw_system_query_history": "regional",
    "vw_system_billing_usage": "global",
}
_catalogs = itertools.count()


@pytest.fixture(scope="module")
def two_regions(warehouse, tmp_path_factory, example_scenario):
    s = example_scenario
    regions = deployments(s)
    assert [d.region for d in regions] == ["us-east-1", "us-west-2"]  # the example is a two-region account
    install_platform(warehouse, s)
    catalog = f"system_regions_{next(_catalogs)}"
    for d in regions:  # each metastore's own system tables: regional ones hold its region's rows only
        there = warehouse.in_metastore(d.scope)
        build_system_tables(there, s, catalog=catalog, rows_per_workspace=3, region_workspaces=set(d.workspace_ids))
    overrides = {
        "schema": fresh_schema("regions"),
        "system_catalog": catalog,
        **QUICK,
        "publish.include": ["access.audit", "query.history", "billing.usage"],
    }
    workdir = tmp_path_factory.mktemp("regions")
    result = run_flow(warehouse, s, workdir, overrides=overrides, regions=True)
    return s, regions, result, workdir


def _region_of(s) -> dict[int, str]:
    return {w: m.region for m in s.metastores for w in m.workspace_ids}


def test_every_region_shows_every_identity_exactly_its_admin_workspaces(warehouse, two_regions):
    s, regions, result, _ = two_regions
    assert result.collect.exit_code == exitcodes.OK, result.collect.as_dict()
    assert result.publish.exit_code == exitcodes.OK, result.publish.as_dict()
    assert set(result.regions) == {d.metastore_id for d in regions[1:]}
    for r in result.regions.values():
        assert r.publish.exit_code == exitcodes.OK, r.publish.as_dict()
    region_of = _region_of(s)
    case = oracle.original_case(s)
    admin = oracle.admin_workspaces(s)
    assert any(admin.values())
    for d in regions:
        there = warehouse.in_metastore(d.scope)
        cfg = result.cfg if d.home else result.regions[d.metastore_id].cfg
        for ident, wids in admin.items():
            for view, scope in VIEWS.items():
                expected = {str(w) for w in wids if scope == "global" or region_of.get(w) == d.region}
                assert visible(there, cfg, view, case[ident]) == expected, (d.region, view, ident)


def test_a_workspace_s_regional_rows_are_only_in_its_own_region(warehouse, two_regions):
    s, regions, result, _ = two_regions
    region_of = _region_of(s)
    west = next(d for d in regions if not d.home)
    admin = oracle.admin_workspaces(s)
    # someone administers a western workspace: its query history is in the western views, not the home ones
    ident, wid = next((i, w) for i, ws in admin.items() for w in sorted(ws) if region_of.get(w) == west.region)
    who = oracle.original_case(s)[ident]
    home_view = visible(warehouse, result.cfg, "vw_system_query_history", who)
    west_view = visible(
        warehouse.in_metastore(west.scope), result.regions[west.metastore_id].cfg, "vw_system_query_history", who
    )
    assert str(wid) in west_view and str(wid) not in home_view
    # billing is global: the same workspace's usage is in both
    assert str(wid) in visible(warehouse, result.cfg, "vw_system_billing_usage", who)


def test_the_shared_access_map_is_readable_only_through_the_views(warehouse, two_regions):
    s, regions, result, _ = two_regions
    west = next(d for d in regions if not d.home)
    there = warehouse.in_metastore(west.scope)
    cfg = result.regions[west.metastore_id].cfg
    analyst = oracle.original_case(s)[next(i for i, ws in oracle.admin_workspaces(s).items() if ws)]
    shared = quote_name(SOURCE_CATALOG, cfg.schema, tables.ACCESS_MAP)
    with there.as_identity(analyst), pytest.raises(PrivilegeError, match="lacks SELECT"):
        there.fetch(f"SELECT * FROM {shared}")
    # the home region's own tables are not even a name in another metastore
    home_map = quote_name(result.cfg.catalog, result.cfg.schema, tables.ACCESS_MAP)
    with there.as_identity(analyst), pytest.raises(Exception, match=r"(?i)not found|cannot be found"):
        there.fetch(f"SELECT * FROM {home_map}")
    # the views themselves read it (with their owner's rights)
    assert visible(there, cfg, "vw_system_billing_usage", analyst)


def test_the_share_follows_the_home_table_and_is_read_only(warehouse, two_regions):
    _, regions, result, _ = two_regions
    west = next(d for d in regions if not d.home)
    there = warehouse.in_metastore(west.scope)
    schema = result.cfg.schema
    table = quote_name(result.cfg.catalog, schema, "live_probe")
    warehouse.execute(f"CREATE TABLE {table} (n INT) USING parquet")
    warehouse.execute("CREATE SHARE IF NOT EXISTS live_probe_share")
    warehouse.execute(f"ALTER SHARE live_probe_share ADD TABLE {table}")
    warehouse.execute(f"GRANT SELECT ON SHARE live_probe_share TO RECIPIENT `{recipient_name(west.region)}`")
    there.execute(f"CREATE CATALOG IF NOT EXISTS live_probe USING SHARE `{regions[0].metastore_id}`.live_probe_share")
    mounted = f"SELECT count(*) AS n FROM {quote_name('live_probe', schema, 'live_probe')}"
    assert there.fetch(mounted) == [{"n": 0}]
    warehouse.execute(f"INSERT INTO {table} VALUES (1), (2)")
    assert there.fetch(mounted) == [{"n": 2}]  # no copy: the recipient reads the provider's current data
    with pytest.raises(PrivilegeError, match="read-only"):
        there.execute(f"CREATE VIEW {quote_name('live_probe', schema, 'x')} AS SELECT 1 AS one")
    # the access map the views read is there too, as the home region has it
    count = "SELECT count(*) AS n FROM {}"
    shared = there.fetch(count.format(quote_name(SOURCE_CATALOG, schema, tables.ACCESS_MAP)))
    assert shared == warehouse.fetch(count.format(quote_name(*result.cfg.table(tables.ACCESS_MAP))))


@pytest.mark.parametrize(
    "revoke",
    [
        "REVOKE SELECT ON SHARE {share} FROM RECIPIENT `{recipient}`",
        "DROP SHARE {share}",
        "ALTER SHARE {share} REMOVE TABLE {table}",
    ],
)
def test_revoking_a_share_takes_effect_in_the_other_region(warehouse, two_regions, revoke):
    """The attack it closes: after REVOKE … FROM RECIPIENT (or DROP SHARE) the other region still read the table."""
    _, regions, result, _ = two_regions
    west = next(d for d in regions if not d.home)
    there = warehouse.in_metastore(west.scope)
    schema, n = result.cfg.schema, next(_catalogs)
    table = quote_name(result.cfg.catalog, schema, f"revoked_{n}")
    share, catalog = f"revoked_share_{n}", f"revoked_{n}"
    warehouse.execute(f"CREATE TABLE {table} (n INT) USING parquet")
    warehouse.execute(f"INSERT INTO {table} VALUES (1)")
    warehouse.execute(f"CREATE SHARE {share}")
    warehouse.execute(f"ALTER SHARE {share} ADD TABLE {table}")
    warehouse.execute(f"GRANT SELECT ON SHARE {share} TO RECIPIENT `{recipient_name(west.region)}`")
    there.execute(f"CREATE CATALOG IF NOT EXISTS {catalog} USING SHARE `{regions[0].metastore_id}`.{share}")
    mounted = f"SELECT count(*) AS n FROM {quote_name(catalog, schema, f'revoked_{n}')}"
    assert there.fetch(mounted) == [{"n": 1}]
    with warehouse.as_identity("bob@example.com"), pytest.raises(PrivilegeError, match="does not own"):
        warehouse.execute(f"DROP SHARE {share}")  # only its owner (or a metastore admin) drops a share
    assert there.fetch(mounted) == [{"n": 1}]
    warehouse.execute(revoke.format(share=share, recipient=recipient_name(west.region), table=table))
    with pytest.raises((PrivilegeError, NotVisibleError), match="no longer"):  # revoked, or gone from the share
        there.fetch(mounted)


def test_a_table_added_to_the_share_by_hand_fails_verify_and_publish_leaves_it_and_says_so(warehouse, two_regions):
    """The share carries the access map to the other regions: anything else in it is exposed there too."""
    _, _, result, workdir = two_regions
    cfg = result.cfg
    extra = quote_name(cfg.catalog, cfg.schema, "not_for_sharing")
    share = cfg.sharing.share
    warehouse.execute(f"CREATE TABLE {extra} (secret STRING) USING parquet")
    warehouse.execute(f"ALTER SHARE {share} ADD TABLE {extra} AS leak.not_for_sharing")
    try:
        check = verify(warehouse, cfg, ledger_path=None, dashboards=[]).check("share_contents")
        report = execute("publish", cfg, warehouse, clients=None, ledger=local_ledger(cfg, workdir))["publish"]
        still = {r["name"] for r in warehouse.fetch(f"SHOW ALL IN SHARE {share}")}
    finally:
        warehouse.execute(f"ALTER SHARE {share} REMOVE TABLE leak.not_for_sharing")
    assert check.status == "fail" and check.problems == (
        f"share {share} holds leak.not_for_sharing, which rls did not put there",
    )
    assert "leak.not_for_sharing" in still  # publish removes only what it put there
    assert "also holds leak.not_for_sharing" in (report.sharing or ""), report.sharing
    assert verify(warehouse, cfg, ledger_path=None, dashboards=[]).check("share_contents").status == "pass"


def test_a_share_that_cannot_be_updated_keeps_the_home_views_and_says_why(warehouse, two_regions):
    _, _, result, workdir = two_regions
    cfg = dataclasses.replace(result.cfg, sharing=dataclasses.replace(result.cfg.sharing, share="clash_share"))
    # the access map is already in that share under another name: Databricks refuses to add it twice
    warehouse.execute("CREATE SHARE clash_share")
    warehouse.execute(f"ALTER SHARE clash_share ADD TABLE {quote_name(*cfg.table(tables.ACCESS_MAP))} AS other.map")
    report = execute("publish", cfg, warehouse, clients=None, ledger=local_ledger(cfg, workdir))["publish"]
    assert report.exit_code == exitcodes.PARTIAL
    assert report.sharing_error and "already in share" in report.sharing_error and "\n" not in report.sharing_error
    assert report.error is None and not [r for r in report.results if r.status == "failed"]
    assert report.counts["unchanged"] == len(VIEWS)


def test_another_region_never_collects(warehouse, two_regions):
    _, regions, result, workdir = two_regions
    cfg = result.regions[regions[1].metastore_id].cfg
    with pytest.raises(ConfigError, match="home region only"):
        execute("collect", cfg, warehouse, clients=None, ledger=local_ledger(cfg, workdir))


def test_a_region_the_share_is_not_granted_to_cannot_mount_it(warehouse, two_regions):
    _, regions, result, _ = two_regions
    stranger = warehouse.in_metastore("ms-nowhere")
    provider = regions[0].metastore_id
    with pytest.raises(PrivilegeError, match="not granted"):
        stranger.execute(f"CREATE CATALOG IF NOT EXISTS peek USING SHARE `{provider}`.`{result.cfg.sharing.share}`")
    assert not stranger.names.is_catalog("peek")


def test_explain_says_per_region_what_each_identity_sees_from_either_region(warehouse, two_regions):
    s, regions, result, _ = two_regions
    region_of = _region_of(s)
    collected_regions = {region_of[w] for w in oracle.collectable(s)}
    case = oracle.original_case(s)
    admin = oracle.admin_workspaces(s)
    assert len({region_of[w] for ws in admin.values() for w in ws}) == 2  # someone sees workspaces of each region
    for d in regions:  # the other region explains from the shared tables, and must say the same
        there = warehouse.in_metastore(d.scope)
        cfg = result.cfg if d.home else result.regions[d.metastore_id].cfg
        for ident, wids in admin.items():
            got = explain(there, cfg, case[ident])
            expected = {
                region: ({w for w in wids if region_of[w] == region}, set(wids)) for region in collected_regions
            }
            assert {r: (set(v["regional_tables"]), set(v["global_tables"])) for r, v in got.by_region().items()} == (
                expected
            ), (d.region, ident)
            assert {w.workspace_id: w.region for w in got.workspaces if w.visible} == {w: region_of[w] for w in wids}
    # and the regional view of each region shows what explain says it does
    ident, wids = max(admin.items(), key=lambda kv: len({region_of[w] for w in kv[1]}))
    for d in regions:
        there = warehouse.in_metastore(d.scope)
        cfg = result.cfg if d.home else result.regions[d.metastore_id].cfg
        said = explain(there, cfg, case[ident]).by_region()[d.region]["regional_tables"]
        assert {str(w) for w in said} == visible(there, cfg, "vw_system_query_history", case[ident]), d.region
    text = "\n".join(explain(warehouse, result.cfg, case[ident]).lines())
    assert all(f"    {region}: regional tables show" in text for region in collected_regions), text


def test_verify_in_another_region_checks_the_age_of_what_reaches_it_through_the_share(warehouse, two_regions):
    _, regions, result, _ = two_regions
    west = next(d for d in regions if not d.home)
    there = warehouse.in_metastore(west.scope)
    cfg = result.regions[west.metastore_id].cfg
    report = verify(there, cfg, ledger_path=None, dashboards=[])
    # Every check of the collected tables and of the views passes there, reading the home region's tables through
    # the share. (views_owner / system_privileges are about the deploying identity: this flow publishes as the
    # warehouse's own principal, not as the collector SP of a prod deployment; tests/test_verify.py covers them.)
    identity_checks = {"views_owner", "system_privileges"}
    assert not [c for c in report.failed if c.name not in identity_checks], [(c.name, c.detail) for c in report.failed]
    for name in ("collector_tables", "access_rows_valid", "admin_user_disjoint", "views_exist", "views_definition"):
        assert report.check(name).status == "pass", report.check(name)
    fresh = report.check("collection_fresh")
    assert fresh.status == "pass" and result.collect.run_id in fresh.detail and SOURCE_CATALOG in fresh.detail
    # the home collection is older than a bound of a few microseconds: the other region says so
    stale = verify(there, cfg, ledger_path=None, dashboards=[], max_age_hours=1e-9).check("collection_fresh")
    assert stale.status == "fail" and result.collect.run_id in stale.detail, stale.detail
