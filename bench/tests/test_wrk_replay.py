"""wrk, driven by a generated script, sends exactly the method, path, headers and body given.

This runs the real wrk for one second against a recording server on 127.0.0.1.
It checks what arrives, never how fast.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from bench import wrk

pytestmark = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")

# Every byte value, quotes and backslashes, and a digit right after an escaped byte.
BODY = bytes(range(256)) + b'"\\\n\x001{"a":"b"}'
HEADERS = (
    ("Host", "127.0.0.1:9"),
    ("X-Amz-Target", "TrentService.Encrypt"),
    ("Authorization", 'AWS4-HMAC-SHA256 Credential=A/B, Signature="x\\y"'),
)


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, str, dict[str, str], bytes]]] = []

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not self.seen:
            self.seen.append((self.command, self.path, dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_replayed_request_is_byte_exact(recorder: str, tmp_path: Path) -> None:
    script = tmp_path / "replay.lua"
    script.write_text(wrk.lua_script("PUT", "/p?q=1", HEADERS, BODY, comment="test\nscript"))
    run = wrk.run(recorder + "/", script, duration_s=1, connections=1, cpu=None)
    assert run.result.errors == 0
    assert run.result.requests >= 1
    method, path, headers, body = Recorder.seen[0]
    assert (method, path, body) == ("PUT", "/p?q=1", BODY)
    for name, value in HEADERS:
        assert headers[name] == value
    assert headers["Content-Length"] == str(len(BODY))
