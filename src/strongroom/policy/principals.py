"""Who is calling (:class:`Principal`) and whom a statement names (:class:`PrincipalSet`).

A caller is seen as a chain of identities, as IAM evaluates it ("IAM JSON
policy elements: NotPrincipal"): its own ARN, the role ARN when it is an
assumed-role session, and its account. A ``Principal`` element matches when it
names any identity of the chain:

* ``"*"`` or ``{"AWS": "*"}`` — everyone (service principals included);
* the caller's ARN, or for an assumed-role session its role's ARN — a *direct*
  match (a role ARN covers every session of the role);
* the caller's account (``"111122223333"`` or ``"arn:aws:iam::111122223333:root"``)
  — an *account* match: the key policy delegates to the account's IAM
  policies, it does not grant the caller anything by itself;
* ``{"Service": "<name>"}`` — the service principal of that name.

``NotPrincipal`` is evaluated fail-safe, because AWS only says a Deny "might"
apply to an identity of the chain that is not listed: a ``Deny`` with
``NotPrincipal`` exempts the caller only when *every* identity of its chain is
listed (the documented advice: list the session, the role and the account);
an ``Allow`` with ``NotPrincipal`` applies only when *no* identity of the chain
is listed.

Parsing raises ``ValueError``; ``strongroom.policy.document`` turns it into
``MalformedPolicy``. Whether listed principals exist is the caller's check.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = ["Principal", "PrincipalMatch", "PrincipalSet", "parse_principals"]

INVALID_PRINCIPALS = "Policy contains a statement with one or more invalid principals."

_PARTITION = r"aws(?:-[a-z]+)*"
_ACCOUNT_ID = re.compile(r"\d{12}")
_ACCOUNT_ROOT = re.compile(rf"arn:{_PARTITION}:iam::(\d{{12}}):root")
# IAM names use [\w+=,.@-]; paths are /segment/.../ (wildcards are never allowed in principals).
_NAME = r"[\w+=,.@-]+"
_PATH = rf"/(?:{_NAME}/)*"
_USER_OR_ROLE = re.compile(rf"arn:({_PARTITION}):iam::(\d{{12}}):(?:user|role){_PATH}{_NAME}")
_ASSUMED_ROLE = re.compile(rf"arn:({_PARTITION}):sts::(\d{{12}}):assumed-role/({_NAME})/{_NAME}")
_FEDERATED_USER = re.compile(rf"arn:({_PARTITION}):sts::(\d{{12}}):federated-user/{_NAME}")
_SERVICE = re.compile(r"[a-z0-9][a-z0-9.-]*")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of a request.

    ``arn`` is a user or role ARN, an assumed-role session ARN
    (``arn:aws:sts::ACCT:assumed-role/ROLE/SESSION``), a federated-user ARN,
    or the account root (``arn:aws:iam::ACCT:root``). ``role_arn`` is set for
    assumed-role sessions. Service principals have ``is_service`` and
    ``service_name`` (``"cloudtrail.amazonaws.com"``) and no account.
    """

    arn: str
    account_id: str
    role_arn: str | None = None
    is_service: bool = False
    service_name: str | None = None

    @classmethod
    def from_arn(cls, arn: str) -> Principal:
        """Build a caller from its ARN; raise ``ValueError`` for anything else.

        For an assumed-role session the role ARN is rebuilt without a path;
        pass ``role_arn`` yourself when the role has one.
        """
        root = _ACCOUNT_ROOT.fullmatch(arn)
        if root:
            return cls(arn, root.group(1))
        plain = _USER_OR_ROLE.fullmatch(arn) or _FEDERATED_USER.fullmatch(arn)
        if plain:
            return cls(arn, plain.group(2))
        session = _ASSUMED_ROLE.fullmatch(arn)
        if session:
            partition, account, role = session.groups()
            return cls(arn, account, role_arn=f"arn:{partition}:iam::{account}:role/{role}")
        raise ValueError(f"not a principal ARN: {arn}")

    @classmethod
    def for_service(cls, service_name: str) -> Principal:
        """A service principal such as ``"cloudtrail.amazonaws.com"``."""
        return cls(service_name, "", is_service=True, service_name=service_name)

    @property
    def is_account_root(self) -> bool:
        """Whether the caller is its account's root user (never bound by identity policies)."""
        root = _ACCOUNT_ROOT.fullmatch(self.arn)
        return root is not None and root.group(1) == self.account_id


