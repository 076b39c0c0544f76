"""The ASGI application: AWS JSON 1.1 over ``POST /``, authenticated with SigV4.

Deliberately a bare ASGI callable rather than a framework app: the hot path
(Encrypt/Decrypt/GenerateDataKey) is a few tens of microseconds of work, and a
router and request objects would cost as much again. Errors are mapped in one
place, by the exception's class: ``KMSError`` subclasses carry their AWS type
and status; anything else is logged and answered as ``KMSInternalException``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from strongroom.audit.recorder import AuditSink
from strongroom.auth.credentials import CredentialResolver, ResolvedCredential
from strongroom.auth.sigv4 import AuthHeader, SigV4Verifier, parse_authorization
from strongroom.clock import Clock
from strongroom.domain.identities import Principal as Identity
from strongroom.http import sts as sts_protocol
from strongroom.http.admin import AdminOperations
from strongroom.http.audit_events import Call as _Call
from strongroom.http.codec import RequestDecoder, encode_value
from strongroom.http.headers import header
from strongroom.http.shapes import ServiceModel
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import (
    AccessDeniedException,
    ExpiredTokenException,
    InvalidSignatureException,
    KMSError,
    KMSInternalException,
    SerializationException,
    UnknownOperationException,
    UnrecognizedClientException,
    ValidationException,
)
from strongroom.service.key_cache import TtlCache
from strongroom.service.operations import OPERATIONS, Operation
from strongroom.service.request_info import RequestInfo, set_current_request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger("strongroom.http")

HEALTH_PATH = "/_strongroom/health"
ADMIN_PREFIX = b"StrongroomAdmin."
ON_BEHALF_OF = b"x-strongroom-on-behalf-of"
_CONTENT_TYPE = (b"content-type", b"application/x-amz-json-1.1")
_XML = (b"content-type", b"text/xml")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


class BodyTooLarge(Exception):
    pass


async def _nothing() -> None:
    return None


async def _read_rest(message: Message, receive: Receive, limit: int) -> bytes:
    """The whole body of a request whose first ``message`` said more is coming.

    (A body in one message, nearly every request, is read in place by the caller.)
    """
    body: bytes = message.get("body", b"")
    chunks = [body]
    size = len(body)
    while message.get("more_body", False):
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class KmsApp:
    def __init__(
        self,
        *,
        ctx: ServiceContext,
        model: ServiceModel,
        verifier: SigV4Verifier,
        credentials: CredentialResolver,
        wall_clock: Clock,
        max_body_bytes: int,
        admin: AdminOperations | None = None,
        on_startup: Callable[[], Awaitable[None]] = _nothing,
        on_shutdown: Callable[[], Awaitable[None]] = _nothing,
        audit: AuditSink | None = None,
        region: str = "us-east-1",
    ) -> None:
        self._ctx = ctx
        self._model = model
        self._verifier = verifier
        self._credentials = credentials
        # SigV4 skew is judged against real time, even when a test moves the server's clock.
        self._wall_clock = wall_clock
        self._max_body_bytes = max_body_bytes
        self._admin = admin
        self._on_startup = on_startup
        self._on_shutdown = on_shutdown
        self._audit = audit
        # The region of events whose request named none (unauthenticated calls).
        self._region = region
        self._request_ids = _RequestIds()
        self._principals: TtlCache[Identity] = TtlCache(
            self._load_principal, ttl=ctx.cache_ttl_seconds
        )
        self._callers: dict[tuple[str, str], Caller] = {}
        known = model.operation_names()
        # By the X-Amz-Target value itself, so a call needs no slicing or decoding to find it.
        self._operations: dict[bytes, tuple[Operation, RequestDecoder]] = {
            b"TrentService." + name.encode("ascii"): (op, RequestDecoder(op.request_type))
            for name, op in OPERATIONS.items()
            if name in known
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            if scope["method"] == "POST" and scope["path"] == "/":
                await self._api(scope, receive, send)
            elif scope["method"] == "GET" and scope["path"] == HEALTH_PATH:
                await _respond(send, 200, b'{"status":"ok"}', "")
            else:
                body = orjson.dumps({"__type": "UnknownOperationException", "message": ""})
                await _respond(send, 404, body, "")
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self._on_startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _api(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one request, after its audit event is durable (``self._audit``).

        Every request leaves one event, whatever its outcome: authentication
        failures, malformed requests, refusals and internal errors included. If
        the event cannot be written the client gets KMSInternalException (500),
        never a success: an acknowledged call always has its event on disk.
        """
        request_id = self._request_ids.next()
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        # One dict for the lookups that follow; None if a name repeats, since
        # SigV4 joins repeated headers (the list is read in full then).
        as_dict = dict(headers)
        by_name = as_dict if len(as_dict) == len(headers) else None
        info = RequestInfo(request_id, scope.get("client"), headers, scope.get("scheme") == "https")
        set_current_request(info)
        call = _Call(headers, None if by_name is None else by_name.get(b"x-amz-target"))
        content_type = _CONTENT_TYPE
        try:
            try:
                message = await receive()
                if message.get("more_body", False):
                    body = await _read_rest(message, receive, self._max_body_bytes)
                else:
                    body = message.get("body", b"")
                    if len(body) > self._max_body_bytes:
                        raise BodyTooLarge
            except BodyTooLarge:
                raise ValidationException(
                    f"Request body must not exceed {self._max_body_bytes} bytes."
                ) from None
            if _is_sts(headers, by_name):
                content_type = _XML
                call.sts(body)
                try:
                    status, payload = (
                        200,
                        await self._sts(scope, headers, by_name, body, call, request_id),
                    )
                except KMSError as e:
                    call.failed(e.code, e.message)
                    status, payload = sts_protocol.error_document(e, request_id)
            else:
                status, payload = await self._kms(scope, headers, by_name, body, call)
        except KMSError as e:
            call.failed(e.code, e.message)
            status, payload = e.status, _error_body(e.code, e.message)
        except Exception:
            # Details go to the log only; the client gets the generic retryable fault.
            log.exception("internal error", extra={"request_id": request_id})
            call.failed(_INTERNAL_ERROR.code, _INTERNAL_ERROR.message)
            status, payload = _internal_error(content_type, request_id)
        if self._audit is not None:
            try:
                await self._audit.record(call.event(self._ctx.clock.now(), info, self._region))
            except Exception:
                log.exception("audit event not recorded", extra={"request_id": request_id})
                status, payload = _internal_error(content_type, request_id)
        await _respond(send, status, payload, request_id, content_type=content_type)

    async def _kms(
        self,
        scope: Scope,
        headers: list[tuple[bytes, bytes]],
        by_name: dict[bytes, bytes] | None,
        body: bytes,
        call: _Call,
    ) -> tuple[int, bytes]:
        """A TrentService or StrongroomAdmin call: (status, body). Raises KMSError."""
        caller = await self._authenticate(scope, headers, by_name, body)
        call.caller = caller
        target = call.target
        if target is not None and target.startswith(ADMIN_PREFIX):
            return 200, await self._admin_call(target, body, caller)
        entry = None if target is None else self._operations.get(target)
        if entry is None:
            raise UnknownOperationException("")
        operation, decoder = entry
        try:
            parsed = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            raise SerializationException("Malformed JSON request body.") from None
        call.body = parsed
        request = decoder.decode(self._model.decode_input(operation.name, parsed))
        result = encode_value(await operation.handler(self._ctx, caller, request))
        call.result = result
        return 200, orjson.dumps(result)

    async def _on_behalf_of(
        self,
        region: str,
        signed_headers: tuple[str, ...],
        headers: list[tuple[bytes, bytes]],
        credential: ResolvedCredential,
    ) -> Caller:
        """A registered service acting for one of its users: authorize as that user, with
        kms:ViaService. The header naming the user must be signed, so it cannot be swapped."""
        named = header(headers, ON_BEHALF_OF)
        if named is None or ON_BEHALF_OF.decode() not in signed_headers:
            raise AccessDeniedException(
                "A service must name the principal it acts for in the signed "
                "X-Strongroom-On-Behalf-Of header."
            )
        arn = named.decode("latin-1")
        hit, target = self._principals.fresh(arn)
        if not hit:
            target = await self._principals.get(arn)
        if target is None or target.kind not in ("user", "role"):
            raise AccessDeniedException(
                f"Service {credential.principal.name} cannot act for {arn}: no such principal."
            )
        return Caller(
            account_id=target.account_id,
            principal_arn=target.arn,
            principal_id=target.principal_id,
            access_key_id=credential.access_key_id,
            region=region,
            via_service=credential.principal.name,
        )

    def _load_principal(self, arn: str) -> Identity | None:
        with self._ctx.store.unit_of_work(write=False) as uow:
            return uow.identities.get_principal_by_arn(arn)

    def _check_session(self, credential: ResolvedCredential, token: bytes | None) -> None:
        """Temporary credentials: the session token must match, and the session be current."""
        assert credential.token_sha256 is not None and credential.expires_at is not None
        if token is None or not hmac.compare_digest(
            hashlib.sha256(token).digest(), credential.token_sha256
        ):
            raise UnrecognizedClientException(
                "The security token included in the request is invalid."
            )
        # Sessions expire on the service clock (which tests can move), like everything
        # else with a lifetime; only signature skew is judged on real time.
        if self._ctx.clock.now() >= credential.expires_at:
            raise ExpiredTokenException("The security token included in the request is expired")

    async def _sts(
        self,
        scope: Scope,
        headers: list[tuple[bytes, bytes]],
        by_name: dict[bytes, bytes] | None,
        body: bytes,
        call: _Call,
        request_id: str,
    ) -> bytes:
        caller = await self._authenticate(scope, headers, by_name, body, service="sts")
        call.caller = caller
        return await sts_protocol.handle(self._ctx, caller, body, request_id)

    async def _admin_call(self, target: bytes, body: bytes, caller: Caller) -> bytes:
        if self._admin is None:
            raise AccessDeniedException("Administrative calls are not enabled on this server.")
        try:
            parsed = orjson.loads(body) if body else {}
        except orjson.JSONDecodeError:
            raise SerializationException("Malformed JSON request body.") from None
        if not isinstance(parsed, dict):
            raise SerializationException("Start of structure or map found where not expected.")
        name = target[len(ADMIN_PREFIX) :].decode("ascii", "replace")
        return orjson.dumps(await self._admin.call(name, parsed, caller))

    async def _authenticate(
        self,
        scope: Scope,
        headers: list[tuple[bytes, bytes]],
        by_name: dict[bytes, bytes] | None,
        body: bytes,
        service: str = "kms",
    ) -> Caller:
        raw = None if by_name is None else by_name.get(b"authorization")
        known = None if raw is None else self._verifier.recall(raw)
        if (
            known is None
            or known[0].service != service
            or by_name is None
            or (b"x-amz-date" not in by_name and b"date" not in by_name)
        ):
            return await self._authenticate_in_full(scope, headers, body, service)
        # The Authorization header's credential part was accepted before: what
        # parsing it would check (form, service, region) holds, the rest is checked.
        auth, signature = known
        credential = self._credentials.cached(auth.access_key_id)
        if credential is None:
            credential = await self._credential(auth.access_key_id)
        self._check_token(credential, by_name.get(b"x-amz-security-token"))
        self._verifier.verify_known(
            auth,
            signature,
            credential.secret_access_key,
            raw_path=scope.get("raw_path") or scope["path"].encode(),
            query_string=scope.get("query_string", b""),
            headers=by_name,
            body=body,
            now=self._wall_clock.now(),
        )
        if credential.principal.kind == "service":
            return await self._caller(auth, credential, headers)
        return self._own_caller(auth, credential)

    async def _authenticate_in_full(
        self, scope: Scope, headers: list[tuple[bytes, bytes]], body: bytes, service: str
    ) -> Caller:
        auth = parse_authorization(headers)
        if auth.service != service:
            raise InvalidSignatureException(
                f"Credential should be scoped to correct service: '{service}'. "
            )
        if _REGION.fullmatch(auth.region) is None:
            raise InvalidSignatureException("Credential should be scoped to a valid region. ")
        credential = await self._credential(auth.access_key_id)
        self._check_token(credential, header(headers, b"x-amz-security-token"))
        raw_path = scope.get("raw_path") or scope["path"].encode()
        self._verifier.verify(
            auth,
            credential.secret_access_key,
            method="POST",
            raw_path=raw_path,
            query_string=scope.get("query_string", b""),
            headers=headers,
            body=body,
            now=self._wall_clock.now(),
        )
        raw = header(headers, b"authorization")
        if raw is not None:
            self._verifier.remember(raw, auth)
        return await self._caller(auth, credential, headers)

    async def _credential(self, access_key_id: str) -> ResolvedCredential:
        credential = await self._credentials.resolve(access_key_id)
        if credential is None:
            raise UnrecognizedClientException(
                "The security token included in the request is invalid."
            )
        return credential

    def _check_token(self, credential: ResolvedCredential, token: bytes | None) -> None:
        if credential.token_sha256 is not None:
            self._check_session(credential, token)
        elif token is not None:
            raise UnrecognizedClientException(
                "The security token included in the request is invalid."
            )

    async def _caller(
        self, auth: AuthHeader, credential: ResolvedCredential, headers: list[tuple[bytes, bytes]]
    ) -> Caller:
        if credential.principal.kind == "service":
            return await self._on_behalf_of(auth.region, auth.signed_headers, headers, credential)
        return self._own_caller(auth, credential)

    def _own_caller(self, auth: AuthHeader, credential: ResolvedCredential) -> Caller:
        """The caller a user's or role's own credential makes (one per access key and region)."""
        caller_key = (credential.access_key_id, auth.region)
        caller = self._callers.get(caller_key)
        if caller is None or caller.principal_arn != credential.principal.arn:
            principal = credential.principal
            caller = Caller(
                account_id=principal.account_id,
                principal_arn=principal.arn,
                principal_id=principal.principal_id,
                access_key_id=credential.access_key_id,
                region=auth.region,
            )
            if len(self._callers) >= 4096:
                self._callers.clear()
            self._callers[caller_key] = caller
        return caller


