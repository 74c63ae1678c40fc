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
# MAGIC   `config`, `secret_scope`, `dry_run`, `force`). The defaults below only serve interactive runs.
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
}
for name, default in defaults.items():
    dbutils.widgets.text(name, default)
params = {name: dbutils.widgets.get(name) for name in defaults}

# COMMAND ----------

from rls.jobs import run_task

# Raises TaskFailed (exit code and outcome in its message) on a failed, partial or refused run: the task fails.
run_task("publish", params)
