"""`rls publish --dry-run`: the plan names what a publish would change, and changes nothing (issue 29).

Judged on the warehouse itself: the statements it ran during the dry run (reads only) and its state (views, their
properties, owners and grants) before and after; then a real publish runs exactly the statements the plan listed.
"""

from __future__ import annotations

from collections import Counter

from publish_helpers import admin_row, config, write_admins

from rls.publish import publish
from rls.publish.dryrun import plan_publish
from rls.publish.state import read_existing

SCHEMA = "pub_dryrun"
INCLUDE = ["access.audit", "billing.usage", "query.history"]


def _state(warehouse) -> dict:
    existing = read_existing(warehouse, "main", SCHEMA)
    store = warehouse.privileges.store
    return {
        "views": {k: (v.fingerprint, v.grants_fingerprint, v.text) for k, v in existing.views.items()},
        "owners": {k: v for k, v in store.owners.items() if f".{SCHEMA}." in k},
        "grants": {k: sorted(map(tuple, v)) for k, v in store.grants.items() if f".{SCHEMA}." in k},
    }


def _dry_run(warehouse, cfg):
    before, mark = _state(warehouse), len(warehouse.statements)
    the_plan = plan_publish(warehouse, cfg)
    ran = warehouse.statements[mark:]
    assert [s.sql for s in ran if s.kind != "query"] == [], "a dry run ran more than reads"
    assert _state(warehouse) == before
    return the_plan


def _planned(the_plan) -> list[str]:
    return [sql for c in the_plan.changes for sql in c.statements]


def _executed(warehouse, cfg) -> list[str]:
    mark = len(warehouse.statements)
    publish(warehouse, cfg)
    return [s.sql for s in warehouse.statements[mark:] if s.kind != "query"]


def test_a_dry_run_plans_what_publish_then_does_and_changes_nothing(warehouse):
    write_admins(warehouse, "main", SCHEMA, [admin_row(1001, user="alice@example.com")])
    cfg = config("main", SCHEMA, include=INCLUDE[:2])

    first = _dry_run(warehouse, cfg)
    actions = {(c.action, c.name.rsplit(".", 1)[-1]) for c in first.changes}
    assert ("create", "vw_system_access_audit") in actions and ("create", "vw_system_billing_usage") in actions
    assert ("grant", "vw_system_access_audit") in actions  # SELECT to the readers group
    assert not warehouse.table_exists(f"main.{SCHEMA}.vw_system_access_audit")
    assert Counter(_executed(warehouse, cfg)) == Counter(_planned(first))

    # nothing to do: an empty plan
    again = _dry_run(warehouse, cfg)
    assert again.changes == [] and len(again.unchanged) == 2

    # a new table and a new grantee: each shows, and each is what publish then runs
    cfg = config("main", SCHEMA, include=INCLUDE[1:], grant_select_to=["account users", "auditors"])
    later = _dry_run(warehouse, cfg)
    actions = {(c.action, c.name.rsplit(".", 1)[-1]) for c in later.changes}
    assert ("create", "vw_system_query_history") in actions
    assert ("grant", "vw_system_billing_usage") in actions
    assert all(a != "drop" for a, _ in actions)  # prune is off: the audit view stays
    assert Counter(_executed(warehouse, cfg)) == Counter(_planned(later))
    text = "\n".join(later.lines())
    assert "dry run: nothing was changed" in text and "vw_system_query_history" in text
