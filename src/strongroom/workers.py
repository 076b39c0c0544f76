"""Serving with one or several worker processes.

With several workers each process listens on its own socket bound with
SO_REUSEPORT, so the kernel spreads new connections across them. (A single
shared socket, as ``uvicorn --workers`` uses, lets whichever process wakes
first accept a whole burst of connections: under a load generator that opens
its connections at once, one worker can end up with all of them.)
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
from types import FrameType

APP = "strongroom.server:create_app"


def _config(log_level: str) -> dict[str, object]:
    return {
        "factory": True,
        "loop": "uvloop",
        "http": "httptools",
        "access_log": False,
        "log_level": log_level,
        "lifespan": "on",
    }


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(host: str, port: int, log_level: str) -> None:
    import uvicorn

    sock = _listening_socket(host, port)
    sock.listen(2048)
    config = uvicorn.Config(APP, **_config(log_level))  # type: ignore[arg-type]
    uvicorn.Server(config).run(sockets=[sock])


def run(host: str, port: int, workers: int, log_level: str) -> None:
    """Serve until interrupted. The environment must already carry the settings."""
    import uvicorn

    if workers == 1:
        uvicorn.run(APP, host=host, port=port, **_config(log_level))  # type: ignore[arg-type]
        return
    # Bound but never listening: it reserves the port (and picks one for port 0)
    # without taking connections itself.
    reservation = _listening_socket(host, port)
    chosen = reservation.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_worker, args=(host, chosen, log_level), name=f"worker-{i}")
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    print(f"strongroom: {workers} workers on http://{host}:{chosen}", flush=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        for process in processes:
            if process.is_alive():
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.join()
    reservation.close()
    sys.exit(max((p.exitcode or 0) for p in processes) and 1)
