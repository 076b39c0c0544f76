"""What the service may know about the request in progress, beyond its parameters.

Set by the http layer for the duration of one request (a ``ContextVar``, so
concurrent requests on one event loop never see each other's); read by
authorization (aws:SourceIp, aws:SecureTransport) and by the audit trail, which
also reads back the keys the request resolved (``key_arns``).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(slots=True)
class RequestInfo:
    """Built on the hot path, so it keeps the raw pieces and derives the rest when asked."""

    request_id: str
    client: tuple[str, int] | None
    headers: list[tuple[bytes, bytes]]
    secure_transport: bool
    # ARNs of the keys the request resolved, in order (for the audit event's
    # resources): appended by key lookup, even if authorization then refuses.
    key_arns: list[str] = field(default_factory=list)

    def add_key(self, arn: str) -> None:
        # Outside a request (request_id "") there is no event to name the key in.
        if self.request_id and arn not in self.key_arns:
            self.key_arns.append(arn)

    @property
    def source_ip(self) -> str:
        return self.client[0] if self.client else ""

    @property
    def user_agent(self) -> str:
        for name, value in self.headers:
            if name == b"user-agent":
                return value.decode("latin-1")
        return ""


_EMPTY = RequestInfo(request_id="", client=None, headers=[], secure_transport=False)
_CURRENT: ContextVar[RequestInfo] = ContextVar("strongroom_request", default=_EMPTY)


def current_request() -> RequestInfo:
    return _CURRENT.get()


def set_current_request(info: RequestInfo) -> None:
    """Set for the current task (each ASGI request runs in its own task)."""
    _CURRENT.set(info)
