"""The views read group membership live: removing a user from an admin account group takes effect at once, in every
published view, without a collection. A direct assignment removed on the account is in the access map until the next
collection (then it is gone).

Expectations come from tests/oracle.py (the scenario's meaning), never from the tool's code. The platform's
``is_account_group_member`` is recomputed from the changed scenario (``install_platform``), as the account would answer.
"""

from __future__ import annotations

import oracle
from flow import flow, fresh_schema, load, with_changes
from rls import exitcodes
from rls.publish import view_name
from rls.sql import quote_name
from rls_local.scenario import Scenario

TABLES = ["access.audit", "billing.usage", "query.history"]
ALICE = "alice@example.com"  # in sales-admins (ADMIN on 1001) and in 1003's local admins
BOB = "bob@example.com"  # assigned ADMIN on 1003 directly


def _views(result) -> list[str]:
    published = {r.view for r in result.publish.results if r.status in ("created", "altered", "unchanged")}
    names = [view_name(*t.split(".")) for t in TABLES]
    assert {f"{result.cfg.catalog}.{result.cfg.schema}.{n}" for n in names} <= published, published
    return names


def _seen(warehouse, result, s: Scenario) -> dict[tuple[str, str], set[str | None]]:
    """(view, identity) -> workspace ids the view shows; one query per identity over every view."""
    case, views = oracle.original_case(s), _views(result)
    union = " UNION ALL ".join(
        f"SELECT DISTINCT {n} AS v, workspace_id AS w FROM {quote_name(result.cfg.catalog, result.cfg.schema, v)}"
        for n, v in enumerate(views)
    )
    out: dict[tuple[str, str], set[str | None]] = {}
    for i in oracle.identities(s):
        with warehouse.as_identity(case[i]):
            rows = warehouse.fetch(union)
        for n, v in enumerate(views):
            out[(v, i)] = {r["w"] for r in rows if r["v"] == n}
    return out


def _expected(s: Scenario, collected_from: Scenario) -> dict[str, set[str]]:
    """identity -> workspace ids (as the system tables spell them) the oracle grants in ``s``, over the workspaces
    collected from ``collected_from``."""
    admin = oracle.admin_workspaces(s, collected=oracle.collectable(collected_from))
    return {i: {str(w) for w in ws} for i, ws in admin.items()}


def _without_member(s: Scenario, group: str, user_id: str) -> Scenario:
    doc = s.to_json()
    gone = {"type": "user", "id": user_id}
    groups = [
        g | {"members": [m for m in g["members"] if not (g["display_name"] == group and m == gone)]}
        for g in doc["groups"]
    ]
    return with_changes(s, groups=groups)


def test_a_user_removed_from_an_admin_group_stops_seeing_its_workspaces_at_once(warehouse, use_scenario, tmp_path):
    s = load("example")
    result = flow(warehouse, s, tmp_path, fresh_schema(), overrides={"publish.include": TABLES})
    assert result.collect.exit_code == exitcodes.OK and result.publish.exit_code == exitcodes.OK
    before = _seen(warehouse, result, s)
    want = _expected(s, s)
    assert all(seen == want[i] for (_, i), seen in before.items()), before

    changed = _without_member(s, "sales-admins", "u1")  # Alice leaves the group; nothing is collected
    use_scenario(changed)
    after = _seen(warehouse, result, changed)
    want_after = _expected(changed, s)
    assert want[ALICE] - want_after[ALICE] == {"1001"}  # not vacuous: the oracle takes 1001 away from Alice
    for (v, i), seen in after.items():
        assert seen == want_after[i], (v, i)
        if i != ALICE:
            assert seen == before[(v, i)], (v, i)  # every other identity unchanged


def test_a_removed_direct_assignment_shows_until_the_next_collection(warehouse, use_scenario, tmp_path):
    s = load("example")
    schema = fresh_schema()
    result = flow(warehouse, s, tmp_path, schema, overrides={"publish.include": TABLES})
    assert result.collect.exit_code == exitcodes.OK and result.publish.exit_code == exitcodes.OK
    doc = s.to_json()
    kept = [a for a in doc["assignments"] if not (a["workspace_id"] == 1003 and a["principal"]["id"] == "u2")]
    assert len(kept) == len(doc["assignments"]) - 1
    changed = with_changes(s, assignments=kept)
    use_scenario(changed)  # the account changed; the access map is still the last collection's
    stale = _seen(warehouse, result, changed)
    assert "1003" in _expected(s, s)[BOB] and "1003" not in _expected(changed, s)[BOB]
    assert all(seen == _expected(s, s)[i] for (_, i), seen in stale.items())  # Bob still sees 1003

    again = flow(warehouse, changed, tmp_path, schema, overrides={"publish.include": TABLES})
    assert again.collect.exit_code == exitcodes.OK and again.publish.exit_code == exitcodes.OK
    fresh = _seen(warehouse, again, changed)
    want = _expected(changed, changed)
    assert all(seen == want[i] for (_, i), seen in fresh.items()), fresh  # gone after the collection
