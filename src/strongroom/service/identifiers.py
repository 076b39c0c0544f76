"""Parsing the ways a caller may name a key: key id, key ARN, alias name, alias ARN.

Resolution rules and messages follow kms-semantics §2: a malformed id is
``NotFoundException "Invalid keyId '<input>'"``; an ARN of another region is
``NotFoundException "Invalid arn <region>"``. A key or alias ARN of another
account is refused with AccessDeniedException: until key policies can grant
cross-account use, the default key policy (account root only) never allows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.policy.evaluate import Denial
from strongroom.service import authorization
from strongroom.service.caller import Caller
from strongroom.service.errors import AccessDeniedException, NotFoundException

_KEY_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}"
)
_ARN = re.compile(r"arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):(key/.+|alias/.+)")


@dataclass(frozen=True, slots=True)
class KeyRef:
    key_id: str
    account_id: str


@dataclass(frozen=True, slots=True)
class AliasRef:
    name: str
    account_id: str


def access_denied(caller: Caller, operation: str, resource_arn: str) -> AccessDeniedException:
    """The refusal of another account's key that no key policy can have allowed."""
    return authorization.access_denied(
        caller, f"kms:{operation}", resource_arn, Denial.NO_KEY_POLICY_ALLOWS
    )


_PARSED: dict[tuple[str, str, str, bool, bool], KeyRef | AliasRef] = {}
_PARSED_MAX = 4096


def parse(
    value: str,
    caller: Caller,
    operation: str,
    *,
    allow_alias: bool,
    allow_other_account: bool = False,
) -> KeyRef | AliasRef:
    """The key or alias ``value`` names, in the caller's account and region.

    Raises NotFoundException for malformed identifiers, aliases where the
    operation takes none, and ARNs of other regions; AccessDeniedException for
    ARNs of other accounts unless ``allow_other_account`` (operations that work
    across accounts, where the key policy decides). Successful answers are
    memoised: they depend only on the arguments, and the hot path names the
    same keys again and again.
    """
    memo_key = (value, caller.account_id, caller.region, allow_alias, allow_other_account)
    ref = _PARSED.get(memo_key)
    if ref is None:
        ref = _parse(
            value,
            caller,
            operation,
            allow_alias=allow_alias,
            allow_other_account=allow_other_account,
        )
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[memo_key] = ref
    return ref


def _parse(
    value: str, caller: Caller, operation: str, *, allow_alias: bool, allow_other_account: bool
) -> KeyRef | AliasRef:
    if value.startswith("arn:"):
        m = _ARN.fullmatch(value)
        if m is None:
            raise NotFoundException(f"Invalid arn {value}")
        region, account_id, resource = m.groups()
        if region != caller.region:
            raise NotFoundException(f"Invalid arn {region}")
        if resource.startswith("alias/"):
            if not allow_alias:
                raise NotFoundException(f"Invalid keyId '{value}'")
            ref: KeyRef | AliasRef = AliasRef(resource, account_id)
        else:
            key_id = resource[4:]
            if _KEY_ID.fullmatch(key_id) is None:
                raise NotFoundException(f"Invalid keyId '{value}'")
            ref = KeyRef(key_id, account_id)
        if account_id != caller.account_id and not allow_other_account:
            raise access_denied(caller, operation, value)
        return ref
    if value.startswith("alias/"):
        if not allow_alias:
            raise NotFoundException(f"Invalid keyId '{value}'")
        return AliasRef(value, caller.account_id)
    if _KEY_ID.fullmatch(value) is None:
        raise NotFoundException(f"Invalid keyId '{value}'")
    return KeyRef(value, caller.account_id)