class PrincipalMatch(enum.Enum):
    """How a ``Principal`` element covers a caller."""

    NONE = "none"
    DIRECT = "direct"  # the caller, its role, "*" or its service
    ACCOUNT = "account"  # only through the caller's account: delegation to IAM


@dataclass(frozen=True, slots=True)
class PrincipalSet:
    """The principals named by a ``Principal`` or ``NotPrincipal`` element."""

    everyone: bool = False
    accounts: frozenset[str] = frozenset()
    arns: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()

    def match(self, principal: Principal) -> PrincipalMatch:
        """How this set, used as a ``Principal`` element, covers ``principal``."""
        if self.everyone:
            return PrincipalMatch.DIRECT
        if principal.is_service:
            return (
                PrincipalMatch.DIRECT
                if principal.service_name in self.services
                else PrincipalMatch.NONE
            )
        if principal.arn in self.arns or principal.role_arn in self.arns:
            return PrincipalMatch.DIRECT
        if principal.account_id in self.accounts:
            return PrincipalMatch.ACCOUNT
        return PrincipalMatch.NONE

    def _listed(self, principal: Principal) -> list[bool]:
        """For each identity in the caller's chain, whether this set names it."""
        if self.everyone:
            return [True]
        if principal.is_service:
            return [principal.service_name in self.services]
        if principal.is_account_root:
            # The root user *is* the account: its ARN was parsed into ``accounts``.
            return [principal.account_id in self.accounts]
        chain = [principal.arn in self.arns]
        if principal.role_arn is not None:
            chain.append(principal.role_arn in self.arns)
        chain.append(principal.account_id in self.accounts)
        return chain

    def excludes_from_deny(self, principal: Principal) -> bool:
        """As ``NotPrincipal`` of a Deny: whether the caller is exempt (every identity listed)."""
        return all(self._listed(principal))

    def excludes_from_allow(self, principal: Principal) -> bool:
        """As ``NotPrincipal`` of an Allow: whether the caller is left out (any identity listed)."""
        return any(self._listed(principal))

    def aws_principals(self) -> frozenset[str]:
        """The account IDs and ARNs named under ``AWS`` (for existence checks by the caller)."""
        return self.accounts | self.arns


def _strings(raw: object) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    strings = [item for item in items if isinstance(item, str)]
    if not items or len(strings) != len(items):
        raise ValueError(INVALID_PRINCIPALS)
    return strings


def parse_principals(raw: object) -> PrincipalSet:
    """Parse a ``Principal``/``NotPrincipal`` value; raise ``ValueError`` if it is not valid.

    Accepted: ``"*"``; an object with ``AWS`` and/or ``Service`` entries, each
    a string or a non-empty list of strings. ``AWS`` entries are ``"*"``, a
    12-digit account ID, an account root ARN, a user or role ARN, an
    assumed-role session ARN or a federated-user ARN, without wildcards.
    Other principal types (``Federated``, ``CanonicalUser``) are refused: KMS
    key policies do not use them.
    """
    if raw == "*":
        return PrincipalSet(everyone=True)
    if not isinstance(raw, dict) or not raw or not set(raw) <= {"AWS", "Service"}:
        raise ValueError(INVALID_PRINCIPALS)
    everyone = False
    accounts: set[str] = set()
    arns: set[str] = set()
    services: set[str] = set()
    for entry in _strings(raw["AWS"]) if "AWS" in raw else []:
        root = _ACCOUNT_ROOT.fullmatch(entry)
        if entry == "*":
            everyone = True
        elif _ACCOUNT_ID.fullmatch(entry):
            accounts.add(entry)
        elif root:
            accounts.add(root.group(1))
        elif any(p.fullmatch(entry) for p in (_USER_OR_ROLE, _ASSUMED_ROLE, _FEDERATED_USER)):
            arns.add(entry)
        else:
            raise ValueError(INVALID_PRINCIPALS)
    for entry in _strings(raw["Service"]) if "Service" in raw else []:
        if not _SERVICE.fullmatch(entry):
            raise ValueError(INVALID_PRINCIPALS)
        services.add(entry)
    return PrincipalSet(everyone, frozenset(accounts), frozenset(arns), frozenset(services))
