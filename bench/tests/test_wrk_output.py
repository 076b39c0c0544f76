"""Reading wrk's report: figures, unit conversion, error counts, malformed reports."""

from __future__ import annotations

import pytest

from bench.wrk import WrkError, parse_output, to_ms

CLEAN = """\
Running 3s test @ http://127.0.0.1:18765/
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   599.23us  294.49us   7.32ms   91.95%
    Req/Sec    27.46k     4.46k   36.82k    67.74%
  Latency Distribution
     50%  571.00us
     75%  654.00us
     90%  826.00us
     99%    1.60ms
  84628 requests in 3.10s, 11.78MB read
Requests/sec:  27296.92
Transfer/sec:      3.80MB
"""

WITH_ERRORS = """\
Running 10s test @ http://127.0.0.1:8080/
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20s   300.00ms   2.00s    70.00%
    Req/Sec    10.00      5.00    20.00     60.00%
  Latency Distribution
     50%    1.10s
     75%    1.50s
     90%    1.90s
     99%    2.00s
  100 requests in 1.00m, 10.00KB read
  Socket errors: connect 1, read 2, write 3, timeout 4
  Non-2xx or 3xx responses: 7
Requests/sec:      1.67
Transfer/sec:     170.00B
"""


def test_reads_rate_latency_and_totals() -> None:
    result = parse_output(CLEAN)
    assert result.requests_per_sec == 27296.92
    assert result.requests == 84628
    assert result.duration_ms == pytest.approx(3100.0)
    assert result.p50_ms == pytest.approx(0.571)
    assert result.p99_ms == pytest.approx(1.60)
    assert result.latency_ms[90.0] == pytest.approx(0.826)


def test_absent_error_lines_mean_no_errors() -> None:
    result = parse_output(CLEAN)
    assert (result.socket_errors, result.non_2xx, result.errors) == (0, 0, 0)


def test_errors_are_socket_errors_plus_non_2xx() -> None:
    result = parse_output(WITH_ERRORS)
    assert result.socket_errors == 1 + 2 + 3 + 4
    assert result.non_2xx == 7
    assert result.errors == 17


def test_seconds_and_minutes_become_milliseconds() -> None:
    result = parse_output(WITH_ERRORS)
    assert result.p50_ms == pytest.approx(1100.0)
    assert result.p99_ms == pytest.approx(2000.0)
    assert result.duration_ms == pytest.approx(60_000.0)


@pytest.mark.parametrize(
    ("value", "unit", "ms"),
    [("612.00", "us", 0.612), ("1.20", "ms", 1.2), ("2.00", "s", 2000.0), ("1.00", "h", 3.6e6)],
)
def test_to_ms(value: str, unit: str, ms: float) -> None:
    assert to_ms(value, unit) == pytest.approx(ms)


def test_unknown_unit_is_an_error() -> None:
    with pytest.raises(WrkError):
        to_ms("1.0", "d")


def test_report_without_latency_distribution_is_an_error() -> None:
    text = "\n".join(line for line in CLEAN.splitlines() if "%" not in line or "Latency" in line)
    with pytest.raises(WrkError, match="--latency"):
        parse_output(text)


def test_report_without_rate_is_an_error() -> None:
    with pytest.raises(WrkError):
        parse_output("unable to connect to 127.0.0.1:1 Connection refused\n")
