"""Fixtures for the integration tier: a live server per storage backend.

Every test that uses ``server`` (directly or through ``kms`` and friends) runs
once against SQLite and once against PostgreSQL. Each pytest(-xdist) worker
starts its own servers, so tests must never assume an empty server: they
compare only against the keys and aliases they created themselves.
"""

from __future__ import annotations

import datetime
import os
import subprocess
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import helpers
from .helpers import (
    DEFAULT_REGION,
    Account,
    AliasTracker,
    AwsCli,
    CliResult,
    Credentials,
    KmsClientFactory,
    RawPost,
    RawResponse,
    Server,
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def _postgres_required() -> bool:
    return os.environ.get("STRONGROOM_TEST_REQUIRE_POSTGRES", "") not in ("", "0")


@pytest.fixture(scope="session", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A running ``strongroom serve --test-mode`` with a fresh data dir (and database).

    Its clock moves only forward (``helpers.advance_clock``) and is shared by every
    test of the worker: compare times with the server's own ``advance_clock(server, 0)``.
    Its background jobs run every ``helpers.JOB_INTERVAL_S`` seconds.
    """
    backend: str = request.param
    data_dir = tmp_path_factory.mktemp(f"strongroom-{backend}")
    database: str | None = None
    if backend == "postgres":
        if not helpers.postgres_available():
            message = "PostgreSQL is not reachable at 127.0.0.1:5432 as user postgres"
            if _postgres_required():
                pytest.fail(message)
            pytest.skip(message)
        database = helpers.create_postgres_database()
    try:
        try:
            srv = helpers.start_server(
                backend,
                data_dir,
                helpers.postgres_url(database) if database else None,
                test_mode=True,
                job_interval_seconds=helpers.JOB_INTERVAL_S,
            )
        except helpers.ServerStartError as exc:
            pytest.fail(f"could not start the {backend} server:\n{exc}", pytrace=False)
        try:
            yield srv
        finally:
            helpers.stop_process(srv.process)
    finally:
        if database is not None:
            helpers.drop_postgres_database(database)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the tail of the server log to the report of a failing test."""
    report: pytest.TestReport = yield
    funcargs = getattr(item, "funcargs", {})
    srv = funcargs.get("server")
    if report.failed and isinstance(srv, Server):
        report.sections.append(("strongroom server log", srv.log_text()))
    return report


@pytest.fixture(scope="session")
def kms_client(server: Server) -> KmsClientFactory:
    """Factory: a boto3 KMS client for any region / credentials (cached)."""
    cache: dict[tuple[str, Credentials | None, bool], Any] = {}

    def make(
        region: str = DEFAULT_REGION, creds: Credentials | None = None, *, validate: bool = True
    ) -> Any:
        key = (region, creds, validate)
        if key not in cache:
            cache[key] = helpers.kms_client(server, region, creds, validate=validate)
        return cache[key]

    return make


@pytest.fixture(scope="session")
def kms(kms_client: KmsClientFactory) -> Any:
    """boto3 KMS client of the server's first account, us-east-1, retries off."""
    return kms_client()


@pytest.fixture(scope="session")
def kms_unvalidated(kms_client: KmsClientFactory) -> Any:
    """Like ``kms`` but without boto3's client-side parameter validation."""
    return kms_client(validate=False)


@pytest.fixture(scope="session")
def account(server: Server) -> Account:
    return server.account


@pytest.fixture(scope="session")
def other_account(server: Server) -> Account:
    """A second account on the same server (``strongroom account create``)."""
    try:
        return helpers.create_account(server)
    except helpers.ServerStartError as exc:
        pytest.fail(f"strongroom account create failed:\n{exc}", pytrace=False)


@pytest.fixture(scope="session")
def other_kms(kms_client: KmsClientFactory, other_account: Account) -> Any:
    return kms_client(creds=other_account.credentials)


@pytest.fixture
def key(kms: Any) -> dict[str, Any]:
    """A fresh symmetric key (KeyMetadata)."""
    return helpers.create_key(kms)


@pytest.fixture
def other_key(kms: Any) -> dict[str, Any]:
    """A second fresh symmetric key in the same account and region."""
    return helpers.create_key(kms)


@pytest.fixture
def aliases(kms: Any) -> Iterator[AliasTracker]:
    tracker = AliasTracker(kms)
    yield tracker
    tracker.cleanup()


@pytest.fixture(scope="session")
def raw_post(server: Server) -> RawPost:
    """SigV4-signed POST without boto3's serialization or validation."""
    default_creds = server.credentials

    def post(
        target: str | None,
        body: bytes,
        headers: dict[str, str] | None = None,
        *,
        creds: Credentials | None = default_creds,
        region: str = DEFAULT_REGION,
        signed_at: datetime.datetime | None = None,
        sign: bool = True,
    ) -> RawResponse:
        return helpers.raw_post(
            server.endpoint,
            target,
            body,
            creds=creds if sign else None,
            region=region,
            headers=headers,
            signed_at=signed_at,
        )

    return post


@pytest.fixture(scope="session")
def aws_cli(server: Server) -> AwsCli:
    """Run the AWS CLI against the server with the data dir's credentials/config files."""
    command = helpers.aws_cli_command()
    if command is None:
        pytest.skip("the AWS CLI is not installed (.venv-awscli or STRONGROOM_AWS_CLI)")
    env = helpers.clean_env()
    env.update(
        AWS_SHARED_CREDENTIALS_FILE=str(server.data_dir / "credentials"),
        AWS_CONFIG_FILE=str(server.data_dir / "config"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
    )

    def run(*args: str, cwd: Path | None = None) -> CliResult:
        cmd = [*command, "--profile", "strongroom", "--endpoint-url", server.endpoint]
        cmd += ["--output", "json", *args]
        proc = subprocess.run(
            cmd,
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=helpers.CLI_TIMEOUT_S,
            check=False,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run
