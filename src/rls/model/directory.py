"""The account's identities as the collector read them, independent of the SDK's classes."""

from __future__ import annotations

from dataclasses import dataclass, field

# The principal-kind vocabulary, in one place. A kind has three spellings: the model's (below), the account SCIM
# API's resource path (a group member's ``$ref`` is ``Users/<id>``, ``ServicePrincipals/<id>`` or ``Groups/<id>``)
# and the tables' ``principal_type`` column (kept as the original tool wrote it, for existing consumers).
USER = "user"
SERVICE_PRINCIPAL = "service_principal"
GROUP = "group"
KINDS = (USER, SERVICE_PRINCIPAL, GROUP)

SCIM_RESOURCE = {USER: "Users", SERVICE_PRINCIPAL: "ServicePrincipals", GROUP: "Groups"}
"""Model kind -> the account SCIM API's resource path."""
KIND_OF_SCIM_RESOURCE = {resource: kind for kind, resource in SCIM_RESOURCE.items()}
"""SCIM resource path (``$ref`` prefix) -> model kind."""
PRINCIPAL_TYPE = {USER: "USER", SERVICE_PRINCIPAL: "SERVICE_PRINCIPAL", GROUP: "GROUP"}
"""Model kind -> the tables' ``principal_type`` value."""


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # one of KINDS
    id: str  # account SCIM id
    name: str  # user_name | application_id | group display name
    active: bool = True

    @property
    def identity(self) -> str | None:
        """What current_user() returns for this principal (groups have none)."""
        return None if self.kind == GROUP else self.name


@dataclass(frozen=True, slots=True)
class MemberRef:
    kind: str
    id: str


class UnknownPrincipalError(LookupError):
    """An API answer referenced a principal the account's SCIM listing does not have."""


@dataclass
class Directory:
    users: dict[str, Principal] = field(default_factory=dict)
    service_principals: dict[str, Principal] = field(default_factory=dict)
    groups: dict[str, Principal] = field(default_factory=dict)
    members: dict[str, list[MemberRef]] = field(default_factory=dict)  # direct members of fetched groups

    def get(self, kind: str, pid: str, where: str) -> Principal:
        table = {USER: self.users, SERVICE_PRINCIPAL: self.service_principals, GROUP: self.groups}[kind]
        try:
            return table[pid]
        except KeyError:
            raise UnknownPrincipalError(
                f"{where} references {kind.replace('_', ' ')} id {pid}, which the account SCIM listing does not have"
            ) from None

    def by_identity(self, identity: str) -> Principal | None:
        low = identity.lower()
        for p in (*self.users.values(), *self.service_principals.values()):
            if p.name.lower() == low:
                return p
        return None
