"""Load benchmark of a live Strongroom server, as ratios to a baseline measured in the same run.

    .venv/bin/python bench/run.py [--duration 10] [--connections 16]
        [--scenarios encrypt-32 decrypt ...] [--workers 1 [2]] [--json out.json]

Order of a run: the baseline app (bench/baseline_app.py) pinned to one core,
then for each --workers value a fresh Strongroom (``strongroom init`` in a
temporary data dir, ``strongroom serve``, one symmetric key), each scenario in
turn, and the baseline once more. wrk runs pinned to the other core. Each
scenario is checked with a normal boto3 call, signed once with SigV4, sent once
with urllib (it must answer 200), warmed up, then replayed by wrk.

Exit status: 0 when every verdict is PASS (or there is none), 1 when one is
FAIL or a scenario was aborted, 130 on Ctrl-C. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

# Run as a script (bench/run.py), this directory is on sys.path, the repository is not.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from bench import report, wrk
from bench.processes import ServerError, ServerProcess, free_port
from bench.report import Measurement
from bench.scenarios import BASELINE, BY_NAME, SCENARIOS, Fixture, Scenario
from bench.signing import send_once, sign

BENCH_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"
# A SigV4 signature is accepted for 5 minutes; leave room for the checks around the runs.
MAX_SIGNED_SECONDS = 240
# Credentials for the baseline app, which ignores them (the example pair from the AWS docs).
BASELINE_CREDENTIALS = {
    "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
    "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "Region": "us-east-1",
}


def strongroom_env() -> dict[str, str]:
    """This environment without STRONGROOM_* settings, so only the command line configures
    the server under test (a stray STRONGROOM_DATABASE_URL would change what is measured)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("STRONGROOM_")}


