"""SDK clients, built once and reused: one account client, one cached client per workspace.

Constructing an SDK ``Config`` performs network discovery, so it never happens in a loop: workspace clients are
derived from the account client's configuration (same credentials, another host) and cached.

Authentication is the SDK's unified auth; in production OAuth M2M with the service principal's client id and secret.

The one token path for workspace calls: a workspace call carries a token from **that workspace's** own OAuth
endpoint (discovery ``{workspace}/oidc/.well-known/oauth-authorization-server``, token ``{workspace}/oidc/v1/token``);
account calls carry a token from the account's (``/oidc/accounts/{account_id}/…``). Why this one:

- It is the pairing the docs lay out for tokens requested per host (Databricks docs, "Authorize service principal
  access to Databricks with OAuth", docs.databricks.com/aws/en/dev-tools/auth/oauth-m2m: a workspace-level token
  from the workspace's token endpoint, an account-level one from the account's).
- Each token is scoped to one workspace: a leaked workspace token opens one workspace, not the account.
- A workspace that refuses a non-member at its token endpoint is then seen and handled as "not a member"
  (:mod:`rls.collect.refusals`), instead of surfacing as an unexplained 401 later.

SDK 0.162's ``AccountClient.get_workspace_client()`` does otherwise: it deep-copies the account config, **keeping its
``discovery_url``**, so the workspace call would carry an account token (SDK ``__init__.py``, ``config.py``). That is
why :meth:`Clients.workspace` does not call it and points the copied config's discovery at the workspace's endpoint
(OAuth M2M endpoints come only from discovery, with no fallback). The local account accepts exactly this and refuses
an account token on a workspace path, so drifting to the other path fails ``tests/test_sdk_contract.py``.
"""

from __future__ import annotations

import threading
from typing import Any

from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.config import Config

from rls import __version__
from rls.collect.ratelimit import LimitedAdapter, RateLimiter
from rls.config import CollectConfig

ACCOUNT_HOSTS = {
    "aws": "https://accounts.cloud.databricks.com",
    "azure": "https://accounts.azuredatabricks.net",
    "gcp": "https://accounts.gcp.databricks.com",
}
WORKSPACE_HOST_TEMPLATES = {
    "aws": "https://{deployment_name}.cloud.databricks.com",
    "azure": "https://{deployment_name}.azuredatabricks.net",
    "gcp": "https://{deployment_name}.gcp.databricks.com",
}
_POOL = 32


class Clients:
    """The account API seam: every SDK client the collector uses comes from here."""

    def __init__(
        self,
        cfg: CollectConfig,
        credentials: dict[str, str] | None = None,
        limiter: RateLimiter | None = None,
        **config_kwargs: Any,
    ) -> None:
        self.cfg = cfg
        self.limiter = RateLimiter(cfg.rate_limits) if limiter is None else limiter
        kwargs: dict[str, Any] = {
            "host": cfg.account_host or ACCOUNT_HOSTS[cfg.cloud],
            "http_timeout_seconds": cfg.http_timeout_s,
            "retry_timeout_seconds": cfg.retry_timeout_s,
            "max_connection_pools": _POOL,
            "max_connections_per_pool": _POOL,
            # Identify the product in the User-Agent, as Databricks Labs tools do.
            "product": "rls",
            "product_version": __version__,
        }
        if cfg.account_id:
            kwargs["account_id"] = cfg.account_id
        if credentials:
            kwargs["client_id"] = credentials["client_id"]
            kwargs["client_secret"] = credentials["client_secret"]
        kwargs.update(config_kwargs)
        self._account_config = Config(**kwargs)
        if not self._account_config.account_id:
            raise ValueError(
                "no account id: set collect.account_id in the config or DATABRICKS_ACCOUNT_ID in the environment"
            )
        self.account = AccountClient(config=self._account_config)
        self._limit(self.account)
        self._workspaces: dict[int, WorkspaceClient] = {}
        self._lock = threading.Lock()

    @property
    def account_id(self) -> str:
        return str(self._account_config.account_id)

    @property
    def client_id(self) -> str | None:
        return self._account_config.client_id

    def workspace_url(self, workspace_id: int, deployment_name: str) -> str:
        template = self.cfg.workspace_host_template or WORKSPACE_HOST_TEMPLATES[self.cfg.cloud]
        return template.format(deployment_name=deployment_name, workspace_id=workspace_id)

    def workspace(self, workspace_id: int, deployment_name: str) -> WorkspaceClient:
        with self._lock:
            client = self._workspaces.get(workspace_id)
            if client is None:
                host = self.workspace_url(workspace_id, deployment_name)
                config = self._account_config.deep_copy()
                config.host = host
                config.account_id = None
                config.workspace_id = str(workspace_id)
                if config.discovery_url:
                    # The workspace's own endpoint, not the account's copied one: see the module docstring.
                    config.discovery_url = f"{host.rstrip('/')}/oidc/.well-known/oauth-authorization-server"
                config.init_auth()
                client = WorkspaceClient(config=config)
                self._limit(client)
                self.limiter.workspace_hosts[host.rstrip("/")] = workspace_id
                self._workspaces[workspace_id] = client
            return client

    def _limit(self, client: AccountClient | WorkspaceClient) -> None:
        # The SDK exposes no transport hook; its requests.Session is the one place every request passes.
        session = client.api_client._api_client._session
        adapter = LimitedAdapter(self.limiter, pool_connections=_POOL, pool_maxsize=_POOL, pool_block=True)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
