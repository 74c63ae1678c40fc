"""The generated workspace filter (a hash set of the reader's ids, tested in the scan) on Spark, for every
workspace_id type a source may have: the ids come from the collector's BIGINT column, as the admin branch reads them,
and the rows of exactly those workspaces are kept — none hidden by a bucket computed on another type, no NULL row."""

from __future__ import annotations

import pytest

from rls.publish.discovery import Column, SystemTable
from rls.publish.viewsql import ADMIN_CTE, FilterContext, admin_branch

IDS = (1001, 1003, 5_000_000_123)  # the reader's workspaces
ROWS = (1001, 1002, 1003, 5_000_000_123, 5_000_000_124, 0)


@pytest.mark.parametrize("data_type", ["string", "bigint", "int", "smallint", "decimal(20,0)"])
def test_the_id_set_keeps_exactly_the_reader_s_workspaces(warehouse, data_type) -> None:
    rows = [r for r in ROWS if data_type not in ("int", "smallint") or r < 30_000]
    source = SystemTable("access", "audit", (Column("workspace_id", data_type),))
    branch = admin_branch(FilterContext(source, ("main", "rls", "map"), None))
    ((name, cte),) = branch.ctes
    assert name == ADMIN_CTE
    # the CTE's own select list (the small side's type: BIGINT ids, cast to STRING for a non-integral source)
    small = cte.split(" AS workspace_id", 1)[0].removeprefix("SELECT ").strip()
    ids = ", ".join(f"({i})" for i in IDS)
    values = ", ".join(f"(CAST({r} AS {data_type}))" for r in rows) + f", (CAST(NULL AS {data_type}))"
    sql = (
        f"WITH {ADMIN_CTE} AS (SELECT {small} AS workspace_id FROM VALUES {ids} AS a(workspace_id))\n"
        f"SELECT CAST(x.workspace_id AS BIGINT) AS w FROM VALUES {values} AS x(workspace_id) WHERE {branch.predicate}"
    )
    kept = sorted(r["w"] for r in warehouse.fetch(sql))
    assert kept == sorted(i for i in IDS if i in rows)