class _RequestIds:
    """Request ids in UUID form: a random per-process prefix and a counter.

    Unique without a system call per request; ids are opaque to clients.
    """

    def __init__(self) -> None:
        h = os.urandom(10).hex()
        self._prefix = f"{h[:8]}-{h[8:12]}-4{h[12:15]}-{'89ab'[int(h[15], 16) & 3]}{h[16:19]}-"
        self._counter = itertools.count(int.from_bytes(os.urandom(3), "big"))

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFFFFFFFFFF:012x}"


def _is_sts(headers: list[tuple[bytes, bytes]], by_name: dict[bytes, bytes] | None) -> bool:
    """Whether the request is signed for STS (its credential scope names the service)."""
    value = header(headers, b"authorization") if by_name is None else by_name.get(b"authorization")
    return value is not None and b"/sts/aws4_request" in value


_INTERNAL_ERROR = KMSInternalException("Internal error.")


def _internal_error(content_type: tuple[bytes, bytes], request_id: str) -> tuple[int, bytes]:
    """The generic retryable fault, in the protocol of the request (JSON, or STS's XML)."""
    if content_type is _XML:
        return sts_protocol.error_document(_INTERNAL_ERROR, request_id)
    return _INTERNAL_ERROR.status, _error_body(_INTERNAL_ERROR.code, _INTERNAL_ERROR.message)


def _error_body(code: str, message: str) -> bytes:
    return orjson.dumps({"__type": code, "message": message})


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    request_id: str,
    content_type: tuple[bytes, bytes] = _CONTENT_TYPE,
) -> None:
    headers = [
        content_type,
        (b"content-length", b"%d" % len(body)),
        (b"x-amzn-requestid", request_id.encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
