"""The baseline app answers {"ok":true} to JSON, 400 to anything else, 200 to GET."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from bench.baseline_app import app


def call(method: str, chunks: list[bytes]) -> tuple[int, dict[bytes, bytes], bytes]:
    pending = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(app({"type": "http", "method": method, "path": "/"}, receive, send))
    start, body = sent
    return start["status"], dict(start["headers"]), body["body"]


def test_json_body_read_in_chunks_gets_ok() -> None:
    status, headers, body = call("POST", [b'{"KeyId":', b'"k"}'])
    assert status == 200
    assert headers[b"content-type"] == b"application/x-amz-json-1.1"
    assert orjson.loads(body) == {"ok": True}
    assert headers[b"content-length"] == str(len(body)).encode()


def test_non_json_body_gets_400() -> None:
    assert call("POST", [b"not json"])[0] == 400


def test_get_is_answered_without_parsing() -> None:
    assert call("GET", [b""])[0] == 200
