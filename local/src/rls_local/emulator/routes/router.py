"""The route table: method + path template -> handler.

Templates use ``{name}`` for one path segment. Handlers take the shared :class:`Context` and the
:class:`~rls_local.emulator.protocol.Request` (with ``params`` filled) and return a Response or raise ApiError.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rls_local.emulator.options import EmulatorOptions
from rls_local.emulator.protocol import ApiError, Request, Response
from rls_local.emulator.state import AccountState

Handler = Callable[["Context", Request], Response]


@dataclass(frozen=True)
class Context:
    state: AccountState
    options: EmulatorOptions

    @property
    def account_id(self) -> str:
        return self.state.scenario.account_id


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Router:
    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self._routes.append(Route(method, re.compile(f"^{regex}/?$"), handler))

    def dispatch(self, ctx: Context, req: Request) -> Response:
        path_known = False
        for route in self._routes:
            m = route.pattern.match(req.path)
            if m is None:
                continue
            path_known = True
            if route.method != req.method:
                continue
            req.params = m.groupdict()
            acc = req.params.get("acc")
            if acc is not None and acc != ctx.account_id:
                raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Account {acc} does not exist")
            return route.handler(ctx, req)
        if path_known:
            raise ApiError(405, "BAD_REQUEST", f"Method {req.method} is not allowed on {req.path}")
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{req.method} {req.path}'")
