# Databricks notebook source
# MAGIC %md
# MAGIC # rls: collect
# MAGIC
# MAGIC Task 1 of the `rls` job. As the account-admin **collector service principal**, reads every workspace of the
# MAGIC account (workspaces, users, groups, service principals, workspace admin assignments and each workspace's local
# MAGIC `admins` group) through the account and workspace REST APIs, and writes them as tables into
# MAGIC `<catalog>.<schema>`. Task 2 (`publish`) builds the per-invoker views on top of them.
# MAGIC
# MAGIC - Parameters arrive as widgets from the job's parameters: `catalog`, `schema`, `config` (the YAML config
# MAGIC   file deployed with the bundle), `secret_scope`, `dry_run` (show what would be elevated, write nothing),
# MAGIC   `force` (write even when the circuit breaker trips), `source_catalog` and `sharing_provider` (see below).
# MAGIC   The defaults below only serve interactive runs.
# MAGIC - Several regions: only the home region collects. Elsewhere `source_catalog` (the catalog mounted from the
# MAGIC   home region's Delta Sharing share) and `sharing_provider` (the home metastore's name in `SHOW PROVIDERS`)
# MAGIC   are set, and the job's `home_region` condition skips this task; both stay empty in the home region.
# MAGIC - The collector's OAuth client id and secret are read from the secret scope (keys `client-id` and
# MAGIC   `client-secret`) and handed to the task; they are never printed (Databricks also redacts them).
# MAGIC - The task fails the run when the collection failed, was partial, or was refused by the circuit breaker.

# COMMAND ----------

# Job parameters arrive as these widgets; the defaults serve interactive runs (config: rls.yml at the bundle root).
defaults = {
    "catalog": "main",
    "schema": "rls",
    "config": "../../rls.yml",
    "secret_scope": "rls",
    "dry_run": "false",
    "force": "false",
    "source_catalog": "",
    "sharing_provider": "",
}
for name, default in defaults.items():
    dbutils.widgets.text(name, default)
params = {name: dbutils.widgets.get(name) for name in defaults}

# COMMAND ----------

credentials = {
    "client_id": dbutils.secrets.get(params["secret_scope"], "client-id"),
    "client_secret": dbutils.secrets.get(params["secret_scope"], "client-secret"),
}

# COMMAND ----------

from rls.jobs import run_task

# Raises TaskFailed (exit code and outcome in its message) on a failed, partial or refused run: the task fails.
run_task("collect", params, credentials=credentials)
