"""Ratios and verdicts: the baseline mean divides; errors or extra workers void a PASS."""

from __future__ import annotations

import pytest

from bench.report import (
    Baseline,
    Measurement,
    baseline_of,
    cpu_ratio,
    format_tables,
    ratio,
    to_json,
    verdict,
)
from bench.wrk import WrkResult


def result(rps: float, errors: int = 0) -> WrkResult:
    return WrkResult(rps, int(rps * 10), 10_000.0, {50.0: 0.5, 99.0: 1.5}, 0, errors)


def measured(
    name: str,
    rps: float,
    *,
    server: str = "strongroom",
    workers: int = 1,
    errors: int = 0,
    target: float | None = 0.40,
) -> Measurement:
    return Measurement(name, name, server, workers, target, result=result(rps, errors))


BASELINES = [
    measured("baseline", 20_000, server="baseline", target=None),
    measured("baseline", 30_000, server="baseline", target=None),
]


def test_denominator_is_the_mean_of_the_baseline_runs() -> None:
    baseline = baseline_of(BASELINES)
    assert baseline.mean == 25_000
    assert baseline.drift == pytest.approx(10_000 / 25_000)
    assert ratio(measured("encrypt-32", 10_000), baseline) == pytest.approx(0.40)


def test_pass_at_or_above_target_fail_below() -> None:
    baseline = Baseline((25_000.0,))
    assert verdict(measured("encrypt-32", 10_000), baseline) == "PASS"
    assert verdict(measured("encrypt-32", 9_999), baseline) == "FAIL"


def test_errors_turn_a_pass_into_a_fail() -> None:
    assert verdict(measured("encrypt-32", 20_000, errors=1), Baseline((25_000.0,))) == "FAIL"


def test_more_workers_get_no_verdict() -> None:
    assert verdict(measured("encrypt-32", 20_000, workers=2), Baseline((25_000.0,))) == "-"


def test_aborted_and_missing_baseline() -> None:
    aborted = Measurement("decrypt", "decrypt", "strongroom", 1, 0.40, aborted="HTTP 400")
    assert verdict(aborted, Baseline((25_000.0,))) == "ABORT"
    assert ratio(measured("decrypt", 1.0), Baseline(())) is None
    assert Baseline((1.0,)).drift is None


def test_table_and_json_cover_every_measurement() -> None:
    runs = [
        *BASELINES,
        measured("encrypt-32", 11_000),
        measured("encrypt-32", 15_000, workers=2),
        Measurement("decrypt", "decrypt", "strongroom", 1, 0.40, aborted="HTTP 400"),
        Measurement("sign", "sign", "strongroom", 1, 0.30, aborted="HTTP 400"),
    ]
    runs[2].server_cpu = {10: 9.9}
    runs[3].server_cpu = {10: 0.1, 11: 5.0, 12: 5.0}
    text = format_tables(runs)
    assert "strongroom --workers 1" in text and "strongroom --workers 2" in text
    assert "decrypt, sign: aborted: HTTP 400" in text
    assert "pid 11 50%" in text
    assert "WARNING" in text  # 40% drift between the two baseline runs
    data = to_json(runs, {"command": "x"})
    assert data["baseline"]["mean"] == 25_000
    assert [row["verdict"] for row in data["results"]] == ["-", "-", "PASS", "-", "ABORT", "ABORT"]


def test_cpu_ratio_compares_requests_per_server_cpu_second() -> None:
    base = measured("baseline", 20_000, server="baseline", target=None)
    base.server_cpu = {1: 10.0}  # 200k requests on 10 CPU-s: 20k per CPU-s
    slow = measured("encrypt-32", 4_000)
    slow.server_cpu = {2: 5.0}  # 40k requests on half a core: 8k per CPU-s
    baseline = baseline_of([base])
    assert slow.requests_per_cpu_second == pytest.approx(8_000)
    assert cpu_ratio(slow, baseline) == pytest.approx(0.40)
    assert ratio(slow, baseline) == pytest.approx(0.20)


def test_a_pinned_server_short_of_cpu_is_flagged() -> None:
    busy = measured("encrypt-32", 4_000)
    busy.server_cpu = {2: 5.0}  # 50% of a core over 10 s
    idle = measured("encrypt-32", 4_000)
    idle.server_cpu = {2: 9.5}
    spread = measured("encrypt-32", 4_000, workers=2)
    spread.server_cpu = {2: 5.0}
    assert (busy.starved, idle.starved, spread.starved) == (True, False, False)
    assert "less than 85% of its core" in format_tables([busy])
