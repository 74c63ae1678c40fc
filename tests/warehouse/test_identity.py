"""current_user() per thread and the emulated is_account_group_member, on real Spark."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rls_local.scenario import parse_scenario
from rls_local.warehouse import LocalWarehouseBackend, account_group_memberships


def test_current_user_is_per_thread_and_concurrent(warehouse: LocalWarehouseBackend):
    w = warehouse
    w.execute("CREATE SCHEMA IF NOT EXISTS lab.who")
    w.execute(
        "CREATE OR REPLACE VIEW lab.who.mine AS SELECT q.executed_by, q.workspace_id FROM system.query.history q "
        "WHERE lower(q.executed_by) = lower(current_user())"
    )
    w.execute("GRANT SELECT ON VIEW lab.who.mine TO `account users`")  # readers need SELECT on the view only
    barrier = threading.Barrier(2)

    def work(identity: str) -> list[tuple[str, set[str]]]:
        seen = []
        with w.as_identity(identity):
            barrier.wait()  # both threads hold their identity before either queries
            for _ in range(4):
                me = w.fetch("SELECT current_user() AS me")[0]["me"]
                rows = w.fetch("SELECT executed_by FROM lab.who.mine")
                seen.append((me, {r["executed_by"] for r in rows}))
        return seen

    with ThreadPoolExecutor(max_workers=2) as pool:
        alice, sp = pool.map(work, ["ALICE@example.com", "22222222-aaaa-bbbb-cccc-000000000000"])
    assert alice == [("ALICE@example.com", {"Alice@Example.com"})] * 4
    assert sp == [("22222222-aaaa-bbbb-cccc-000000000000", {"22222222-aaaa-bbbb-cccc-000000000000"})] * 4


def test_identity_is_restored_after_the_block(warehouse: LocalWarehouseBackend):
    before = warehouse.fetch("SELECT current_user() AS me")[0]["me"]
    with warehouse.as_identity("outer@example.com"):
        with warehouse.as_identity("inner@example.com"):
            assert warehouse.fetch("SELECT current_user() AS me") == [{"me": "inner@example.com"}]
        assert warehouse.fetch("SELECT current_user() AS me") == [{"me": "outer@example.com"}]
    assert warehouse.fetch("SELECT current_user() AS me") == [{"me": before}]


def test_session_user_follows_the_switched_identity_like_current_user(warehouse: LocalWarehouseBackend):
    """The views compare session_user() (Databricks SQL, DBR 14.1+); Spark 4's builtin reads the same per-thread
    CurrentUserContext, so it follows as_identity (and a view evaluates it for the reader, not its owner)."""
    warehouse.execute("CREATE SCHEMA IF NOT EXISTS `main`.`identity_session_user`")
    warehouse.execute("CREATE VIEW `main`.`identity_session_user`.`me` AS SELECT session_user() AS s")
    warehouse.execute("GRANT SELECT ON VIEW `main`.`identity_session_user`.`me` TO `account users`")
    for who in ("ALICE@example.com", "22222222-aaaa-bbbb-cccc-000000000000"):
        with warehouse.as_identity(who):
            assert warehouse.fetch("SELECT session_user() AS s, current_user() AS c") == [{"s": who, "c": who}]
            assert warehouse.fetch("SELECT s FROM `main`.`identity_session_user`.`me`") == [{"s": who}]


NESTED = parse_scenario(
    {
        "account_id": "acc",
        "workspaces": [{"workspace_id": 1, "workspace_name": "w1"}],
        "users": [
            {"id": "u1", "user_name": "Deep@Example.com"},
            {"id": "u2", "user_name": "gone@example.com", "active": False},
            {"id": "u3", "user_name": "outsider@example.com"},
        ],
        "service_principals": [{"id": "s1", "application_id": "AAAA-bbbb", "display_name": "bot"}],
        "groups": [
            {"id": "top", "display_name": "top", "members": [{"type": "group", "id": "mid"}]},
            {"id": "mid", "display_name": "mid", "members": [{"type": "group", "id": "leaf"}]},
            {
                "id": "leaf",
                "display_name": "leaf",
                "members": [
                    {"type": "user", "id": "u1"},
                    {"type": "user", "id": "u2"},
                    {"type": "service_principal", "id": "s1"},
                    {"type": "group", "id": "top"},
                ],
            },
            {"id": "solo", "display_name": "solo", "members": [{"type": "user", "id": "u3"}]},
        ],
        "collector": {"type": "service_principal", "id": "s1"},
    }
)


def test_memberships_are_transitive_cycle_tolerant_and_skip_inactive_users():
    got = {(m.group_name, m.member) for m in account_group_memberships(NESTED)}
    expected = {(g, i) for g in ("top", "mid", "leaf") for i in ("deep@example.com", "aaaa-bbbb")}
    assert got == expected | {("solo", "outsider@example.com")}


def test_is_account_group_member_from_a_view_in_another_schema(warehouse: LocalWarehouseBackend, use_scenario):
    w = warehouse
    use_scenario(NESTED)
    w.execute("CREATE SCHEMA IF NOT EXISTS lab.views_a")
    w.execute("CREATE SCHEMA IF NOT EXISTS lab.elsewhere")
    w.use("lab", "views_a")  # the namespace current when the view is created ...
    try:
        w.execute(
            "CREATE OR REPLACE VIEW lab.views_a.groups_of_me AS SELECT g FROM VALUES ('top'), ('mid'), ('leaf'), "
            "('solo'), ('nope') AS t(g) WHERE is_account_group_member(g)"
        )
        w.execute("GRANT SELECT ON VIEW lab.views_a.groups_of_me TO `account users`")
        w.use("lab", "elsewhere")  # ... is not the one current when it is queried
        results = {}
        for identity in ("deep@EXAMPLE.com", "aaaa-BBBB", "gone@example.com", "outsider@example.com", "nobody"):
            with w.as_identity(identity):
                results[identity] = sorted(r["g"] for r in w.fetch("SELECT g FROM lab.views_a.groups_of_me"))
        with w.as_identity("deep@example.com"):
            assert w.fetch("SELECT is_account_group_member('top') AS a, is_account_group_member('TOP') AS b") == [
                {"a": True, "b": False}
            ]
    finally:
        w.reset_namespace()
    assert results == {
        "deep@EXAMPLE.com": ["leaf", "mid", "top"],
        "aaaa-BBBB": ["leaf", "mid", "top"],
        "gone@example.com": [],
        "outsider@example.com": ["solo"],
        "nobody": [],
    }


def test_switching_accounts_back_and_forth_answers_each_and_rewrites_no_table(
    warehouse: LocalWarehouseBackend, use_scenario, example_scenario
):
    from rls_local.warehouse.platform import membership_rows_table
    from rls_local.warehouse.platform_db import platform_table

    nested = platform_table(membership_rows_table(account_group_memberships(NESTED)))

    def files() -> dict[str, int]:  # the NESTED account's table: its files and when each was written
        rows = warehouse.spark.sql(f"DESCRIBE TABLE EXTENDED {nested}").collect()
        location = next(r.data_type for r in rows if r.col_name == "Location").removeprefix("file:")
        return {f.name: f.stat().st_mtime_ns for f in Path(location).iterdir()}

    def groups_of_deep() -> list[dict]:
        with warehouse.as_identity("deep@example.com"):
            return warehouse.fetch("SELECT is_account_group_member('top') AS top, is_account_group_member('mid') AS m")

    use_scenario(NESTED)
    assert groups_of_deep() == [{"top": True, "m": True}]
    written = files()
    use_scenario(example_scenario)  # deep@example.com is no member of anything there
    assert groups_of_deep() == [{"top": False, "m": False}]
    use_scenario(NESTED)
    assert groups_of_deep() == [{"top": True, "m": True}]
    assert files() == written  # the account installed before: its table is read again, not written again


def test_a_membership_table_of_the_caller_answers_until_a_scenario_is_installed_again(
    warehouse: LocalWarehouseBackend, use_scenario, example_scenario
):
    from rls_local.warehouse.platform import use_membership_table
    from rls_local.warehouse.platform_db import platform_table

    def groups_of(who: str) -> list[dict]:
        with warehouse.as_identity(who):
            return warehouse.fetch("SELECT is_account_group_member('bench') AS bench, is_account_group_member('top') t")

    use_scenario(NESTED)
    table = platform_table("test_members_of_the_caller")  # the platform's database: read without a grant
    warehouse.spark.createDataFrame([("bench", "someone@example.com")], "group_name STRING, member STRING").write.mode(
        "overwrite"
    ).saveAsTable(table)
    use_membership_table(warehouse, "test_members_of_the_caller")
    assert groups_of("SomeOne@example.com") == [{"bench": True, "t": False}]
    assert groups_of("deep@example.com") == [{"bench": False, "t": False}]
    use_scenario(NESTED)  # the same account as before the table: installed again, not taken as still there
    assert groups_of("deep@example.com") == [{"bench": False, "t": True}]
    assert groups_of("someone@example.com") == [{"bench": False, "t": False}]


def test_a_workdir_whose_memberships_are_a_table_gets_the_view(warehouse: LocalWarehouseBackend, use_scenario):
    from rls_local.warehouse.platform import use_membership_table
    from rls_local.warehouse.platform_db import MEMBERSHIP_TABLE, platform_table

    use_scenario(NESTED)
    members = platform_table(MEMBERSHIP_TABLE)
    warehouse.spark.sql(f"DROP VIEW {members}").collect()  # as an older build left it: a table of that name
    warehouse.spark.sql(f"CREATE TABLE {members} USING parquet AS SELECT 'top' AS group_name, 'x' AS member").collect()
    empty = platform_table("test_empty_members")
    warehouse.spark.sql(f"CREATE TABLE IF NOT EXISTS {empty} (group_name STRING, member STRING) USING parquet")
    use_membership_table(warehouse, "test_empty_members")
    assert warehouse.spark.catalog.getTable(members).tableType == "VIEW"
