"""The emulator process: a ThreadingHTTPServer on 127.0.0.1 and the per-request pipeline.

Pipeline of one request (each step may answer instead of the next):
latency -> a workspace's network refusal (Private Link redirect / IP ACL 403, before anything else, its OIDC
endpoints included; :func:`~rls_local.emulator.routes.workspace.network_refusal`) -> OAuth discovery and token
endpoints (no bearer token; see :mod:`rls_local.emulator.auth`; never faulted or rate-limited) -> bearer token valid
for the path's scope (401) -> scenario faults -> rate limits (429) -> workspace gate for ``/ws/{id}/…`` (404 / 400
not running / the scenario's non-member answer) -> route handler.
Every request except ``GET /_emulator/state`` is logged, token requests included; the body of every write (PUT,
POST, PATCH, DELETE) outside the OAuth endpoints is logged too, so a test can prove what was asked for (a token
request's body is never logged: it may carry a secret).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from rls_local.emulator.auth import ACCOUNT, OAuthServer, is_auth_path
from rls_local.emulator.faults import FaultInjector, fault_response
from rls_local.emulator.httpd import Handler, Server
from rls_local.emulator.ids import PrincipalIds
from rls_local.emulator.options import EmulatorOptions
from rls_local.emulator.protocol import ApiError, Request, Response
from rls_local.emulator.ratelimit import RateLimiter
from rls_local.emulator.requestlog import LoggedRequest, RequestLog
from rls_local.emulator.routes import Context, build_router
from rls_local.emulator.routes.workspace import check_access, login_page, network_refusal
from rls_local.emulator.state import AccountState
from rls_local.scenario import PrincipalRef, Scenario, load_scenario, parse_scenario

logger = logging.getLogger(__name__)

STATE_PATH = "/_emulator/state"
_WRITES = ("PUT", "POST", "PATCH", "DELETE")


class Emulator:
    """A Databricks account served from a scenario; see the package docstring for addressing and behaviour."""

    def __init__(
        self, scenario: Scenario | dict[str, Any] | str | Path, options: EmulatorOptions | None = None
    ) -> None:
        # A JSON document or a file path is accepted too; both raise ScenarioError naming the bad key.
        if isinstance(scenario, dict):
            scenario = parse_scenario(scenario)
        elif isinstance(scenario, str | Path):
            scenario = load_scenario(scenario)
        self.scenario = scenario
        self.options = options or EmulatorOptions()
        self._ids = PrincipalIds(scenario)
        propagation = self.options.assignment_propagation_s
        if propagation is None:
            propagation = scenario.assignment_propagation_s
        self._state = AccountState(scenario, self._ids, propagation, self.options.clock)
        self._ctx = Context(self._state, self.options)
        self._router = build_router()
        self._faults = FaultInjector(scenario.faults)
        self._limiter = RateLimiter(self.options.rate_limits)
        self._log = RequestLog()
        self._rng = random.Random(self.options.seed)  # latency jitter only: reproducible, not secret
        self._rng_lock = threading.Lock()
        self._oauth: OAuthServer | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------------------------------------------
    def start(self) -> Emulator:
        if self._server is not None:
            raise RuntimeError("emulator already started")
        # A fresh client secret per start (secrets.token_urlsafe); never printed nor logged.
        self._oauth = OAuthServer(
            self.scenario.account_id,
            self.scenario.collector_identity,
            self.options.token_ttl_s,
            self.options.clock,
            lambda wid: wid in self._state.workspaces,
            self._refuses_workspace_token,
        )
        self._server = Server(("127.0.0.1", self.options.port), Handler, self)
        # A short poll interval: stop() waits for the serve loop to notice shutdown, up to one interval.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="rls-emulator", daemon=True
        )
        self._thread.start()
        logger.info("emulator serving account %s at %s", self.scenario.account_id, self.url)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        # Idle keep-alive connections would otherwise keep being served by their handler threads.
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        logger.info("emulator stopped")

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ---- addressing ------------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("emulator not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def account_id(self) -> str:
        return self.scenario.account_id

    def _auth(self) -> OAuthServer:
        if self._oauth is None:
            raise RuntimeError("emulator not started")
        return self._oauth

    @property
    def client_id(self) -> str:
        """OAuth client id: the collector's application id (a user collector: its user name)."""
        return self.scenario.collector_identity

    @property
    def client_secret(self) -> str:
        """OAuth client secret, made at ``start()``; never print or log it."""
        return self._auth().client_secret

    def rotate_secret(self) -> str:
        """Replace the client secret: issued tokens live on until they expire, but clients holding the old secret
        can no longer get new ones (an expired token that cannot be refreshed). Returns the new secret."""
        return self._auth().rotate_secret()

    def access_token(self, workspace_id: int | None = None) -> str:
        """A token from the real token endpoint over HTTP (account scope, or workspace ``workspace_id``): for tests
        that speak raw HTTP. The request is logged like any other."""
        base = self.url if workspace_id is None else self.workspace_host(workspace_id)
        path = f"/oidc/accounts/{self.account_id}/v1/token" if workspace_id is None else "/oidc/v1/token"
        resp = requests.post(
            base + path,
            data={"grant_type": "client_credentials", "scope": "all-apis"},
            auth=(self.client_id, self.client_secret),
            timeout=10,
        )
        resp.raise_for_status()
        return resp.json()["access_token"]

    def _refuses_workspace_token(self, workspace_id: int) -> bool:
        """``non_member_answer: "token_error"``: the workspace's token endpoint refuses a non-member."""
        return self.scenario.non_member_answer == "token_error" and not self._state.is_member(
            self.scenario.collector, workspace_id
        )

    def workspace_host(self, workspace_id: int) -> str:
        return f"{self.url}/ws/{workspace_id}"

    def principal_id(self, ref: PrincipalRef) -> int:
        """Numeric API id of a scenario principal (SCIM ``id`` as a string, ``principal_id`` as a number)."""
        return self._ids.id_of(ref)

    def principal_ref(self, api_id: int | str) -> PrincipalRef | None:
        return self._ids.ref_of(api_id)

    # ---- observation -----------------------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "assignments": [a.to_json() for a in self._state.assignments()],
            "requests": self._log.snapshot(),
        }

    def wait_for_request(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0, start_index: int = 0
    ) -> dict[str, Any]:
        """Block until a logged request (from ``start_index`` on) satisfies ``predicate``; TimeoutError otherwise."""
        return self._log.wait_for(predicate, timeout, start_index)

    # ---- request pipeline ------------------------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        req = Request(method, raw_path, body, {k.lower(): v for k, v in headers.items()})
        if req.path == STATE_PATH and method == "GET":
            return Response.json(self.state())
        started, t0 = time.time(), time.monotonic()
        self._delay()
        resp = self._answer(req)
        duration_ms = round((time.monotonic() - t0) * 1000, 3)
        agent = req.headers.get("user-agent")
        body = req.body.decode(errors="replace") if method in _WRITES and not is_auth_path(req.path) else None
        self._log.append(
            LoggedRequest(method, raw_path, resp.status, req.workspace_id, started, duration_ms, agent, body)
        )
        logger.debug("%s %s -> %d (%.1f ms)", method, raw_path, resp.status, duration_ms)
        return resp

    def _delay(self) -> None:
        lo, hi = self.options.latency_ms
        if hi <= 0:
            return
        with self._rng_lock:
            ms = self._rng.uniform(lo, hi)
        time.sleep(ms / 1000)

    def _answer(self, req: Request) -> Response:
        oauth = self._auth()
        if req.path == "/login.html" and req.method == "GET":
            return login_page()
        # Only the workspace's own host (/ws/{id}/…) is behind its network rules; account paths naming it are not.
        on_workspace = req.path.startswith("/ws/") and req.workspace_id is not None
        if on_workspace and (refused := network_refusal(self._ctx, req.workspace_id, self.url)):
            return refused
        try:
            if is_auth_path(req.path):
                return oauth.answer(req, self.url)
            if req.path.startswith("/ws/") and req.workspace_id is None:
                raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"No workspace in path {req.path}")
            # Scoped tokens: an account token on account paths only, a workspace token on its own workspace only.
            scope = req.workspace_id if req.path.startswith("/ws/") and req.workspace_id is not None else ACCOUNT
            oauth.check(req.headers.get("authorization"), scope)
        except ApiError as e:
            return e.to_response()
        fault = self._faults.take(req)
        if fault is not None:
            return fault_response(fault)
        retry_after = self._limiter.retry_after(req.method, req.path)
        if retry_after is not None:
            return ApiError(
                429,
                "REQUEST_LIMIT_EXCEEDED",
                "Too many requests: the rate limit of this endpoint was exceeded.",
                {"Retry-After": str(retry_after)},
            ).to_response()
        try:
            if req.path.startswith("/ws/"):
                assert req.workspace_id is not None
                check_access(self._ctx, req.workspace_id)
            return self._router.dispatch(self._ctx, req)
        except ApiError as e:
            return e.to_response()
        except Exception:
            logger.exception("emulator failed on %s %s", req.method, req.raw_path)
            return ApiError(500, "INTERNAL_ERROR", "Emulator internal error").to_response()
