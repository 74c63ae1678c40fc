"""Scenario faults: answer matching requests with an error (or a malformed body) a given number of times."""

from __future__ import annotations

import logging
import math
import threading

from rls_local.emulator.protocol import ERROR_CODE_FOR_STATUS, Request, Response
from rls_local.scenario import Fault

logger = logging.getLogger(__name__)


class FaultInjector:
    def __init__(self, faults: list[Fault]) -> None:
        self._faults = list(faults)
        # Remaining answers per fault; None means the fault never wears off.
        self._remaining: list[int | None] = [f.times for f in self._faults]
        self._lock = threading.Lock()

    def take(self, req: Request) -> Fault | None:
        """The first still-active fault matching ``req``, counting this request against its ``times``."""
        with self._lock:
            for i, fault in enumerate(self._faults):
                remaining = self._remaining[i]
                if remaining == 0 or not _matches(fault, req):
                    continue
                if remaining is not None:
                    self._remaining[i] = remaining - 1
                logger.debug("fault %d answers %s %s with %d", i, req.method, req.raw_path, fault.status)
                return fault
        return None


def _matches(fault: Fault, req: Request) -> bool:
    if fault.workspace_id is not None and fault.workspace_id != req.workspace_id:
        return False
    if fault.method is not None and fault.method.upper() != req.method:
        return False
    return fault.path_contains is None or fault.path_contains in req.raw_path


def fault_response(fault: Fault) -> Response:
    headers: dict[str, str] = {}
    if fault.retry_after_s is not None:
        # Retry-After carries whole seconds; rounding up never tells a client to come back too early.
        headers["Retry-After"] = str(math.ceil(fault.retry_after_s))
    if fault.body is not None:
        return Response.raw(fault.body, fault.status, headers)
    code = ERROR_CODE_FOR_STATUS.get(fault.status, "INJECTED_FAULT")
    return Response.json({"error_code": code, "message": f"Injected fault: HTTP {fault.status}"}, fault.status, headers)
