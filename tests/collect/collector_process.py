"""A collector in its own process, for the test that kills it between elevation and restore.

Usage: python collector_process.py SETTINGS_JSON. It never reaches the point where tables are written (the test
kills it while it is elevated), so its SQL backend refuses any use instead of starting Spark.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rls.collect.account_api import AccountApi
from rls.collect.clients import Clients
from rls.collect.collector import Collector
from rls.collect.elevation import Ledger
from rls.config import load_config
from rls.sql.backend import SqlBackend
from rls_local.warehouse.volume import StrictVolumeFiles


class _NoSql(SqlBackend):
    def _execute(self, sql: str) -> bool:
        raise AssertionError("the killed collector must not reach SQL")

    _fetch = _stage = _write = _table_exists = _query_frame = _register_table_function = _execute  # type: ignore[assignment]


def main(settings: dict[str, Any]) -> None:
    cfg = load_config(None, settings["overrides"])
    # OAuth M2M as in production; the secret comes through the environment, never the command line.
    credentials = {"client_id": settings["client_id"], "client_secret": os.environ["RLS_TEST_CLIENT_SECRET"]}
    clients = Clients(cfg.collect, credentials, auth_type="oauth-m2m")
    ledger = Ledger(StrictVolumeFiles(cfg.collect.elevation_ledger))
    Collector(_NoSql("parquet"), cfg, AccountApi(clients), ledger).run()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
