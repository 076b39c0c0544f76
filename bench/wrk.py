"""Driving wrk: a Lua script that replays one request, and parsing wrk's report.

wrk (https://github.com/wg/wrk, 4.x) is given a generated script that sets
``wrk.method``, ``wrk.path``, ``wrk.body`` and ``wrk.headers``, so every
request it sends is byte-for-byte the same pre-signed request. The script
defines no ``request``/``response`` callbacks: those run Lua per request and
would make the load generator, not the server, the bottleneck.

The report is wrk's human-readable text (``--latency`` adds the percentile
table). Non-2xx/3xx answers and socket errors are printed only when non-zero.
"""

from __future__ import annotations

import re
import resource
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# wrk prints times with format_time() in units.c: us, ms, s, then m and h.
_MS_PER_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_TIME = r"([0-9]+(?:\.[0-9]+)?)(us|ms|s|m|h)"

_PERCENTILE_RE = re.compile(rf"^\s*([0-9]+(?:\.[0-9]+)?)%\s+{_TIME}\s*$", re.MULTILINE)
_RPS_RE = re.compile(r"^Requests/sec:\s+([0-9]+(?:\.[0-9]+)?)\s*$", re.MULTILINE)
_TOTAL_RE = re.compile(rf"^\s*([0-9]+) requests in {_TIME},", re.MULTILINE)
_SOCKET_RE = re.compile(
    r"Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)"
)
_NON_2XX_RE = re.compile(r"Non-2xx or 3xx responses: ([0-9]+)")


class WrkError(RuntimeError):
    """wrk failed to run, or printed a report this module cannot read."""


@dataclass(frozen=True)
class WrkResult:
    """The figures read from one wrk report. Times are in milliseconds."""

    requests_per_sec: float
    requests: int
    duration_ms: float
    latency_ms: dict[float, float]
    socket_errors: int
    non_2xx: int

    @property
    def errors(self) -> int:
        """Socket errors (connect, read, write, timeout) plus non-2xx/3xx answers."""
        return self.socket_errors + self.non_2xx

    @property
    def p50_ms(self) -> float:
        return self.latency_ms[50.0]

    @property
    def p99_ms(self) -> float:
        return self.latency_ms[99.0]


def to_ms(value: str, unit: str) -> float:
    """Convert one of wrk's time figures (``612.00us``, ``1.20ms``, ``2.00s``) to ms."""
    try:
        return float(value) * _MS_PER_UNIT[unit]
    except KeyError:
        raise WrkError(f"unknown time unit {unit!r} in wrk output") from None


def parse_output(text: str) -> WrkResult:
    """Read requests/s, the latency percentiles and the error counts from wrk's report.

    Raises :class:`WrkError` if the report lacks Requests/sec, the request total,
    or the 50% and 99% percentiles (wrk must run with ``--latency``).
    """
    rps = _RPS_RE.search(text)
    total = _TOTAL_RE.search(text)
    if rps is None or total is None:
        raise WrkError("no 'Requests/sec' or 'N requests in' line in wrk output")
    latency = {float(p): to_ms(v, u) for p, v, u in _PERCENTILE_RE.findall(text)}
    if 50.0 not in latency or 99.0 not in latency:
        raise WrkError("no latency distribution in wrk output (was --latency given?)")
    socket = _SOCKET_RE.search(text)
    non_2xx = _NON_2XX_RE.search(text)
    return WrkResult(
        requests_per_sec=float(rps.group(1)),
        requests=int(total.group(1)),
        duration_ms=to_ms(total.group(2), total.group(3)),
        latency_ms=latency,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


def lua_string(value: str | bytes) -> str:
    """Quote ``value`` as a Lua string literal that reproduces its exact bytes.

    Printable ASCII is kept; quotes and backslashes are escaped; every other
    byte becomes a three-digit decimal escape (three digits, so a following
    digit is never read as part of the escape).
    """
    data = value.encode() if isinstance(value, str) else value
    out = ['"']
    for byte in data:
        if byte in (0x22, 0x5C):
            out.append("\\" + chr(byte))
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    out.append('"')
    return "".join(out)


def lua_script(
    method: str, path: str, headers: Sequence[tuple[str, str]], body: bytes, comment: str = ""
) -> str:
    """A wrk script that sends the same request (method, path, headers, body) every time.

    wrk adds Content-Length itself from the body; a Host header given here
    replaces the one wrk would derive from the URL.
    """
    lines = [f"-- {line}" for line in comment.splitlines()]
    lines += [
        f"wrk.method = {lua_string(method)}",
        f"wrk.path = {lua_string(path)}",
        f"wrk.body = {lua_string(body)}",
    ]
    lines += [f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class WrkRun:
    """One finished wrk run: the parsed figures, the raw report, and wrk's own CPU use."""

    result: WrkResult
    output: str
    cpu_seconds: float


def run(
    url: str,
    script: Path,
    *,
    duration_s: int,
    connections: int,
    threads: int = 1,
    cpu: str | None = "1",
    wrk: str = "wrk",
) -> WrkRun:
    """Run wrk against ``url`` (optionally pinned with ``taskset -c cpu``) and parse its report.

    The run stops by itself after ``duration_s``; a generous timeout kills wrk
    if it hangs. Raises :class:`WrkError` if wrk exits non-zero or its report
    cannot be read.
    """
    argv = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--latency"]
    argv += ["-s", str(script), url]
    if cpu is not None:
        argv = ["taskset", "-c", cpu, *argv]
    # taskset execs wrk, so wrk is the only child reaped during this call.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=duration_s + 30, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise WrkError(f"wrk did not finish within {duration_s + 30} s") from exc
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise WrkError(f"wrk exited with {proc.returncode}: {proc.stderr.strip() or proc.stdout}")
    cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return WrkRun(parse_output(proc.stdout), proc.stdout, cpu_seconds)
