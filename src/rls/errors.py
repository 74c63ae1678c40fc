"""Turning any failure into the one line an operator needs: what is wrong and what to do."""

from __future__ import annotations

from rls.parallel import describe
from rls.sql.errors import SqlNotFound, SqlPermissionDenied, typed


class RlsError(Exception):
    """An error whose message is already the one line an operator needs: what is wrong and what to do.

    The packages' own errors subclass it (config, scenario, local warehouse, API answer, task, explain), so the CLI
    recognises them by type, as the SDK and lsql do, not by name."""


class InputError(RlsError, ValueError):
    """Input that cannot be used (a config, a scenario file, a command's arguments); the message names the key."""


class UsageError(InputError):
    """A command-line option whose value cannot be used (found after parsing, e.g. a metastore the workdir does not
    have): exit 2, like any other usage error."""


def grant_hint(e: SqlPermissionDenied) -> str | None:
    """The grant that fixes a refused SELECT: on a published view, the reader's grant (publish.grant_select_to);
    on a system table, the views' owner's (USE CATALOG / USE SCHEMA / SELECT on that system schema)."""
    refused = e.refused_select
    if refused is None:
        return None
    who, obj = refused
    reader = f"`{who}`" if who else "<reader>"
    parts = obj.split(".")
    if len(parts) == 3 and parts[0] == "system":
        return f"grant the views' owner USE CATALOG on system, USE SCHEMA and SELECT on system.{parts[1]}"
    name = ".".join(f"`{p}`" for p in parts)
    return (
        f"grant it: GRANT SELECT ON VIEW {name} TO {reader} (or list a group of theirs in publish.grant_select_to and"
        " publish again; readers also need USE CATALOG and USE SCHEMA)"
    )


def explain(e: BaseException) -> str:
    """One line naming the problem and the fix; falls back to the exception's own first line."""
    from databricks.sdk.errors import DatabricksError, PermissionDenied, Unauthenticated

    if isinstance(e, RlsError | FileNotFoundError):
        return str(e).strip().splitlines()[0]
    if (java := _java_error(e)) is not None:
        e = java  # a Py4J error: its first line names a JVM call, the Java exception says what happened
    text = describe(e)
    low = text.lower()
    named = typed(e)  # what a SQL failure is, as the SQL seam names it; its text is only shown
    if isinstance(named, SqlPermissionDenied) and (hint := grant_hint(named)):
        return f"{text.splitlines()[0]} — {hint}"
    host = _config_value(str(e), "host")
    if "invalid url 'none'" in low:
        # The SDK's OAuth discovery found no token endpoint (the discovery call timed out or got no answer) and then
        # tried to POST to None: say which host did not answer and what to change.
        return (
            f"authentication: {host or 'the account host'} did not answer the OAuth discovery (timed out, or not a "
            "Databricks account host): check collect.account_host and the network, or raise collect.http_timeout_s"
        )
    if isinstance(e, Unauthenticated) or "cannot configure default credentials" in low:
        return (
            "authentication: no usable Databricks credentials — set DATABRICKS_HOST/DATABRICKS_ACCOUNT_ID with "
            "DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET, or a .databrickscfg profile (README: Deploy)"
        )
    if isinstance(e, PermissionDenied) and "/accounts/" in text:
        return f"the collector is not an account admin ({text}): grant the service principal the account admin role"
    if _timed_out(e, text.split(". Config:")[0].lower()):
        if text.startswith(("Spark:", "TimeoutError: Spark:")):
            return (
                f"timed out: the SQL side did not finish in time ({text}): check that the SQL warehouse or cluster is"
                " running and not overloaded, then run again"
            )
        where = f"{host} " if host else "the Databricks API "
        return (
            f"timed out: {where}did not answer in time ({text.split('. Config:')[0]}): check the host and the network"
            " (collect.account_host, the workspace URLs), or raise collect.http_timeout_s (one call) /"
            " collect.retry_timeout_s (its retries)"
        )
    if isinstance(e, DatabricksError):
        return f"Databricks API: {text.split('. Config:')[0]}"  # the SDK appends its whole config: noise here
    if isinstance(named, SqlNotFound) and named.missing == "catalog":
        return f"{text} — create the catalog or set `catalog` in the config / --catalog"
    if isinstance(e, ConnectionError) or "connection refused" in low or "max retries exceeded" in low:
        return f"cannot reach the API ({text}): check the host, or that the emulator is running"
    return text


def _java_error(e: BaseException) -> BaseException | None:
    """A Py4J error as a plain exception carrying the Java exception's first line (``Class: message``)."""
    if type(e).__name__ != "Py4JJavaError":
        return None
    java = getattr(e, "java_exception", None)
    try:
        message = str(java.toString()) if java is not None else ""
    except Exception:  # the JVM is gone: the Python side's text is all there is
        message = ""
    lines = [ln.strip() for ln in (message or str(e)).splitlines() if ln.strip() and not ln.strip().startswith("at ")]
    first = next((ln.lstrip(": ") for ln in lines if "Exception" in ln or "Error" in ln), lines[0] if lines else "")
    kind, _, rest = first.partition(": ")
    exc_class = TimeoutError if "timeout" in kind.lower() else RuntimeError
    return exc_class(f"Spark: {kind.rsplit('.', 1)[-1]}: {rest}" if rest else f"Spark: {first}")


def _timed_out(e: BaseException, low: str) -> bool:
    import requests

    return isinstance(e, TimeoutError | requests.exceptions.Timeout) or "timed out" in low or "timeout" in low


def _config_value(text: str, key: str) -> str | None:
    """A value of the SDK's ``Config: k=v, …`` suffix (the host a call went to)."""
    _, sep, config = text.partition("Config: ")
    if not sep:
        return None
    for part in config.split(", "):
        k, eq, v = part.partition("=")
        if eq and k.strip() == key:
            return v.strip().rstrip(".")
    return None
