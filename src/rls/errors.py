"""Turning any failure into the one line an operator needs: what is wrong and what to do."""

from __future__ import annotations

import re

from rls.parallel import describe


class RlsError(Exception):
    """An error whose message is already the one line an operator needs: what is wrong and what to do.

    The packages' own errors subclass it (config, scenario, local warehouse, API answer, task, explain), so the CLI
    recognises them by type, as the SDK and lsql do, not by name."""


class InputError(RlsError, ValueError):
    """Input that cannot be used (a config, a scenario file, a command's arguments); the message names the key."""


# A refused read, as the local warehouse words it ("X lacks SELECT on c.s.v") and as Databricks does ("User does not
# have SELECT on Table 'c.s.v'" in an INSUFFICIENT_PERMISSIONS / PERMISSION_DENIED error).
_LACKS_SELECT = re.compile(
    r"(?:(?P<who>[^\s:]+)(?: \([^)]*\))? lacks SELECT on (?P<obj>[\w.`-]+)"
    r"|does not have SELECT on (?:Table|View) '(?P<obj2>[^']+)')",
    re.IGNORECASE,
)


def grant_hint(text: str) -> str | None:
    """The grant that fixes a refused SELECT: on a published view, the reader's grant (publish.grant_select_to);
    on a system table, the views' owner's (USE CATALOG / USE SCHEMA / SELECT on that system schema)."""
    m = _LACKS_SELECT.search(text)
    if not m:
        return None
    obj = (m["obj"] or m["obj2"]).replace("`", "")
    who = f"`{m['who']}`" if m["who"] else "<reader>"
    parts = obj.split(".")
    if len(parts) == 3 and parts[0] == "system":
        return f"grant the views' owner USE CATALOG on system, USE SCHEMA and SELECT on system.{parts[1]}"
    name = ".".join(f"`{p}`" for p in parts)
    return (
        f"grant it: GRANT SELECT ON VIEW {name} TO {who} (or list a group of theirs in publish.grant_select_to and"
        " publish again; readers also need USE CATALOG and USE SCHEMA)"
    )


def explain(e: BaseException) -> str:
    """One line naming the problem and the fix; falls back to the exception's own first line."""
    from databricks.sdk.errors import DatabricksError, PermissionDenied, Unauthenticated

    if isinstance(e, RlsError | FileNotFoundError):
        return str(e).strip().splitlines()[0]
    text = describe(e)
    low = text.lower()
    if hint := grant_hint(text):
        return f"{text.splitlines()[0]} — {hint}"
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
