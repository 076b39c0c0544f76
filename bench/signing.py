"""Pre-signing one AWS JSON 1.1 request with SigV4, and sending it once.

The benchmark replays a single signed request many times, so the request is
signed here with botocore's own ``SigV4Auth`` (service ``kms``) and every
header that took part in the signature is kept, Host included, exactly as
signed. A SigV4 signature is accepted for a few minutes only (5 for KMS), so
sign right before each scenario.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "TrentService."


@dataclass(frozen=True)
class SignedRequest:
    """A request ready to send as is: method, URL, headers (as signed) and body."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    def signed_header_names(self) -> list[str]:
        """The lower-case names listed in SignedHeaders of the Authorization header."""
        auth = dict((k.lower(), v) for k, v in self.headers)["authorization"]
        for part in auth.split(","):
            name, _, value = part.strip().partition("=")
            if name == "SignedHeaders":
                return value.split(";")
        raise ValueError("Authorization header has no SignedHeaders")


def json_body(params: dict[str, Any]) -> bytes:
    """Encode boto3-style parameters as an AWS JSON 1.1 body (blobs become base64 text)."""

    def encode(value: Any) -> Any:
        if isinstance(value, bytes):
            return base64.b64encode(value).decode("ascii")
        if isinstance(value, dict):
            return {k: encode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [encode(v) for v in value]
        return value

    return orjson.dumps(encode(params))


def sign(
    endpoint: str,
    operation: str,
    params: dict[str, Any],
    *,
    access_key: str,
    secret_key: str,
    region: str,
    service: str = "kms",
) -> SignedRequest:
    """Sign a ``POST /`` for ``TrentService.<operation>`` with ``params`` as its body.

    The returned headers are the ones botocore signed, plus the Host it signed
    (botocore signs a Host derived from the URL without adding the header).
    """
    url = endpoint.rstrip("/") + "/"
    body = json_body(params)
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"X-Amz-Target": TARGET_PREFIX + operation, "Content-Type": JSON_CONTENT_TYPE},
    )
    SigV4Auth(Credentials(access_key, secret_key), service, region).add_auth(request)
    headers = [("Host", urlsplit(url).netloc)]
    headers += [(k, v) for k, v in request.headers.items() if k.lower() != "host"]
    signed = SignedRequest("POST", url, tuple(headers), body)
    present = {k.lower() for k, _ in headers}
    missing = [h for h in signed.signed_header_names() if h not in present]
    if missing:
        raise ValueError(f"signed headers missing from the request: {missing}")
    return signed


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


def send_once(request: SignedRequest, timeout_s: float = 10.0) -> Reply:
    """Send ``request`` once and return the status and body, also for 4xx/5xx answers."""
    if urlsplit(request.url).hostname != "127.0.0.1":
        raise ValueError("the benchmark only talks to 127.0.0.1")
    http_request = urllib.request.Request(  # noqa: S310 - the URL is checked just above
        request.url, data=request.body, headers=dict(request.headers), method=request.method
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout_s) as response:  # noqa: S310
            return Reply(response.status, response.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, exc.read())
