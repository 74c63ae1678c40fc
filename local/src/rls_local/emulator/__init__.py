"""Account emulator: a local HTTP server that plays a whole Databricks account from a scenario file.

The real ``databricks-sdk`` talks to it unchanged, with OAuth M2M as in production (never a static token)::

    with Emulator(load_scenario(path), EmulatorOptions()) as emu:
        creds = dict(client_id=emu.client_id, client_secret=emu.client_secret, auth_type="oauth-m2m")
        a = AccountClient(host=emu.url, account_id=emu.account_id, **creds)
        w = WorkspaceClient(host=emu.workspace_host(1001), **creds)

Addressing
    The account host is ``http://127.0.0.1:PORT``. Every workspace lives on the same port under a path prefix:
    ``http://127.0.0.1:PORT/ws/{workspace_id}`` is its host, so ``/ws/1001/api/2.1/unity-catalog/catalogs`` is
    workspace 1001's ``/api/2.1/unity-catalog/catalogs``. The SDK keeps a host's path, so a ``WorkspaceClient``
    with that host works as is (a collector configures ``http://127.0.0.1:PORT/ws/{workspace_id}`` as its
    workspace URL template).

Authentication (:mod:`rls_local.emulator.auth`)
    Host metadata, OIDC discovery and token endpoints for the account and for every workspace; the client is the
    scenario's collector (``emu.client_id`` / ``emu.client_secret``, the secret made at ``start()``). Tokens live
    ``EmulatorOptions.token_ttl_s`` and are scoped: account token on account paths, workspace token on its own
    ``/ws/{id}/…`` only; else 401. ``emu.access_token(workspace_id)`` fetches one over HTTP for raw-HTTP tests;
    ``emu.rotate_secret()`` makes every client's refresh fail from then on.

Authorization (the caller is always the collector)
    Account APIs are allowed (it is an account admin). A ``/ws/{id}/…`` call needs the workspace to be RUNNING
    (else 400 ``INVALID_STATE``) and the collector to be a member of it (else 403 ``PERMISSION_DENIED``): an
    effective USER/ADMIN assignment, itself or through account groups at any depth, on a federated workspace, or a
    place in its local admins. Workspace SCIM groups also need workspace admin (the ``admins`` group: local admins
    plus principals assigned ADMIN). Unity Catalog shows what the collector owns or may use, or all for a metastore
    admin; bindings need ownership or metastore admin.

Propagation
    A PUT that grants or raises an assignment reaches workspace access checks ``assignment_propagation_s`` later
    (scenario key; ``EmulatorOptions.assignment_propagation_s`` overrides; clock ``EmulatorOptions.clock``); the
    account's assignment list shows it at once; removals and downgrades apply at once.

Identity federation
    Account permission-assignment APIs (list, PUT, DELETE, permission levels) answer a non-federated workspace
    with 400 ``BAD_REQUEST`` "Permission assignment APIs are not available for this workspace.", as Databricks.
    ``GET /api/2.0/accounts/{acc}/workspaces/{id}/metastore`` names the workspace's metastore, federated or not
    (404 ``METASTORE_DOES_NOT_EXIST`` when it has none): it no longer tells federation apart.

Served endpoints
    Account: workspaces (list = bare array, get; region = its metastore's), metastores (list, get, workspaces),
    metastore assignment, permission assignments (list, PUT replaces, DELETE, permission levels), SCIM Users /
    ServicePrincipals / Groups (pages, filters; group members only from ``GET Groups/{id}``).
    Workspace: SCIM ``Groups`` (the built-in ``admins`` group), ``Me``, Unity Catalog ``catalogs`` (list paged by
    ``max_results`` / ``page_token``, get), ``bindings/catalog/{name}``, ``workspace-bindings/catalogs/{name}``,
    ``current-metastore-assignment``. OAuth: see above. Anything else is 404 ``ENDPOINT_NOT_FOUND``.

Faults, rate limits, latency
    Scenario ``faults`` answer their first ``times`` matching requests (OAuth discovery and token calls excepted)
    with their status, ``Retry-After`` and raw body; ``path_contains`` is matched against the path with its query
    string, and ``workspace_id`` against ``/ws/{id}/…`` or ``…/workspaces/{id}/…`` in it.
    ``EmulatorOptions.rate_limits`` applies token buckets per family (``scim_get``, ``scim_list``, ``write``,
    ``other``; ``workspace`` per workspace, as Databricks limits workspace APIs; OAuth endpoints are unlimited)
    and answers 429 with ``Retry-After``. ``latency_ms`` delays every request by a seeded uniform random amount.

Observation
    ``emu.state()`` and ``GET /_emulator/state`` (no token needed, not logged) return
    ``{"assignments": [...scenario shape, current account view...], "requests": [{"method", "path", "status",
    "workspace_id", "start", "duration_ms", "user_agent"}, ...]}`` (token requests included, never a body);
    ``emu.wait_for_request(predicate)`` blocks until a logged request matches.
"""

from rls_local.emulator.options import RATE_LIMIT_FAMILIES, EmulatorOptions
from rls_local.emulator.server import Emulator
from rls_local.emulator.standalone import run_standalone

__all__ = ["RATE_LIMIT_FAMILIES", "Emulator", "EmulatorOptions", "run_standalone"]
