"""OAuth machine-to-machine, as the SDK (databricks-sdk 0.162, ``oauth-m2m``) performs it; no static token exists.

The SDK's path, read from its source (``config.Config._resolve_host_metadata``, ``oauth.get_host_metadata``,
``credentials_provider.oauth_service_principal``, ``oauth.ClientCredentials`` / ``retrieve_token``):

1. ``GET {host}/.well-known/databricks-config`` -> ``oidc_endpoint`` (``{account_id}`` placeholder substituted by
   the SDK) becomes ``discovery_url = {oidc_endpoint}/.well-known/oauth-authorization-server``;
2. ``GET {discovery_url}`` -> ``token_endpoint``;
3. ``POST {token_endpoint}`` form ``grant_type=client_credentials&scope=all-apis`` with HTTP Basic client
   authentication (``use_header=True``) -> ``{"access_token", "token_type", "expires_in"}``.

Served documents (no authentication, as on Databricks)
    Account host ``/.well-known/databricks-config`` -> ``{"oidc_endpoint": "<url>/oidc/accounts/{account_id}"}``
    (literally with the placeholder, and without ``account_id``: an accounts host serves every account, so the
    client must say which one; facts file: account discovery is ``/oidc/accounts/{account_id}/…``).
    Workspace host ``/ws/{wid}/.well-known/databricks-config`` -> ``{"oidc_endpoint": "<url>/ws/{wid}/oidc",
    "workspace_id": "<wid>"}``. Discovery: ``/oidc/accounts/{acc}/.well-known/oauth-authorization-server`` and
    ``/ws/{wid}/oidc/.well-known/oauth-authorization-server``; token endpoints ``/oidc/accounts/{acc}/v1/token`` and
    ``/ws/{wid}/oidc/v1/token``.

Tokens
    The one client is the scenario's collector: client id = its application id (a user collector: its user name),
    secret made at start (``secrets.token_urlsafe``). Wrong client -> 401 ``invalid_client`` / "Client
    authentication failed"; another grant -> 400 ``unsupported_grant_type``. A token is random, lives
    ``token_ttl_s`` (``expires_in`` is rounded down, so the client never believes in a longer life than the
    server grants) and is **scoped**: an account token is valid on account paths only, a workspace token on
    ``/ws/{that wid}/…`` only. Expired, unknown or wrong-scope -> 401 ``UNAUTHENTICATED`` "Invalid access token.".

The one token path for workspace calls
    The collector calls workspace APIs with a token from **that workspace's** own token endpoint (the Databricks
    OAuth M2M docs: a workspace-level token for workspace-level APIs, an account-level token for account APIs;
    ``rls.collect.clients`` says why it does not use the SDK's ``AccountClient.get_workspace_client()``, which in
    SDK 0.162 copies the account's ``discovery_url`` and so sends an account token to the workspace). The
    emulator accepts exactly that and refuses the other: an account token on ``/ws/{wid}/…`` is a 401, so a
    client that drifts to the other path fails the tests (``tests/emulator/test_emulator_auth.py``,
    ``tests/test_sdk_contract.py``). With ``non_member_answer: "token_error"`` the workspace token endpoint refuses
    a collector that is no member of that workspace: 401 ``invalid_client`` (the SDK raises
    ``ValueError("invalid_client: …")``).

:meth:`OAuthServer.rotate_secret` changes the secret: tokens already issued keep working until they expire, but a
client holding the old secret can no longer refresh (how "expired and not refreshable" is tested).
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

from rls_local.emulator.protocol import ApiError, Request, Response

ACCOUNT = "account"
Scope = str | int
"""``ACCOUNT`` or a workspace id."""

_ACCOUNT_METADATA = re.compile(r"^/\.well-known/databricks-config/?$")
_WORKSPACE_METADATA = re.compile(r"^/ws/(\d+)/\.well-known/databricks-config/?$")
_ACCOUNT_DISCOVERY = re.compile(r"^/oidc/accounts/([^/]+)/\.well-known/oauth-authorization-server/?$")
_WORKSPACE_DISCOVERY = re.compile(r"^/ws/(\d+)/oidc/\.well-known/oauth-authorization-server/?$")
_ACCOUNT_TOKEN = re.compile(r"^/oidc/accounts/([^/]+)/v1/token/?$")
_WORKSPACE_TOKEN = re.compile(r"^/ws/(\d+)/oidc/v1/token/?$")


def is_auth_path(path: str) -> bool:
    """Discovery and token endpoints: answered without a bearer token, outside faults and rate limits."""
    return "/.well-known/" in path or bool(_ACCOUNT_TOKEN.match(path) or _WORKSPACE_TOKEN.match(path))


def _oauth_error(status: int, error: str, description: str) -> Response:
    # RFC 6749 §5.2 error shape; the SDK's retrieve_token reads "error" and "error_description".
    return Response.json({"error": error, "error_description": description}, status)


@dataclass(frozen=True)
class _Grant:
    scope: Scope
    expires_at: float


class OAuthServer:
    def __init__(
        self,
        account_id: str,
        client_id: str,
        ttl_s: float,
        clock: Callable[[], float],
        workspace_exists: Callable[[int], bool],
        refuses_workspace_token: Callable[[int], bool] = lambda wid: False,
    ) -> None:
        self.account_id = account_id
        self.client_id = client_id
        self.ttl_s = ttl_s
        self._clock = clock
        self._workspace_exists = workspace_exists
        self._refuses_workspace_token = refuses_workspace_token
        self._secret = secrets.token_urlsafe(32)
        self._tokens: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    @property
    def client_secret(self) -> str:
        return self._secret

    def rotate_secret(self) -> str:
        with self._lock:
            self._secret = secrets.token_urlsafe(32)
            return self._secret

    # ---- documents -------------------------------------------------------------------------------------------------
    def answer(self, req: Request, base_url: str) -> Response:
        """A discovery document or a token, for a path where :func:`is_auth_path` holds."""
        path = req.path
        if req.method == "GET" and _ACCOUNT_METADATA.match(path):
            return Response.json({"oidc_endpoint": f"{base_url}/oidc/accounts/{{account_id}}"})
        if m := _WORKSPACE_METADATA.match(path):
            wid = self._workspace(m.group(1), req)
            return Response.json({"oidc_endpoint": f"{base_url}/ws/{wid}/oidc", "workspace_id": str(wid)})
        if m := _ACCOUNT_DISCOVERY.match(path):
            self._account(m.group(1), req)
            return Response.json(self._discovery(f"{base_url}/oidc/accounts/{self.account_id}"))
        if m := _WORKSPACE_DISCOVERY.match(path):
            wid = self._workspace(m.group(1), req)
            return Response.json(self._discovery(f"{base_url}/ws/{wid}/oidc"))
        if m := _ACCOUNT_TOKEN.match(path):
            self._account(m.group(1), req, method="POST")
            return self._token(req, ACCOUNT)
        if m := _WORKSPACE_TOKEN.match(path):
            return self._token(req, self._workspace(m.group(1), req, method="POST"))
        # Other /.well-known/ paths: as a Databricks host without that document.
        raise ApiError(404, "NOT_FOUND", f"No API found for '{req.method} {req.path}'")

    def _account(self, acc: str, req: Request, method: str = "GET") -> None:
        if req.method != method:
            raise ApiError(405, "BAD_REQUEST", f"Method {req.method} is not allowed on {req.path}")
        if acc != self.account_id:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Account {acc} does not exist")

    def _workspace(self, raw: str, req: Request, method: str = "GET") -> int:
        if req.method != method:
            raise ApiError(405, "BAD_REQUEST", f"Method {req.method} is not allowed on {req.path}")
        wid = int(raw)
        if not self._workspace_exists(wid):
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Workspace {wid} does not exist.")
        return wid

    @staticmethod
    def _discovery(issuer: str) -> dict[str, object]:
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/v1/authorize",
            "token_endpoint": f"{issuer}/v1/token",
            "jwks_uri": f"{issuer}/v1/keys",
            "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["all-apis", "offline_access", "sql"],
        }

    # ---- token endpoint --------------------------------------------------------------------------------------------
    def _token(self, req: Request, scope: Scope) -> Response:
        try:
            form = {k: v[0] for k, v in parse_qs(req.body.decode(), keep_blank_values=True).items()}
        except UnicodeDecodeError:
            form = {}
        client_id, secret = self._client_credentials(req, form)
        with self._lock:
            expected = self._secret
        ok = (
            client_id is not None
            and secret is not None
            and hmac.compare_digest(client_id.encode(), self.client_id.encode())
            and hmac.compare_digest(secret.encode(), expected.encode())
        )
        if not ok or (scope != ACCOUNT and self._refuses_workspace_token(int(scope))):
            # A non-member refused at a workspace's endpoint looks like a wrong secret: the same invalid_client.
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        grant = form.get("grant_type")
        if not grant:
            return _oauth_error(400, "invalid_request", "Missing grant_type")
        if grant != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant}")
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            # Forget expired tokens, so a long run with short lifetimes does not grow the table.
            self._tokens = {t: g for t, g in self._tokens.items() if g.expires_at > now}
            self._tokens[token] = _Grant(scope, now + self.ttl_s)
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(self.ttl_s),
            "scope": form.get("scope") or "all-apis",
        }
        return Response.json(body, headers={"Cache-Control": "no-store"})

    @staticmethod
    def _client_credentials(req: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
        """client_secret_basic (what the SDK sends) or client_secret_post (RFC 6749 §2.3.1)."""
        header = req.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                return None, None
            user, sep, password = decoded.partition(":")
            return (unquote(user), unquote(password)) if sep else (None, None)
        return form.get("client_id"), form.get("client_secret")

    # ---- bearer tokens ---------------------------------------------------------------------------------------------
    def check(self, authorization: str | None, scope: Scope) -> None:
        """Raise 401 unless ``authorization`` carries a live token issued for ``scope``."""
        token = authorization[7:].strip() if authorization and authorization.lower().startswith("bearer ") else ""
        with self._lock:
            grant = self._tokens.get(token)
        if grant is None or grant.expires_at <= self._clock() or grant.scope != scope:
            raise ApiError(401, "UNAUTHENTICATED", "Invalid access token.")
