"""The account's identities as the collector read them, independent of the SDK's classes."""

from __future__ import annotations

from dataclasses import dataclass, field

USER = "user"
SERVICE_PRINCIPAL = "service_principal"
GROUP = "group"


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # user | service_principal | group
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