class ScenarioAborted(RuntimeError):
    """The scenario cannot be measured (its check or its pre-signed request failed)."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Options:
    duration: int
    warmup: int
    connections: int
    threads: int
    workers: tuple[int, ...]
    scenarios: tuple[Scenario, ...]
    server_cpu: str
    wrk_cpu: str
    strongroom: Path
    json_path: Path | None
    keep: bool
    audit: tuple[str, ...] = ("on",)


def parse_args(argv: list[str] | None = None) -> Options:
    names = [s.name for s in SCENARIOS]
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up (0: none)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument(
        "--scenarios",
        nargs="+",
        choices=names,
        default=names,
        help="scenarios to run; the baseline always runs (first and last)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1],
        help="Strongroom worker counts, one table each; 1 is pinned to --server-cpu",
    )
    parser.add_argument(
        "--audit",
        choices=["on", "off", "both"],
        default="on",
        help="run Strongroom with its audit trail on, off, or both (off first) in the same run",
    )
    parser.add_argument("--server-cpu", default="0", help="core for the baseline and 1 worker")
    parser.add_argument("--wrk-cpu", default="1", help="core for wrk")
    parser.add_argument(
        "--strongroom",
        type=Path,
        default=Path(sys.executable).parent / "strongroom",
        help="the strongroom command",
    )
    parser.add_argument("--json", type=Path, dest="json_path", help="also write results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.warmup < 0 or args.connections < 1 or args.threads < 1:
        parser.error("--duration, --connections and --threads must be >= 1, --warmup >= 0")
    if args.duration + args.warmup > MAX_SIGNED_SECONDS:
        parser.error(
            f"--duration + --warmup must stay under {MAX_SIGNED_SECONDS} s: the request is"
            " signed once per scenario and a SigV4 signature expires after 5 minutes"
        )
    if any(w < 1 for w in args.workers):
        parser.error("--workers must be >= 1")
    chosen = [BY_NAME[name] for name in dict.fromkeys(args.scenarios)]
    return Options(
        duration=args.duration,
        warmup=args.warmup,
        connections=args.connections,
        threads=args.threads,
        workers=tuple(dict.fromkeys(args.workers)),
        scenarios=tuple(s for s in chosen if s.server == "strongroom"),
        server_cpu=args.server_cpu,
        audit=("off", "on") if args.audit == "both" else (args.audit,),
        wrk_cpu=args.wrk_cpu,
        strongroom=args.strongroom,
        json_path=args.json_path,
        keep=args.keep,
    )


class Bench:
    """One benchmark run: its options, temporary directory, fixture and measurements."""

    def __init__(self, options: Options, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir
        self.fixture = Fixture()
        self.measurements: list[Measurement] = []
        # Per Strongroom server: (events, commits) of its audit trail, from its log.
        self.audit_commits: dict[str, tuple[int, int]] = {}

    # -- servers -----------------------------------------------------------

    @contextlib.contextmanager
    def baseline_server(self) -> Iterator[tuple[str, ServerProcess]]:
        port = free_port()
        argv = ["taskset", "-c", self.options.server_cpu, sys.executable]
        argv += [str(BENCH_DIR / "baseline_app.py"), "--host", HOST, "--port", str(port)]
        with ServerProcess("baseline app", argv, self.workdir / "baseline.log") as server:
            server.wait_ready(f"http://{HOST}:{port}/")
            yield f"http://{HOST}:{port}", server

    def strongroom_init(self, data_dir: Path) -> dict[str, str]:
        """Run ``strongroom init --json`` and return the credentials it prints."""
        argv = [str(self.options.strongroom), "init", "--data-dir", str(data_dir), "--json"]
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=120, check=False, env=strongroom_env()
        )
        if proc.returncode != 0:
            raise ServerError(
                f"{shlex.join(argv)} exited with {proc.returncode}:\n{proc.stderr or proc.stdout}"
            )
        for candidate in [proc.stdout, *reversed(proc.stdout.splitlines())]:
            with contextlib.suppress(ValueError):
                data = json.loads(candidate)
                if isinstance(data, dict) and {"AccessKeyId", "SecretAccessKey"} <= data.keys():
                    return {str(k): str(v) for k, v in data.items()}
        raise ServerError(f"no credentials in the output of {shlex.join(argv)}:\n{proc.stdout}")

    @contextlib.contextmanager
    def strongroom_server(
        self, workers: int, audit: str = "on"
    ) -> Iterator[tuple[str, ServerProcess, dict[str, str]]]:
        data_dir = self.workdir / f"data-w{workers}-audit-{audit}"
        credentials = self.strongroom_init(data_dir)
        port = free_port()
        argv = [str(self.options.strongroom), "serve", "--data-dir", str(data_dir)]
        argv += ["--host", HOST, "--port", str(port), "--workers", str(workers)]
        if workers == 1:
            argv = ["taskset", "-c", self.options.server_cpu, *argv]
        log(f"starting: {shlex.join(argv)}")
        log_path = self.workdir / f"strongroom-w{workers}-audit-{audit}.log"
        name = f"strongroom --workers {workers} (audit {audit})"
        env = strongroom_env()
        env["STRONGROOM_AUDIT_ENABLED"] = "true" if audit == "on" else "false"
        with ServerProcess(name, argv, log_path, env=env) as server:
            server.wait_ready(f"http://{HOST}:{port}/_strongroom/health", timeout_s=60)
            yield f"http://{HOST}:{port}", server, credentials
        counts = audit_commits(log_path.read_text(errors="replace"))
        if counts is not None:
            self.audit_commits[name] = counts

    # -- measuring ---------------------------------------------------------

    def measure(
        self,
        scenario: Scenario,
        endpoint: str,
        server: ServerProcess,
        credentials: dict[str, str],
        measurement: Measurement,
    ) -> None:
        """Check, sign, send once, warm up and measure ``scenario``; fill ``measurement``."""
        fixture = self.fixture
        if scenario.setup is not None:
            scenario.setup(fixture)
        params = scenario.params(fixture)
        if scenario.check is not None:
            try:
                scenario.check(fixture, params, scenario.call(fixture, params))
            except Exception as exc:
                raise ScenarioAborted(f"boto3 check of {scenario.operation} failed: {exc}") from exc
        signed = sign(
            endpoint,
            scenario.operation,
            params,
            access_key=credentials["AccessKeyId"],
            secret_key=credentials["SecretAccessKey"],
            region=credentials.get("Region") or "us-east-1",
        )
        reply = send_once(signed)
        if reply.status != 200:
            raise ScenarioAborted(
                f"the pre-signed request answered HTTP {reply.status}: {reply.body[:300]!r}"
            )
        try:
            answer = reply.json()
        except orjson.JSONDecodeError as exc:
            raise ScenarioAborted(f"the pre-signed request's answer is not JSON: {exc}") from exc
        missing = [k for k in scenario.reply_keys if k not in answer]
        if missing:
            raise ScenarioAborted(f"the answer to the pre-signed request lacks {missing}")
        stem = re.sub(r"[^A-Za-z0-9-]+", "_", measurement.label).strip("_")
        script = self.workdir / f"{stem}-w{measurement.workers}.lua"
        comment = f"{scenario.name}: {scenario.operation}, signed at {time.strftime('%H:%M:%S')}"
        script.write_text(
            wrk.lua_script(signed.method, signed.path, signed.headers, signed.body, comment)
        )
        run_args: dict[str, Any] = {
            "connections": self.options.connections,
            "threads": self.options.threads,
            "cpu": self.options.wrk_cpu,
        }
        url = endpoint + signed.path
        if self.options.warmup:
            wrk.run(url, script, duration_s=self.options.warmup, **run_args)
        before = server.cpu_seconds()
        run = wrk.run(url, script, duration_s=self.options.duration, **run_args)
        after = server.cpu_seconds()
        measurement.result = run.result
        measurement.wrk_output = run.output
        measurement.wrk_cpu = run.cpu_seconds
        measurement.server_cpu = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
        r = run.result
        log(
            f"{measurement.label}: {r.requests_per_sec:.0f} req/s, p50 {r.p50_ms:.2f} ms,"
            f" p99 {r.p99_ms:.2f} ms, {r.errors} errors"
        )

    def run_scenario(
        self,
        scenario: Scenario,
        label: str,
        workers: int,
        endpoint: str,
        server: ServerProcess,
        credentials: dict[str, str],
    ) -> None:
        """Measure one scenario; any failure aborts this scenario only, with its reason."""
        measurement = Measurement(
            scenario.name, label, scenario.server, workers, scenario.target_ratio
        )
        self.measurements.append(measurement)
        log(f"{label}: {scenario.operation} on {endpoint}")
        try:
            self.measure(scenario, endpoint, server, credentials, measurement)
        except KeyboardInterrupt:
            measurement.aborted = "interrupted"
            raise
        except Exception as exc:
            measurement.aborted = f"{type(exc).__name__}: {exc}"
            log(f"{label}: ABORTED: {measurement.aborted}")

    def abort(self, scenario: Scenario, label: str, workers: int, reason: str) -> None:
        self.measurements.append(
            Measurement(
                scenario.name,
                label,
                scenario.server,
                workers,
                scenario.target_ratio,
                aborted=reason,
            )
        )
        log(f"{label}: ABORTED: {reason}")

    def run_baseline(self, label: str) -> None:
        try:
            with self.baseline_server() as (endpoint, server):
                self.run_scenario(BASELINE, label, 1, endpoint, server, BASELINE_CREDENTIALS)
        except ServerError as exc:
            self.abort(BASELINE, label, 1, str(exc))

    def run_strongroom(self, workers: int, audit: str = "on") -> None:
        """Start a fresh Strongroom with ``workers`` workers, make a key, run every scenario.

        With ``--audit both`` each scenario's label says which server it ran on."""
        import boto3
        from botocore.config import Config

        try:
            if not self.options.strongroom.exists():
                raise ServerError(
                    f"{self.options.strongroom} not found"
                    " (install the project: .venv/bin/pip install -e .)"
                )
            with self.strongroom_server(workers, audit) as (endpoint, server, credentials):
                kms = boto3.client(
                    "kms",
                    endpoint_url=endpoint,
                    aws_access_key_id=credentials["AccessKeyId"],
                    aws_secret_access_key=credentials["SecretAccessKey"],
                    region_name=credentials.get("Region") or "us-east-1",
                    config=Config(retries={"max_attempts": 1}, read_timeout=30),
                )
                key = kms.create_key(
                    Description="strongroom bench",
                    KeySpec="SYMMETRIC_DEFAULT",
                    KeyUsage="ENCRYPT_DECRYPT",
                )
                self.fixture.kms = kms
                self.fixture.key_id = key["KeyMetadata"]["KeyId"]
                self.fixture.state.clear()
                for scenario in self.options.scenarios:
                    self.run_scenario(
                        scenario,
                        self.label(scenario, audit),
                        workers,
                        endpoint,
                        server,
                        credentials,
                    )
        except Exception as exc:  # the server would not start, or CreateKey failed
            reason = f"{type(exc).__name__}: {exc}"
            done = {m.label for m in self.measurements if m.workers == workers}
            for scenario in self.options.scenarios:
                if self.label(scenario, audit) not in done:
                    self.abort(scenario, self.label(scenario, audit), workers, reason)

    def label(self, scenario: Scenario, audit: str) -> str:
        return scenario.name if len(self.options.audit) == 1 else f"{scenario.name} audit-{audit}"

    def run(self) -> None:
        self.run_baseline("baseline (start)")
        if self.options.scenarios:
            for workers in self.options.workers:
                for audit in self.options.audit:
                    self.run_strongroom(workers, audit)
        self.run_baseline("baseline (end)")


