"""Building CloudTrail records (eventVersion 1.08) for API calls and service events."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from strongroom.audit.chain import PendingEvent, canonical_json
from strongroom.clock import iso_utc

EVENT_VERSION = "1.08"
KMS_SOURCE = "kms.amazonaws.com"
STS_SOURCE = "sts.amazonaws.com"
# Strongroom's own administrative API (StrongroomAdmin.*), not an AWS service.
ADMIN_SOURCE = "admin.strongroom"
KEY_RESOURCE_TYPE = "AWS::KMS::Key"

# Successful calls of these operations count as a use of the key (GetKeyLastUsage).
CRYPTOGRAPHIC_OPERATIONS = frozenset(
    {
        "Decrypt",
        "DeriveSharedSecret",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "ReEncrypt",
        "Sign",
        "Verify",
        "VerifyMac",
    }
)

_WRITE_PREFIXES = (
    "Create",
    "Update",
    "Delete",
    "Enable",
    "Disable",
    "Put",
    "Schedule",
    "Cancel",
    "Tag",
    "Untag",
    "Retire",
    "Revoke",
    "Rotate",
    "Import",
    "Connect",
    "Disconnect",
    "Replicate",
    "Set",
    "Assume",
)


@functools.lru_cache(maxsize=1024)
def is_read_only(event_name: str) -> bool:
    """CloudTrail's readOnly: true for reads and cryptographic operations."""
    return not event_name.startswith(_WRITE_PREFIXES)


# Random bits for event ids, drawn from os.urandom 64 ids at a time: one getrandom
# call costs more than formatting an id. Per thread, and dropped in a forked child,
# so no two threads or processes ever hand out the same bits.
_IDS_PER_DRAW = 64
_random = threading.local()
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def _forget_random_bits() -> None:
    global _random
    _random = threading.local()


os.register_at_fork(after_in_child=_forget_random_bits)


def new_event_id() -> str:
    """A random (version 4) UUID as text, without uuid.UUID's overhead on the hot path."""
    try:
        h: str = _random.hex.pop()
    except (AttributeError, IndexError):
        drawn = os.urandom(16 * _IDS_PER_DRAW).hex()
        _random.hex = [drawn[i : i + 32] for i in range(0, len(drawn), 32)]
        h = _random.hex.pop()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


