"""What the http layer gathers about one request for its audit event."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

from strongroom.audit.chain import PendingEvent
from strongroom.audit.events import (
    ADMIN_SOURCE,
    KMS_SOURCE,
    STS_SOURCE,
    Actor,
    api_call_record,
    user_identity,
)
from strongroom.audit.parameters import lower_camel, request_parameters, response_elements
from strongroom.http.headers import header
from strongroom.service.caller import Caller
from strongroom.service.request_info import RequestInfo

_CREDENTIAL = re.compile(rb"Credential=([A-Za-z0-9]{1,128})/\d{8}/([a-z0-9-]{1,32})/")
_TARGET = re.compile(rb"(TrentService|StrongroomAdmin)\.([A-Za-z0-9]{1,64})")
_STS_LOGGED = ("RoleArn", "RoleSessionName", "DurationSeconds", "ExternalId")
# Decrypt entries always carry the algorithm, defaulted as the service defaults it.
_DEFAULT_ALGORITHMS = {"Decrypt": ("encryptionAlgorithm", "SYMMETRIC_DEFAULT")}
# X-Amz-Target value -> (event source, event name): parsed once per distinct value.
_TARGETS: dict[bytes | None, tuple[str, str]] = {}
_MAX_TARGETS = 1024


class Call:
    """Filled in as the request proceeds; ``event`` turns it into the audit record.

    Cheap to fill: parsing what only the record needs (the operation's name, an
    STS form body) waits for ``event``, which a server without auditing never calls.
    """

    __slots__ = ("_headers", "_sts_body", "body", "caller", "error", "result", "target")

    def __init__(self, headers: list[tuple[bytes, bytes]], target: bytes | None = None) -> None:
        """``target`` is the X-Amz-Target value if the caller has it at hand already."""
        self._headers = headers
        self.target = header(headers, b"x-amz-target") if target is None else target
        self._sts_body: bytes | None = None
        self.caller: Caller | None = None
        self.body: object = None
        self.result: object = None
        self.error: tuple[str, str] | None = None

    def sts(self, body: bytes) -> None:
        """An STS request (a form body): its action names the event."""
        self._sts_body = body

    def failed(self, code: str, message: str) -> None:
        self.error = (code, message)

    def _source_and_name(self) -> tuple[str, str]:
        if self._sts_body is not None:
            params = parse_qs(self._sts_body.decode("utf-8", "replace"), keep_blank_values=True)
            action = (params.get("Action") or ["Unknown"])[0]
            # Only a few members are logged, never the session policy or tokens.
            self.body = {lower_camel(n): params[n][0] for n in _STS_LOGGED if n in params}
            return STS_SOURCE, action if action.isalnum() and len(action) <= 64 else "Unknown"
        known = _TARGETS.get(self.target)
        if known is None:
            known = _parse_target(self.target)
            if len(_TARGETS) >= _MAX_TARGETS:
                _TARGETS.clear()  # clients choose the value: keep the table bounded
            _TARGETS[self.target] = known
        return known

    def event(self, now: float, info: RequestInfo, default_region: str) -> PendingEvent:
        source, name = self._source_and_name()
        caller = self.caller
        if caller is not None:
            region = caller.region
            identity, principal_arn, account_id = _caller_identity(caller)
        else:
            # Not authenticated: name what the request claimed, if anything.
            region = default_region
            access_key_id = None
            auth = header(self._headers, b"authorization")
            credential = None if auth is None else _CREDENTIAL.search(auth)
            if credential is not None:
                access_key_id = credential[1].decode("ascii")
                region = credential[2].decode("ascii")
            identity, principal_arn, account_id = user_identity(None, access_key_id), None, ""
        key_arns = info.key_arns
        created = _created_key_arn(name, self.result)
        if created is not None:
            key_arns = [created]
        parameters: dict[str, Any] | None = None
        responses: dict[str, Any] | None = None
        dry_run = False
        body = self.body
        if source == KMS_SOURCE:
            parameters = request_parameters(name, body)
            default = _DEFAULT_ALGORITHMS.get(name)
            if default is not None and self.error is None:
                parameters = {default[0]: default[1], **(parameters or {})}
            responses = response_elements(name, self.result)
            dry_run = isinstance(body, dict) and body.get("DryRun") is True
        elif source == STS_SOURCE and isinstance(body, dict):
            parameters = body or None
        error = self.error
        return api_call_record(
            now,
            info.request_id,
            source,
            name,
            region,
            info.source_ip,
            info.user_agent,
            identity,
            principal_arn,
            account_id,
            parameters,
            responses,
            None if error is None else error[0],
            None if error is None else error[1],
            key_arns,
            dry_run,
        )


def _parse_target(target: bytes | None) -> tuple[str, str]:
    match = None if target is None else _TARGET.fullmatch(target)
    if match is None:
        return KMS_SOURCE, "Unknown"
    source = KMS_SOURCE if match[1] == b"TrentService" else ADMIN_SOURCE
    return source, match[2].decode("ascii")


# id(caller) -> (caller, its userIdentity, principal ARN, account id). The app reuses
# one Caller per access key and region, so the same few make nearly every call.
# Keyed by identity rather than by value: hashing the dataclass's six fields on
# every call costs more than the lookup saves. The entry holds the Caller itself,
# so its id cannot be reused while the entry exists, and ``is`` confirms the hit.
_IDENTITIES: dict[int, tuple[Caller, dict[str, Any], str, str]] = {}
_MAX_IDENTITIES = 4096


def _caller_identity(caller: Caller) -> tuple[dict[str, Any], str, str]:
    """The caller's userIdentity (shared between records: never modify it), ARN and account."""
    entry = _IDENTITIES.get(id(caller))
    if entry is None or entry[0] is not caller:
        if len(_IDENTITIES) >= _MAX_IDENTITIES:
            _IDENTITIES.clear()
        entry = (caller, user_identity(_actor(caller)), caller.principal_arn, caller.account_id)
        _IDENTITIES[id(caller)] = entry
    return entry[1], entry[2], entry[3]


def _actor(caller: Caller) -> Actor:
    return Actor(
        account_id=caller.account_id,
        principal_arn=caller.principal_arn,
        principal_id=caller.principal_id,
        access_key_id=caller.access_key_id,
        via_service=caller.via_service,
    )


def _created_key_arn(name: str, result: object) -> str | None:
    """CreateKey resolves no key: its resource is the key it made."""
    if name != "CreateKey" or not isinstance(result, dict):
        return None
    metadata = result.get("KeyMetadata")
    arn = metadata.get("Arn") if isinstance(metadata, dict) else None
    return arn if isinstance(arn, str) else None
