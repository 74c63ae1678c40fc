"""Turning any failure into the one line an operator needs: what is wrong and what to do."""

from __future__ import annotations

from rls.parallel import describe


class RlsError(Exception):
    """An error whose message is already the one line an operator needs: what is wrong and what to do.

    The packages' own errors subclass it (config, scenario, local warehouse, API answer, task, explain), so the CLI
    recognises them by type, as the SDK and lsql do, not by name."""


class InputError(RlsError, ValueError):
    """Input that cannot be used (a config, a scenario file, a command's arguments); the message names the key."""


def explain(e: BaseException) -> str:
    """One line naming the problem and the fix; falls back to the exception's own first line."""
    from databricks.sdk.errors import DatabricksError, PermissionDenied, Unauthenticated

    if isinstance(e, RlsError | FileNotFoundError):
        return str(e).strip().splitlines()[0]
    text = describe(e)
    low = text.lower()
    if isinstance(e, Unauthenticated) or "cannot configure default credentials" in low:
        return (
            "authentication: no usable Databricks credentials — set DATABRICKS_HOST/DATABRICKS_ACCOUNT_ID with "
            "DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET, or a .databrickscfg profile (README: Deploy)"
        )
    if isinstance(e, PermissionDenied) and "/accounts/" in text:
        return f"the collector is not an account admin ({text}): grant the service principal the account admin role"
    if isinstance(e, DatabricksError):
        return f"Databricks API: {text.split('. Config:')[0]}"  # the SDK appends its whole config: noise here
    if "catalog" in low and ("not found" in low or "does not exist" in low):
        return f"{text} — create the catalog or set `catalog` in the config / --catalog"
    if isinstance(e, ConnectionError) or "connection refused" in low or "max retries exceeded" in low:
        return f"cannot reach the API ({text}): check the host, or that the emulator is running"
    return text
