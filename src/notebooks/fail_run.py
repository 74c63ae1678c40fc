# Databricks notebook source
# MAGIC %md
# MAGIC # rls: fail_run
# MAGIC
# MAGIC Last task of the `rls` job. It runs only when `collect` or `publish` failed (`run_if: AT_LEAST_ONE_FAILED`),
# MAGIC and then fails on purpose. Databricks judges a run by its **leaf** tasks: without this one, a failed `collect`
# MAGIC followed by a successful `publish` (which runs after any outcome, over the last known-good collection) ends
# MAGIC "Succeeded with failures", and the job's `on_failure` e-mails and webhooks, which fire on a FAILED or
# MAGIC TIMED_OUT result, would stay silent. When nothing failed this task is excluded and the run succeeds.

# COMMAND ----------

from rls.jobs import fail_run

fail_run()
