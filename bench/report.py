"""Results of a benchmark run: one record per measured run, the table, the JSON.

Ratios are ``req/s of the scenario / mean req/s of the baseline runs`` made in
the same invocation (the baseline runs first and again last, so drift during
the run shows). A scenario passes when its ratio reaches its target and wrk
saw no error: a run with failed requests is not a valid figure, since an error
answer is usually cheaper than a real one.

On a shared machine other processes take CPU from the server, and req/s drops
with no change in the code. The server's CPU time during each run is measured
too: a pinned server that got well under a full core is flagged, and a second
ratio compares requests per server CPU-second, which contention moves far less
(it is not used for the verdict).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from bench.wrk import WrkResult

# A pinned single-worker server below this share of its core was competing for it.
BUSY_CPU_SHARE = 0.85


@dataclass
class Measurement:
    """One measured wrk run of one scenario, or the reason it was aborted.

    ``server_cpu`` is the CPU time (seconds, by pid) the server's processes
    used during the measured run; ``wrk_cpu`` the CPU time of wrk itself.
    """

    scenario: str
    label: str
    server: str
    workers: int
    target_ratio: float | None
    result: WrkResult | None = None
    aborted: str | None = None
    server_cpu: dict[int, float] = field(default_factory=dict)
    wrk_cpu: float = 0.0
    wrk_output: str = ""

    @property
    def wall_seconds(self) -> float:
        return self.result.duration_ms / 1000 if self.result else 0.0

    def cpu_percent(self, seconds: float) -> float | None:
        return 100 * seconds / self.wall_seconds if self.wall_seconds else None

    @property
    def requests_per_cpu_second(self) -> float | None:
        """Requests completed per second of server CPU time, or None if not measured."""
        cpu = sum(self.server_cpu.values())
        return self.result.requests / cpu if self.result and cpu > 0 else None

    @property
    def starved(self) -> bool:
        """True for a pinned one-worker run whose server got less than BUSY_CPU_SHARE of a core."""
        share = self.cpu_percent(sum(self.server_cpu.values()))
        return self.workers == 1 and share is not None and share < 100 * BUSY_CPU_SHARE


@dataclass(frozen=True)
class Baseline:
    """The denominator: the mean req/s of the baseline runs, and how far they drifted apart."""

    runs: tuple[float, ...]
    per_cpu_runs: tuple[float, ...] = ()

    @property
    def per_cpu_mean(self) -> float | None:
        return statistics.fmean(self.per_cpu_runs) if self.per_cpu_runs else None

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.runs) if self.runs else None

    @property
    def drift(self) -> float | None:
        """(max - min) / mean of the baseline runs, or None with fewer than two."""
        mean = self.mean
        if len(self.runs) < 2 or not mean:
            return None
        return (max(self.runs) - min(self.runs)) / mean


def baseline_of(measurements: list[Measurement]) -> Baseline:
    runs = [m for m in measurements if m.server == "baseline" and m.result is not None]
    per_cpu = [m.requests_per_cpu_second for m in runs]
    return Baseline(
        tuple(m.result.requests_per_sec for m in runs if m.result is not None),
        tuple(v for v in per_cpu if v is not None),
    )


def ratio(measurement: Measurement, baseline: Baseline) -> float | None:
    if measurement.result is None or not baseline.mean:
        return None
    return measurement.result.requests_per_sec / baseline.mean


def cpu_ratio(measurement: Measurement, baseline: Baseline) -> float | None:
    """Requests per server CPU-second, relative to the baseline's."""
    value = measurement.requests_per_cpu_second
    if value is None or not baseline.per_cpu_mean:
        return None
    return value / baseline.per_cpu_mean


def verdict(measurement: Measurement, baseline: Baseline) -> str:
    """PASS, FAIL, ABORT, or "-" when no target applies.

    Targets are set for one server worker pinned to one core; runs with more
    workers are reported without a verdict.
    """
    if measurement.aborted is not None:
        return "ABORT"
    value = ratio(measurement, baseline)
    if measurement.target_ratio is None or measurement.workers != 1 or value is None:
        return "-"
    assert measurement.result is not None
    passed = value >= measurement.target_ratio and measurement.result.errors == 0
    return "PASS" if passed else "FAIL"


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


_COLUMNS = (
    ("scenario", "<22"),
    ("req/s", ">9"),
    ("p50 ms", ">7"),
    ("p99 ms", ">7"),
    ("errors", ">7"),
    ("ratio", ">6"),
    ("target", ">6"),
    ("result", "<6"),
    ("srv CPU", ">8"),
    ("wrk CPU", ">7"),
    ("ratio/CPU", ">9"),
)


def _row(cells: list[str]) -> str:
    return "  ".join(format(c, spec) for c, (_, spec) in zip(cells, _COLUMNS, strict=True))


