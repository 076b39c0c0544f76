"""What the http layer gathers about one request for its audit event."""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import parse_qs

from strongroom.audit.chain import PendingEvent
from strongroom.audit.events import (
    ADMIN_SOURCE,
    KMS_SOURCE,
    STS_SOURCE,
    Actor,
    ApiCall,
    api_call_event,
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


class Call:
    """Filled in as the request proceeds; ``event`` turns it into the audit record.

    Cheap to fill: parsing what only the record needs (the operation's name, an
    STS form body) waits for ``event``, which a server without auditing never calls.
    """

    __slots__ = ("_headers", "_sts_body", "body", "caller", "error", "result", "target")

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        self._headers = headers
        self.target = header(headers, b"x-amz-target")
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
        match = None if self.target is None else _TARGET.fullmatch(self.target)
        if match is None:
            return KMS_SOURCE, "Unknown"
        source = KMS_SOURCE if match[1] == b"TrentService" else ADMIN_SOURCE
        return source, match[2].decode("ascii")

    def event(self, now: float, info: RequestInfo, default_region: str) -> PendingEvent:
        source, name = self._source_and_name()
        caller = self.caller
        access_key_id = None
        actor = None
        if caller is not None:
            region = caller.region
            actor = _actor(caller)
        else:
            # Not authenticated: name what the request claimed, if anything.
            region = default_region
            auth = header(self._headers, b"authorization")
            credential = None if auth is None else _CREDENTIAL.search(auth)
            if credential is not None:
                access_key_id = credential[1].decode("ascii")
                region = credential[2].decode("ascii")
        key_arns = info.key_arns
        created = _created_key_arn(name, self.result)
        if created is not None:
            key_arns = [created]
        parameters: dict[str, Any] | None = None
        responses: dict[str, Any] | None = None
        dry_run = False
        if source == KMS_SOURCE:
            parameters = request_parameters(name, self.body)
            default = _DEFAULT_ALGORITHMS.get(name)
            if default is not None and self.error is None:
                parameters = {default[0]: default[1], **(parameters or {})}
            responses = response_elements(name, self.result)
            dry_run = isinstance(self.body, dict) and self.body.get("DryRun") is True
        elif source == STS_SOURCE and isinstance(self.body, dict):
            parameters = self.body or None
        return api_call_event(
            ApiCall(
                time=now,
                request_id=info.request_id,
                event_source=source,
                event_name=name,
                region=region,
                source_ip=info.source_ip,
                user_agent=info.user_agent,
                actor=actor,
                access_key_id=access_key_id,
                request_parameters=parameters,
                response_elements=responses,
                error_code=None if self.error is None else self.error[0],
                error_message=None if self.error is None else self.error[1],
                key_arns=key_arns,
                dry_run=dry_run,
            )
        )


@functools.lru_cache(maxsize=4096)
def _actor(caller: Caller) -> Actor:
    """Callers are reused across requests (one per access key and region): so is this."""
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
