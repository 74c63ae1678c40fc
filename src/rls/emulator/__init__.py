"""Account emulator: a local HTTP server that plays a whole Databricks account from a scenario file.

The real ``databricks-sdk`` talks to it unchanged::

    with Emulator(load_scenario(path), EmulatorOptions()) as emu:
        a = AccountClient(host=emu.url, account_id=emu.account_id, token=emu.token, auth_type="pat")
        w = WorkspaceClient(host=emu.workspace_host(1001), token=emu.token, auth_type="pat")

Addressing
    The account host is ``http://127.0.0.1:PORT``. Every workspace lives on the same port under a path prefix:
    ``http://127.0.0.1:PORT/ws/{workspace_id}`` is its host, so ``/ws/1001/api/2.1/unity-catalog/catalogs`` is
    workspace 1001's ``/api/2.1/unity-catalog/catalogs``. The SDK keeps a host's path, so a ``WorkspaceClient``
    with that host works as is (a collector configures ``http://127.0.0.1:PORT/ws/{workspace_id}`` as its
    workspace URL template).

Authentication and authorization
    Every API request must carry ``Authorization: Bearer <emu.token>`` (a random token made at start), else 401.
    The caller is always the scenario's ``collector``. Account APIs are allowed (it is an account admin). A
    ``/ws/{id}/…`` call needs the workspace to be RUNNING (else 400 ``INVALID_STATE``) and the collector to be in
    that workspace's ``admins`` group at that moment (else 403 ``PERMISSION_DENIED``): directly, through account
    groups nested at any depth, through the workspace's local admins, or because it is assigned ADMIN there.

Identity federation
    ``GET /api/2.0/accounts/{acc}/workspaces/{id}/metastore`` answers a ``metastore_assignment`` for
    identity-federated workspaces and 404 ``METASTORE_DOES_NOT_EXIST`` for the others: that is how a client tells
    them apart, as on Databricks (federation comes with a Unity Catalog metastore). Each federated workspace gets
    its own metastore id, since scenario catalogs are per workspace; Unity Catalog calls on a non-federated one
    answer the same 404.

Served endpoints
    Account: workspaces (list = bare array, get), metastore assignment, permission assignments (list, PUT replaces,
    DELETE), SCIM Users / ServicePrincipals / Groups (pages, filters; group members only from ``GET Groups/{id}``).
    Workspace: SCIM ``Groups`` (the built-in ``admins`` group: local admins + principals assigned ADMIN), ``Me``,
    Unity Catalog ``catalogs`` (paged by ``max_results`` / ``page_token``). ``/.well-known/…`` answers 404 without
    authentication. Anything else is 404 ``ENDPOINT_NOT_FOUND``.

Faults, rate limits, latency
    Scenario ``faults`` answer their first ``times`` matching requests (discovery calls excepted) with their status,
    ``Retry-After`` and raw body; ``path_contains`` is matched against the path with its query string, and
    ``workspace_id`` against ``/ws/{id}/…`` or ``…/workspaces/{id}/…`` in it. ``EmulatorOptions.rate_limits``
    applies token buckets per family (``scim_get``, ``scim_list``, ``write``, ``other``; ``workspace`` per
    workspace, as Databricks limits workspace APIs) and answers 429 with ``Retry-After``. ``latency_ms`` delays
    every request by a seeded uniform random amount.

Observation
    ``emu.state()`` and ``GET /_emulator/state`` (no token needed, not logged) return
    ``{"assignments": [...scenario shape, current...], "requests": [{"method", "path", "status", "workspace_id",
    "start", "duration_ms"}, ...]}``; ``emu.wait_for_request(predicate)`` blocks until a logged request matches.
"""

from rls.emulator.options import RATE_LIMIT_FAMILIES, EmulatorOptions
from rls.emulator.server import Emulator
from rls.emulator.standalone import run_standalone

__all__ = ["RATE_LIMIT_FAMILIES", "Emulator", "EmulatorOptions", "run_standalone"]