# Where api_call_record and service_event take their ids, looked up on every call
# (a module global stays a dictionary lookup even when mypyc compiles this module):
# the frozen-vector tests put a counter here to make records reproducible.
event_ids: Callable[[], str] = new_event_id


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller, as the audit trail needs it."""

    account_id: str
    principal_arn: str
    principal_id: str
    access_key_id: str
    via_service: str | None = None


def user_identity(actor: Actor | None, access_key_id: str | None = None) -> dict[str, Any]:
    """CloudTrail's userIdentity: Root, IAMUser, AssumedRole or, unauthenticated, Unknown.

    The result may be shared between records: never modify it.
    """
    if actor is None:
        unknown: dict[str, Any] = {"type": "Unknown"}
        if access_key_id:
            unknown["accessKeyId"] = access_key_id
        return unknown
    return _known_identity(actor)


@functools.lru_cache(maxsize=4096)
def _known_identity(actor: Actor) -> dict[str, Any]:
    # Cached: the same few principals make nearly every call.
    arn = actor.principal_arn
    identity: dict[str, Any] = {
        "principalId": actor.principal_id,
        "arn": arn,
        "accountId": actor.account_id,
        "accessKeyId": actor.access_key_id,
    }
    resource = arn.split(":", 5)[-1]
    if resource == "root":
        identity["type"] = "Root"
    elif resource.startswith("assumed-role/"):
        _, role_name, session_name = [*resource.split("/", 2), "", ""][:3]
        role_id = actor.principal_id.split(":", 1)[0]
        identity["type"] = "AssumedRole"
        identity["principalId"] = f"{role_id}:{session_name}"
        identity["sessionContext"] = {
            "sessionIssuer": {
                "type": "Role",
                "principalId": role_id,
                "arn": f"arn:aws:iam::{actor.account_id}:role/{role_name}",
                "accountId": actor.account_id,
                "userName": role_name,
            },
            "attributes": {"mfaAuthenticated": "false"},
        }
    else:
        identity["type"] = "IAMUser"
        identity["userName"] = resource.rsplit("/", 1)[-1]
    if actor.via_service is not None:
        identity["invokedBy"] = actor.via_service
    return identity


@functools.lru_cache(maxsize=4096)
def _resource(arn: str) -> dict[str, str]:
    # Cached, and shared between records: never modify it.
    return {"accountId": arn.split(":")[4], "type": KEY_RESOURCE_TYPE, "ARN": arn}


def _resources(key_arns: list[str]) -> list[dict[str, str]] | None:
    if not key_arns:
        return None
    return [_resource(arn) for arn in key_arns]


@dataclass(frozen=True, slots=True)
class ApiCall:
    """What the http layer knows about one finished request."""

    time: float
    request_id: str
    event_source: str
    event_name: str
    region: str
    source_ip: str
    user_agent: str
    actor: Actor | None
    access_key_id: str | None
    request_parameters: dict[str, Any] | None
    response_elements: dict[str, Any] | None
    error_code: str | None
    error_message: str | None
    key_arns: list[str]
    dry_run: bool = False


def api_call_event(call: ApiCall) -> PendingEvent:
    """The CloudTrail record of an API call (eventType AwsApiCall)."""
    actor = call.actor
    return api_call_record(
        call.time,
        call.request_id,
        call.event_source,
        call.event_name,
        call.region,
        call.source_ip,
        call.user_agent,
        user_identity(actor, call.access_key_id),
        None if actor is None else actor.principal_arn,
        "" if actor is None else actor.account_id,
        call.request_parameters,
        call.response_elements,
        call.error_code,
        call.error_message,
        call.key_arns,
        call.dry_run,
    )


def api_call_record(
    time: float,
    request_id: str,
    event_source: str,
    event_name: str,
    region: str,
    source_ip: str,
    user_agent: str,
    identity: dict[str, Any],
    principal_arn: str | None,
    account_id: str,
    request_parameters: dict[str, Any] | None,
    response_elements: dict[str, Any] | None,
    error_code: str | None,
    error_message: str | None,
    key_arns: list[str],
    dry_run: bool,
) -> PendingEvent:
    """``api_call_event`` without the ``ApiCall``: what the http layer calls for every request.

    ``identity`` is the caller's ``user_identity`` (the http layer keeps one per
    caller), ``principal_arn`` and ``account_id`` the caller's (None and "" when
    not authenticated). Positional, and no intermediate objects: this runs once
    per API call, and the record must stay byte for byte what ``api_call_event``
    always made (``tests/vectors/audit_records_v1.json``).
    """
    if len(key_arns) > 1:
        key_arns = list(dict.fromkeys(key_arns))
    event_id = event_ids()
    first = key_arns[0] if key_arns else None
    resources = _resources(key_arns)
    recipient = account_id if resources is None else resources[0]["accountId"]
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": iso_utc(time),
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
        "requestParameters": request_parameters,
        "responseElements": response_elements,
        "requestID": request_id,
        "eventID": event_id,
        "readOnly": is_read_only(event_name),
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": recipient,
        "eventCategory": "Management",
    }
    if resources is not None:
        record["resources"] = resources
    usage: tuple[tuple[str, str], ...] = ()
    if error_code is not None:
        record["errorCode"] = error_code
        record["errorMessage"] = error_message or ""
    elif (
        first is not None
        and not dry_run
        and event_source == KMS_SOURCE
        and event_name in CRYPTOGRAPHIC_OPERATIONS
    ):
        usage = tuple([(arn, event_name) for arn in key_arns])
    return PendingEvent(
        canonical_json(record),
        event_id,
        request_id,
        time,
        event_name,
        event_source,
        first,
        principal_arn,
        error_code,
        usage,
    )


def service_event(
    *, time: float, event_name: str, key_arn: str, details: dict[str, Any] | None = None
) -> PendingEvent:
    """A record of something KMS did by itself (eventType AwsServiceEvent).

    As CloudTrail writes RotateKey, DeleteKey and DeleteExpiredKeyMaterial: no
    request parameters, ``userIdentity`` names the account and kms.amazonaws.com.
    """
    account_id, region = key_arn.split(":")[4], key_arn.split(":")[3]
    event_id = event_ids()
    request_id = event_ids()
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": {"accountId": account_id, "invokedBy": KMS_SOURCE},
        "eventTime": iso_utc(time),
        "eventSource": KMS_SOURCE,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": KMS_SOURCE,
        "userAgent": KMS_SOURCE,
        "requestParameters": None,
        "responseElements": None,
        "requestID": request_id,
        "eventID": event_id,
        "readOnly": False,
        "resources": _resources([key_arn]),
        "eventType": "AwsServiceEvent",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "serviceEventDetails": details or {"keyId": key_arn.rsplit("/", 1)[-1]},
        "eventCategory": "Management",
    }
    return PendingEvent(
        record=canonical_json(record),
        event_id=event_id,
        request_id=request_id,
        event_time=time,
        event_name=event_name,
        event_source=KMS_SOURCE,
        key_arn=key_arn,
        principal_arn=None,
        error_code=None,
    )
