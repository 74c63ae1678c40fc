# Databricks notebook source
# MAGIC %md
# MAGIC # rls: doctor
# MAGIC
# MAGIC A read-only preflight of this account before the `rls` job writes anything: account authentication and the
# MAGIC account-admin role, each workspace as the collector sees it (member / not a member: what a run would elevate /
# MAGIC unreachable), the metastores, your access to each wrapped `system` schema, ABAC policies on `system`, the
# MAGIC target schema, the elevation ledger, the readers group, Delta Sharing recipients and the bundle's CLI pin.
# MAGIC Each check says ok / warn / fail with its fix (docs/deploy.md). Nothing is written.
# MAGIC
# MAGIC Run it as the identity the job will run as (in prod: the collector service principal) to see what the job
# MAGIC would see. The same checks: `rls doctor` from a laptop, or `databricks bundle run rls_doctor`.

# COMMAND ----------

# This notebook installs the bundle's own package from the deployed source (no job environment is involved).
# MAGIC %pip install --quiet ../..

# COMMAND ----------

defaults = {"config": "../../rls.yml", "secret_scope": "rls", "catalog": "", "schema": "", "account_id": ""}
for name, default in defaults.items():
    dbutils.widgets.text(name, default)
params = {name: dbutils.widgets.get(name) for name in defaults}

# COMMAND ----------

from rls.doctor.job import run_doctor_task

# Prints the report; fails the cell when a check failed (warnings do not).
run_doctor_task(params)
