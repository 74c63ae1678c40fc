"""What the warehouse's helper modules need of the backend and of its enforcer, as :class:`typing.Protocol` classes.

:class:`~.backend.LocalWarehouseBackend` calls the statement helpers (:mod:`.emulated_statements`, :mod:`.enforce`,
:mod:`.sharing`, :mod:`.sharing_rules`, :mod:`.shared_catalogs`), and :class:`~.enforce.Enforcer` calls
:mod:`.authorize`. The called modules annotate with these protocols rather than import the classes that import them:
every import points one way, from the backend down to its helpers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from rls_local.warehouse.names import NameRegistry
from rls_local.warehouse.privileges import PrivilegeStore
from rls_local.warehouse.statement_plan import Parsed


class BackendPrivileges(Protocol):
    """What the sharing modules need of ``backend.privileges`` (the :class:`~.enforce.Enforcer`)."""

    @property
    def store(self) -> PrivilegeStore: ...

    def groups(self, identity: str) -> set[str]: ...

    def caller(self) -> tuple[str | None, set[str]]: ...

    def target(self, sig: list[Any]) -> str | None: ...


class Backend(Protocol):
    """What the statement helpers need of :class:`~.backend.LocalWarehouseBackend`; read-only, so properties."""

    @property
    def spark(self) -> Any: ...

    @property
    def names(self) -> NameRegistry: ...

    @property
    def workdir(self) -> Path: ...

    @property
    def state_dir(self) -> Path: ...

    @property
    def platform_principal(self) -> str: ...

    @property
    def privileges(self) -> BackendPrivileges: ...

    @property
    def identity(self) -> str | None: ...

    @property
    def metastore_id(self) -> str: ...

    @property
    def current_catalog(self) -> str | None: ...

    def in_metastore(self, metastore: str | None) -> Backend: ...

    def prepare(self, sql: str) -> str: ...

    def use(self, catalog: str, schema: str) -> None: ...

    def use_catalog(self, catalog: str) -> None: ...


class Enforcement(Protocol):
    """What :mod:`.authorize` needs of the :class:`~.enforce.Enforcer` that calls it."""

    @property
    def b(self) -> Backend: ...

    @property
    def store(self) -> PrivilegeStore: ...

    def caller(self) -> tuple[str | None, set[str]]: ...

    def not_owner(self, who: str, obj: str) -> str: ...

    def target(self, sig: list[Any]) -> str | None: ...

    def object_exists(self, obj: str) -> bool: ...

    def check_statement_reads(self, parsed: Parsed, who: str, *, system_only: bool = False) -> None: ...

    def decode(self, spark_name: str) -> str | None: ...
