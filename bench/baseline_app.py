"""The baseline for the load benchmark: the cheapest useful JSON endpoint.

A bare ASGI app that reads the whole request body, parses it as JSON with
orjson and answers ``{"ok":true}`` as ``application/x-amz-json-1.1``. It is
served by the same stack as Strongroom (uvicorn, uvloop, httptools, no access
log, one worker), so the ratio ``Strongroom req/s / baseline req/s`` measures
what Strongroom adds on top of the HTTP stack, on this machine, in this run.

GET requests are answered without parsing, so the benchmark can poll for
readiness. A POST body that is not JSON gets a 400.

Run it on its own with ``python bench/baseline_app.py --port 8765``. The file
is self-contained (no import from ``bench``) so it runs as a plain script.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CONTENT_TYPE = b"application/x-amz-json-1.1"
OK_BODY = orjson.dumps({"ok": True})
BAD_BODY = orjson.dumps({"__type": "SerializationException", "message": "body is not JSON"})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer every HTTP request with a small JSON document."""
    if scope["type"] != "http":
        return
    chunks: list[bytes] = []
    more_body = True
    while more_body:
        message = await receive()
        chunks.append(message.get("body", b""))
        more_body = message.get("more_body", False)
    status, payload = 200, OK_BODY
    if scope["method"] == "POST":
        try:
            orjson.loads(b"".join(chunks))
        except orjson.JSONDecodeError:
            status, payload = 400, BAD_BODY
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", CONTENT_TYPE),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def serve(host: str, port: int) -> None:
    """Serve :data:`app` with the server settings Strongroom uses."""
    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        workers=1,
        lifespan="off",
        log_level="warning",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