_AUDIT_COMMITS_RE = re.compile(r"audit trail: (\d+) events in (\d+) commits")


def audit_commits(server_log: str) -> tuple[int, int] | None:
    """(events, commits) of the audit trail, summed over the workers, from the lines
    each worker logs when it stops; None if there are none (trail off)."""
    found = [(int(e), int(c)) for e, c in _AUDIT_COMMITS_RE.findall(server_log)]
    if not found:
        return None
    return sum(e for e, _ in found), sum(c for _, c in found)


def describe(options: Options, argv: list[str]) -> dict[str, Any]:
    """What the JSON output records about the run and the machine."""
    version = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    wrk_version = (version.stdout + version.stderr).splitlines()
    return {
        "command": shlex.join([".venv/bin/python", "bench/run.py", *argv]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "duration_s": options.duration,
        "warmup_s": options.warmup,
        "connections": options.connections,
        "threads": options.threads,
        "workers": list(options.workers),
        "audit": list(options.audit),
        "server_cpu": options.server_cpu,
        "wrk_cpu": options.wrk_cpu,
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_start": os.getloadavg(),
            "python": platform.python_version(),
            "wrk": wrk_version[0] if wrk_version else None,
        },
        "hot_path": hot_path_of(options.strongroom),
    }


def hot_path_of(strongroom: Path) -> dict[str, Any] | None:
    """Which hot-path modules the server under test runs compiled (strongroom.native),
    asked of the interpreter beside its command (a virtualenv's python); None if unknown."""
    code = (
        "import json; from strongroom import native; "
        "print(json.dumps({'compiled': native.compiled_modules(), 'of': len(native.HOT_PATH)}))"
    )
    try:
        proc = subprocess.run(
            [str(strongroom.with_name("python")), "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        answer: dict[str, Any] = json.loads(proc.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return answer


def _terminate(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = parse_args(argv)
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        log("wrk and taskset must be on PATH")
        return 2
    signal.signal(signal.SIGTERM, _terminate)
    meta = describe(options, argv)
    workdir = Path(tempfile.mkdtemp(prefix="strongroom-bench-"))
    bench = Bench(options, workdir)
    interrupted = False
    try:
        bench.run()
    except KeyboardInterrupt:
        interrupted = True
        log("interrupted: servers stopped, partial results follow")
    finally:
        if options.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    meta["machine"]["loadavg_end"] = os.getloadavg()
    print()
    print(
        f"wrk -t{options.threads} -c{options.connections} -d{options.duration}s"
        f" (after {options.warmup} s warm-up); servers on core {options.server_cpu}"
        f" (Strongroom with more workers: unpinned), wrk on core {options.wrk_cpu}"
    )
    hot_path = meta["hot_path"]
    if hot_path is None:
        print("hot path: unknown whether compiled (no python beside --strongroom)")
    else:
        print(
            f"hot path: {len(hot_path['compiled'])} of {hot_path['of']} modules"
            " compiled with mypyc (strongroom.native)"
        )
    print(report.format_tables(bench.measurements))
    for name, (events, commits) in bench.audit_commits.items():
        per_commit = events / commits if commits else 0.0
        print(f"{name}: {events} audit events in {commits} commits ({per_commit:.1f} per commit)")
    meta["audit_commits"] = {
        name: {"events": events, "commits": commits}
        for name, (events, commits) in bench.audit_commits.items()
    }
    if options.json_path is not None:
        options.json_path.parent.mkdir(parents=True, exist_ok=True)
        options.json_path.write_bytes(
            orjson.dumps(
                report.to_json(bench.measurements, meta),
                option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS,
            )
        )
        log(f"wrote {options.json_path}")
    if interrupted:
        return 130
    baseline = report.baseline_of(bench.measurements)
    verdicts = [report.verdict(m, baseline) for m in bench.measurements]
    return 1 if "FAIL" in verdicts or "ABORT" in verdicts else 0


if __name__ == "__main__":
    sys.exit(main())
