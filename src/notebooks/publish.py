# Databricks notebook source
# MAGIC %md
# MAGIC # rls: publish
# MAGIC
# MAGIC Task 2 of the `rls` job, after `collect`. Creates (or alters, keeping their grants) one view
# MAGIC `vw_system_<schema>_<table>` in `<catalog>.<schema>` per system table that has a `workspace_id` column.
# MAGIC Each view filters its rows by the **invoker**: a reader sees the rows of the workspaces they administer,
# MAGIC as collected by task 1. The views are owned by the identity this job runs as (in prod, the collector
# MAGIC service principal), so readers need only `SELECT` on the views, not on `system.*`.
# MAGIC
# MAGIC - Parameters arrive as widgets from the job's parameters (the same ones as `collect`: `catalog`, `schema`,
# MAGIC   `config`, `secret_scope`, `dry_run`, `force`, `source_catalog`, `sharing_provider`). The defaults below
# MAGIC   only serve interactive runs.
# MAGIC - Several regions: empty `source_catalog` (the home region) shares the collected tables with the recipients
# MAGIC   of the config's `sharing.recipients`. In every other region `source_catalog` names the catalog to mount
# MAGIC   from the home region's share (created if missing) through the provider `sharing_provider` (the home
# MAGIC   metastore's name in `SHOW PROVIDERS`); the views then read the home region's collection from it, and this
# MAGIC   task runs although `collect` was skipped.
# MAGIC - Publishing runs SQL through this task's own Spark session; it reads no secret.

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

from rls.jobs import run_task

# Raises TaskFailed (exit code and outcome in its message) on a failed, partial or refused run: the task fails.
run_task("publish", params)