def _cells(m: Measurement, baseline: Baseline) -> list[str]:
    r = m.result
    return [
        m.label,
        _fmt(r.requests_per_sec if r else None, ".0f"),
        _fmt(r.p50_ms if r else None, ".2f"),
        _fmt(r.p99_ms if r else None, ".2f"),
        str(r.errors) if r else "-",
        _fmt(ratio(m, baseline), ".2f"),
        _fmt(m.target_ratio, ".2f"),
        verdict(m, baseline),
        _fmt(m.cpu_percent(sum(m.server_cpu.values())), ".0f")
        + ("%" if r else "")
        + ("*" if m.starved else ""),
        _fmt(m.cpu_percent(m.wrk_cpu), ".0f") + ("%" if r else ""),
        _fmt(cpu_ratio(m, baseline), ".2f"),
    ]


def format_tables(measurements: list[Measurement]) -> str:
    """The results as text: the baseline, then one table per server worker count."""
    baseline = baseline_of(measurements)
    header = _row([name for name, _ in _COLUMNS])
    runs = ", ".join(f"{rps:.0f}" for rps in baseline.runs)
    drift = baseline.drift
    drift_text = "n/a" if drift is None else f"{100 * drift:.1f}%"
    lines = [
        f"baseline: mean {_fmt(baseline.mean, '.0f')} req/s over {len(baseline.runs)} run(s)"
        f" ({runs}); drift {drift_text}",
    ]
    if drift is not None and drift > 0.10:
        lines.append("WARNING: the baseline runs differ by more than 10%: the machine is noisy")
    if any(m.starved for m in measurements):
        lines.append(
            f"WARNING: * = the pinned server had less than {100 * BUSY_CPU_SHARE:.0f}% of its"
            " core (other load on the machine): req/s ratios are unreliable, see ratio/CPU"
        )
    groups = [("baseline (1 worker, pinned)", [m for m in measurements if m.server == "baseline"])]
    for workers in sorted({m.workers for m in measurements if m.server == "strongroom"}):
        pinned = "server pinned" if workers == 1 else "server not pinned, no verdict"
        groups.append(
            (
                f"strongroom --workers {workers} ({pinned})",
                [m for m in measurements if m.server == "strongroom" and m.workers == workers],
            )
        )
    for title, group in groups:
        lines += ["", title, header, "-" * len(header)]
        lines += [_row(_cells(m, baseline)) for m in group]
        reasons: dict[str, list[str]] = {}
        for m in group:
            if m.aborted is not None:
                reasons.setdefault(m.aborted, []).append(m.label)
        lines += [f"  {', '.join(labels)}: aborted: {why}" for why, labels in reasons.items()]
        for m in group:
            if len(m.server_cpu) > 1:
                shares = ", ".join(
                    f"pid {pid} {_fmt(m.cpu_percent(s), '.0f')}%"
                    for pid, s in sorted(m.server_cpu.items())
                )
                lines.append(f"  {m.label}: server CPU by process: {shares}")
    return "\n".join(lines)


def to_json(measurements: list[Measurement], meta: dict[str, Any]) -> dict[str, Any]:
    """Everything measured, as a JSON-ready dict (``meta`` describes the run)."""
    baseline = baseline_of(measurements)
    rows = []
    for m in measurements:
        r = m.result
        rows.append(
            {
                "scenario": m.scenario,
                "label": m.label,
                "server": m.server,
                "workers": m.workers,
                "requests_per_sec": r.requests_per_sec if r else None,
                "requests": r.requests if r else None,
                "duration_ms": r.duration_ms if r else None,
                "latency_ms": {str(p): v for p, v in r.latency_ms.items()} if r else None,
                "p50_ms": r.p50_ms if r else None,
                "p99_ms": r.p99_ms if r else None,
                "socket_errors": r.socket_errors if r else None,
                "non_2xx": r.non_2xx if r else None,
                "errors": r.errors if r else None,
                "ratio": ratio(m, baseline),
                "ratio_per_cpu": cpu_ratio(m, baseline),
                "requests_per_cpu_second": m.requests_per_cpu_second,
                "server_starved": m.starved,
                "target_ratio": m.target_ratio,
                "verdict": verdict(m, baseline),
                "aborted": m.aborted,
                "server_cpu_percent": {
                    str(pid): m.cpu_percent(s) for pid, s in sorted(m.server_cpu.items())
                },
                "wrk_cpu_percent": m.cpu_percent(m.wrk_cpu),
                "wrk_output": m.wrk_output,
            }
        )
    return {
        **meta,
        "baseline": {
            "runs": list(baseline.runs),
            "mean": baseline.mean,
            "drift": baseline.drift,
            "requests_per_cpu_second": list(baseline.per_cpu_runs),
        },
        "results": rows,
    }
