"""Pre-signed requests carry every signed header; the body is AWS JSON with base64 blobs."""

from __future__ import annotations

import base64
import hashlib
import hmac

import orjson
import pytest

from bench.signing import SignedRequest, json_body, send_once, sign

KEYS = {"access_key": "AKIAIOSFODNN7EXAMPLE", "secret_key": "secret", "region": "us-east-1"}


def test_blobs_become_base64_text() -> None:
    body = orjson.loads(json_body({"Plaintext": b"\x00\xff", "EncryptionContext": {"a": "b"}}))
    assert base64.b64decode(body["Plaintext"]) == b"\x00\xff"
    assert body["EncryptionContext"] == {"a": "b"}


def test_every_signed_header_is_sent_with_host_and_target() -> None:
    signed = sign("http://127.0.0.1:4000", "Decrypt", {"CiphertextBlob": b"x"}, **KEYS)
    names = {k.lower(): v for k, v in signed.headers}
    assert set(signed.signed_header_names()) <= names.keys()
    assert names["host"] == "127.0.0.1:4000"
    assert names["x-amz-target"] == "TrentService.Decrypt"
    assert names["content-type"] == "application/x-amz-json-1.1"
    assert signed.path == "/"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sigv4_signature(request: SignedRequest, secret_key: str, region: str) -> str:
    """SigV4 written out from the AWS spec, over the headers as they will be sent."""
    headers = {k.lower(): " ".join(v.split()) for k, v in request.headers}
    names = request.signed_header_names()
    amz_date = headers["x-amz-date"]
    canonical = "\n".join(
        [
            request.method,
            request.path,
            "",
            *(f"{name}:{headers[name]}" for name in names),
            "",
            ";".join(names),
            hashlib.sha256(request.body).hexdigest(),
        ]
    )
    scope = f"{amz_date[:8]}/{region}/kms/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("AWS4" + secret_key).encode()
    for part in (amz_date[:8], region, "kms", "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def test_signature_verifies_over_the_headers_as_sent() -> None:
    signed = sign("http://127.0.0.1:4000", "Encrypt", {"KeyId": "k", "Plaintext": b"p"}, **KEYS)
    expected = sigv4_signature(signed, KEYS["secret_key"], KEYS["region"])
    assert dict(signed.headers)["Authorization"].endswith(f"Signature={expected}")


def test_send_once_refuses_other_hosts() -> None:
    request = SignedRequest("POST", "http://example.com/", (), b"{}")
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        send_once(request)
