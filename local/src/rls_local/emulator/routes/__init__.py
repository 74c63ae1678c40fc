"""The emulator's REST routes: the account's (:mod:`.account`, :mod:`.account_scim`) and each workspace's
(:mod:`.workspace`, :mod:`.unity_catalog`), dispatched by :class:`.router.Router`."""

from __future__ import annotations

from rls_local.emulator.routes import account, account_scim, unity_catalog, workspace
from rls_local.emulator.routes.router import Context, Router

__all__ = ["Context", "Router", "build_router"]


def build_router() -> Router:
    router = Router()
    for module in (account, account_scim, workspace, unity_catalog):
        module.register(router)
    return router
