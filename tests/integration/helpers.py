"""Helpers for the integration tier: run a live Strongroom server and talk to it.

Everything here goes through the server's public surfaces only: the
``strongroom`` console script, HTTP (boto3, raw SigV4-signed requests) and the
AWS CLI. Nothing imports ``strongroom`` itself.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import boto3
import botocore.session
from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REGION = "us-east-1"
OTHER_REGION = "us-west-2"
HEALTH_PATH = "/_strongroom/health"
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
CLI_TIMEOUT_S = 120.0

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"

# How often the test servers run their background jobs (due rotations and deletions).
JOB_INTERVAL_S = 0.2
# How long a test waits for something the server does on its own (a job pass).
WAIT_TIMEOUT_S = 10.0

KMS_TARGET_PREFIX = "TrentService."
ADMIN_TARGET_PREFIX = "StrongroomAdmin."
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"

T = TypeVar("T")

# Environment variables that would make boto3 or the AWS CLI ignore the
# credentials and endpoints the tests hand them.
_AWS_ENV_PREFIXES = ("AWS_",)


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class Account:
    """One account as printed by ``strongroom init/account create --json``."""

    account_id: str
    arn: str
    credentials: Credentials
    region: str

    @classmethod
    def from_cli_json(cls, data: Mapping[str, Any]) -> Account:
        return cls(
            account_id=str(data["AccountId"]),
            arn=str(data["Arn"]),
            credentials=Credentials(str(data["AccessKeyId"]), str(data["SecretAccessKey"])),
            region=str(data.get("Region") or DEFAULT_REGION),
        )

    def root_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"

    def key_arn(self, key_id: str, region: str = DEFAULT_REGION) -> str:
        return f"arn:aws:kms:{region}:{self.account_id}:key/{key_id}"

    def alias_arn(self, alias_name: str, region: str = DEFAULT_REGION) -> str:
        return f"arn:aws:kms:{region}:{self.account_id}:{alias_name}"


@dataclass
class Server:
    """A running ``strongroom serve`` process and what is needed to reach it."""

    backend: str
    endpoint: str
    data_dir: Path
    account: Account
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes]
    database_url: str | None = None
    extra_accounts: list[Account] = field(default_factory=list)

    @property
    def account_id(self) -> str:
        return self.account.account_id

    @property
    def access_key_id(self) -> str:
        return self.account.credentials.access_key_id

    @property
    def secret_access_key(self) -> str:
        return self.account.credentials.secret_access_key

    @property
    def credentials(self) -> Credentials:
        return self.account.credentials

    def log_text(self) -> str:
        return read_log(self.log_path)


class ServerStartError(RuntimeError):
    pass


# --------------------------------------------------------------------------- processes


def strongroom_command() -> list[str]:
    """The ``strongroom`` console script: STRONGROOM_BIN, next to this Python, or on PATH."""
    explicit = os.environ.get("STRONGROOM_BIN")
    if explicit:
        return [explicit]
    beside = Path(sys.executable).with_name("strongroom")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("strongroom")
    if found:
        return [found]
    raise ServerStartError(
        "the strongroom console script is not installed (pip install -e '.[test]')"
    )


def aws_cli_command() -> list[str] | None:
    """The AWS CLI: STRONGROOM_AWS_CLI, the repository's .venv-awscli, or ``aws`` on PATH."""
    explicit = os.environ.get("STRONGROOM_AWS_CLI")
    if explicit:
        return [explicit]
    in_repo = REPO_ROOT / ".venv-awscli" / "bin" / "aws"
    if in_repo.exists():
        return [str(in_repo)]
    found = shutil.which("aws")
    return [found] if found else None


def clean_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment without AWS_* and STRONGROOM_DATABASE_URL."""
    env = dict(os.environ if base is None else base)
    for name in list(env):
        if name.startswith(_AWS_ENV_PREFIXES) or name == "STRONGROOM_DATABASE_URL":
            del env[name]
    return env


def read_log(path: Path, limit: int = 20_000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "<no log>"
    return text if len(text) <= limit else "...\n" + text[-limit:]


def run_strongroom(args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run a ``strongroom`` CLI command; raise with its output if it fails."""
    cmd = [*strongroom_command(), *args]
    proc = subprocess.run(
        cmd, env=dict(env), capture_output=True, text=True, timeout=CLI_TIMEOUT_S, check=False
    )
    if proc.returncode != 0:
        raise ServerStartError(
            f"`{' '.join(cmd)}` exited with {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
        )
    return proc


def run_strongroom_json(args: list[str], env: Mapping[str, str]) -> dict[str, Any]:
    proc = run_strongroom(args, env)
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise ServerStartError(
            f"`strongroom {' '.join(args)}` did not print JSON: {proc.stdout!r}"
        ) from exc
    if not isinstance(data, dict):
        raise ServerStartError(f"expected a JSON object, got {data!r}")
    return data


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_health(endpoint: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    url = endpoint + HEALTH_PATH
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(
                f"strongroom serve exited with {process.returncode} before it was healthy\n"
                f"--- server log ---\n{read_log(log_path)}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (local http)
                if response.status == 200:
                    return
                last_error = f"status {response.status}"
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last_error = repr(exc)
        time.sleep(0.1)
    raise ServerStartError(
        f"strongroom serve not healthy after {STARTUP_TIMEOUT_S}s ({last_error})\n"
        f"--- server log ---\n{read_log(log_path)}"
    )


def start_server(
    backend: str,
    data_dir: Path,
    database_url: str | None = None,
    *,
    test_mode: bool = False,
    job_interval_seconds: float | None = None,
    extra_env: Mapping[str, str] | None = None,
    workers: int | None = None,
) -> Server:
    """``strongroom init`` then ``strongroom serve`` on a free port; returns once healthy.

    ``test_mode`` lets ``advance_clock`` move the server's clock;
    ``job_interval_seconds`` sets how often its background jobs run.
    """
    env = clean_env()
    if database_url is not None:
        env["STRONGROOM_DATABASE_URL"] = database_url
    if job_interval_seconds is not None:
        env["STRONGROOM_JOB_INTERVAL_SECONDS"] = str(job_interval_seconds)
    env.update(extra_env or {})
    data_dir.mkdir(parents=True, exist_ok=True)
    init = run_strongroom_json(
        ["init", "--data-dir", str(data_dir), "--region", DEFAULT_REGION, "--json"], env
    )
    account = Account.from_cli_json(init)

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log_path = data_dir / "server.log"
    cmd = [*strongroom_command(), "serve", "--data-dir", str(data_dir)]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    if test_mode:
        cmd.append("--test-mode")
    worker_count = str(workers) if workers else os.environ.get("STRONGROOM_TEST_WORKERS")
    if worker_count:
        cmd += ["--workers", worker_count]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for_health(endpoint, process, log_path)
    except BaseException:
        stop_process(process)
        raise
    return Server(
        backend=backend,
        endpoint=endpoint,
        data_dir=data_dir,
        account=account,
        env=env,
        log_path=log_path,
        process=process,
        database_url=database_url,
    )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


def create_account(server: Server) -> Account:
    """``strongroom account create``: a second account with its own admin credentials."""
    data = run_strongroom_json(
        ["account", "create", "--data-dir", str(server.data_dir), "--json"], server.env
    )
    account = Account.from_cli_json(data)
    server.extra_accounts.append(account)
    return account


# --------------------------------------------------------------------------- postgres


def postgres_admin_conninfo(dbname: str = "postgres") -> str:
    return f"host={POSTGRES_HOST} port={POSTGRES_PORT} user={POSTGRES_USER} dbname={dbname}"


def postgres_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(postgres_admin_conninfo(), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def create_postgres_database() -> str:
    """Create an empty database with a random name; return its name."""
    import psycopg
    from psycopg import sql

    name = f"strongroom_it_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_admin_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_postgres_database(name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(postgres_admin_conninfo(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def postgres_url(name: str) -> str:
    return f"postgresql+psycopg://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"


def postgres_dump_rows(name: str) -> Iterator[tuple[str, bytes]]:
    """Every row of every user table of database ``name``, as (table, bytes)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(postgres_admin_conninfo(name), autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        for schema, table in tables:
            query = sql.SQL("SELECT * FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            for row in conn.execute(query):
                yield f"{schema}.{table}", b"\x00".join(value_bytes(v) for v in row)


def value_bytes(value: object) -> bytes:
    """A database value as the bytes a reader of the dump would see."""
    if value is None:
        return b""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, dict | list):
        return json.dumps(value).encode()
    return str(value).encode()


# --------------------------------------------------------------------------- clients


def kms_client(
    server: Server,
    region: str = DEFAULT_REGION,
    creds: Credentials | None = None,
    *,
    validate: bool = True,
) -> Any:
    """A boto3 KMS client for ``server``; retries off so every error is seen once."""
    creds = creds or server.credentials
    session = boto3.session.Session(
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        region_name=region,
    )
    return session.client(
        "kms",
        endpoint_url=server.endpoint,
        config=Config(
            retries={"max_attempts": 1},
            parameter_validation=validate,
            connect_timeout=10,
            read_timeout=60,
        ),
    )


class EndpointBotocoreSession(botocore.session.Session):
    """A botocore session whose clients all talk to one endpoint.

    For libraries (the Encryption SDK) that take a ``botocore_session`` and
    create their own clients.
    """

    def __init__(self, endpoint_url: str, creds: Credentials, region: str = DEFAULT_REGION):
        super().__init__()
        self._endpoint_url = endpoint_url
        self.set_credentials(creds.access_key_id, creds.secret_access_key)
        self.set_config_variable("region", region)

    def create_client(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("endpoint_url") is None:
            kwargs["endpoint_url"] = self._endpoint_url
        return super().create_client(*args, **kwargs)


# --------------------------------------------------------------------------- raw HTTP


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_code(self) -> str | None:
        """``__type`` without any ``namespace#`` prefix, or None."""
        try:
            data = self.json()
        except ValueError:
            return None
        if not isinstance(data, dict) or "__type" not in data:
            return None
        return str(data["__type"]).rsplit("#", 1)[-1]

    @property
    def error_message(self) -> str | None:
        try:
            data = self.json()
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        message = data.get("message", data.get("Message"))
        return None if message is None else str(message)


class _FixedTimeSigV4Auth(SigV4Auth):
    """SigV4 with a chosen signing time (to send stale signatures)."""

    def __init__(
        self, credentials: BotoCredentials, service: str, region: str, at: datetime.datetime
    ):
        super().__init__(credentials, service, region)
        self._at = at

    def add_auth(self, request: AWSRequest) -> None:
        request.context["timestamp"] = self._at.strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)


def signed_headers(
    endpoint: str,
    target: str | None,
    body: bytes,
    *,
    creds: Credentials | None,
    region: str = DEFAULT_REGION,
    headers: Mapping[str, str] | None = None,
    signed_at: datetime.datetime | None = None,
) -> dict[str, str]:
    """The headers of a KMS JSON request, SigV4-signed for ``body`` unless creds is None."""
    all_headers = {"Content-Type": JSON_CONTENT_TYPE}
    if target is not None:
        all_headers["X-Amz-Target"] = target if "." in target else KMS_TARGET_PREFIX + target
    all_headers.update(headers or {})
    request = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=all_headers)
    if creds is not None:
        boto_creds = BotoCredentials(creds.access_key_id, creds.secret_access_key)
        if signed_at is None:
            SigV4Auth(boto_creds, "kms", region).add_auth(request)
        else:
            _FixedTimeSigV4Auth(boto_creds, "kms", region, signed_at).add_auth(request)
    return dict(request.headers.items())


def send_post(endpoint: str, body: bytes, headers: Mapping[str, str]) -> RawResponse:
    """POST ``body`` to ``endpoint``/ with exactly these headers (plus Host/Content-Length)."""
    host_port = endpoint.split("://", 1)[1]
    conn = http.client.HTTPConnection(host_port, timeout=60)
    try:
        conn.request("POST", "/", body=body, headers=dict(headers))
        response = conn.getresponse()
        return RawResponse(
            status=response.status,
            headers={k.lower(): v for k, v in response.getheaders()},
            body=response.read(),
        )
    finally:
        conn.close()


def raw_post(
    endpoint: str,
    target: str | None,
    body: bytes,
    *,
    creds: Credentials | None,
    region: str = DEFAULT_REGION,
    headers: Mapping[str, str] | None = None,
    signed_at: datetime.datetime | None = None,
) -> RawResponse:
    """POST ``body`` with ``X-Amz-Target``, SigV4-signed unless creds is None.

    ``target`` may be an operation name ("Encrypt") or a full target
    ("TrentService.Encrypt"); None omits the header.
    """
    all_headers = signed_headers(
        endpoint, target, body, creds=creds, region=region, headers=headers, signed_at=signed_at
    )
    return send_post(endpoint, body, all_headers)


def advance_clock(server: Server, seconds: float) -> float:
    """Move the test server's KMS clock forward by ``seconds``; return its new time (epoch s).

    ``advance_clock(server, 0)`` reads the server's clock. SigV4 keeps using
    real time, so signed requests stay valid however far the clock moves.
    """
    response = raw_post(
        server.endpoint,
        ADMIN_TARGET_PREFIX + "AdvanceClock",
        json_body({"Seconds": seconds}),
        creds=server.credentials,
    )
    assert response.status == 200, (response.status, response.body[:500])
    # Every worker process sees the move at once (strongroom.clock.FileOffsetClock
    # checks the offset file on each read), so no wait is needed here.
    return float(response.json()["Now"])


def wait_until(
    predicate: Callable[[], T | None],
    timeout: float = WAIT_TIMEOUT_S,
    *,
    interval: float = 0.05,
    message: str = "condition",
) -> T:
    """Poll ``predicate`` until it returns something truthy; return that value.

    Raises AssertionError naming ``message`` (and the last value) after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} not met within {timeout}s (last value: {value!r})")
        time.sleep(interval)


def json_body(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data).encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --------------------------------------------------------------------------- assertions


@dataclass
class CapturedError:
    code: str = ""
    message: str = ""
    status: int = 0
    response: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def expect_error(
    code: str, *, message: str | None = None, status: int | None = 400
) -> Iterator[CapturedError]:
    """Expect a boto3 ClientError with this code (and exact message / HTTP status)."""
    captured = CapturedError()
    try:
        yield captured
    except ClientError as exc:
        error = exc.response.get("Error", {})
        captured.code = str(error.get("Code", ""))
        captured.message = str(error.get("Message", ""))
        captured.status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
        captured.response = dict(exc.response)
    else:
        raise AssertionError(f"expected {code}, but the call succeeded")
    assert captured.code == code, f"expected {code}, got {captured.code}: {captured.message!r}"
    if message is not None:
        assert captured.message == message, f"{code} message: {captured.message!r} != {message!r}"
    if status is not None:
        assert captured.status == status, f"{code} HTTP status {captured.status} != {status}"


def assert_client_error(response: RawResponse, code: str, *, status: int = 400) -> None:
    assert response.status == status, (response.status, response.body[:500])
    assert response.error_code == code, (code, response.body[:500])


def assert_not_server_error(response: RawResponse) -> None:
    """Bad input must be a 4xx with a JSON ``__type``, never a 5xx."""
    assert 400 <= response.status < 500, (response.status, response.body[:500])
    assert response.error_code, response.body[:500]


# --------------------------------------------------------------------------- resources


def unique_name(prefix: str = "it") -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def unique_alias(prefix: str = "it") -> str:
    return "alias/" + unique_name(prefix)


def create_key(kms: Any, **kwargs: Any) -> dict[str, Any]:
    """CreateKey with a recognisable description; returns KeyMetadata."""
    kwargs.setdefault("Description", unique_name("integration-test-key"))
    metadata: dict[str, Any] = kms.create_key(**kwargs)["KeyMetadata"]
    return metadata


class AliasTracker:
    """Creates aliases and deletes the survivors at teardown."""

    def __init__(self, kms: Any) -> None:
        self._kms = kms
        self._created: list[tuple[Any, str]] = []

    def create(self, target_key_id: str, name: str | None = None, kms: Any = None) -> str:
        client = kms or self._kms
        name = name or unique_alias()
        client.create_alias(AliasName=name, TargetKeyId=target_key_id)
        self._created.append((client, name))
        return name

    def cleanup(self) -> None:
        for client, name in reversed(self._created):
            with contextlib.suppress(ClientError):
                client.delete_alias(AliasName=name)
        self._created.clear()


def list_all_keys(kms: Any, **kwargs: Any) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = []
    for page in kms.get_paginator("list_keys").paginate(**kwargs):
        keys.extend(page["Keys"])
    return keys


def list_all_aliases(kms: Any, **kwargs: Any) -> list[dict[str, Any]]:
    aliases: list[dict[str, Any]] = []
    for page in kms.get_paginator("list_aliases").paginate(**kwargs):
        aliases.extend(page["Aliases"])
    return aliases


# --------------------------------------------------------------------------- secrets at rest


def encoded_forms(secret: bytes) -> dict[str, bytes]:
    """The ways ``secret`` could appear in clear: raw, hex, and base64 at any alignment."""
    forms = {
        "raw": secret,
        "hex": secret.hex().encode(),
        "HEX": secret.hex().upper().encode(),
    }
    for shift in range(3):
        padded = b"\x00" * shift + secret
        for name, encode in (("b64", base64.b64encode), ("b64url", base64.urlsafe_b64encode)):
            text = encode(padded).rstrip(b"=")
            # Drop the characters that also depend on the neighbouring bytes.
            core = text[4 if shift else 0 : -4]
            if len(core) >= 16:
                forms[f"{name}+{shift}"] = core
    return forms


def find_secrets(haystack: bytes, needles: Mapping[str, bytes]) -> list[str]:
    """Names of the needles (and which encoding) that occur in ``haystack``."""
    found: list[str] = []
    for label, secret in needles.items():
        for form, encoded in encoded_forms(secret).items():
            if encoded in haystack:
                found.append(f"{label} ({form})")
    return found


def audit_events(server: Server, *filters: str) -> list[dict[str, Any]]:
    """Every audit event of the server (``strongroom audit export``), filtered by CLI options."""
    args = ["audit", "export", "--data-dir", str(server.data_dir), *filters]
    proc = run_strongroom(args, server.env)
    return [json.loads(line) for line in proc.stdout.splitlines() if line]


def events_by_request_id(server: Server) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for event in audit_events(server):
        grouped.setdefault(event["requestID"], []).append(event)
    return grouped


def request_id(response: Mapping[str, Any]) -> str:
    """The request id of a boto3 response (or of a ClientError's ``response``)."""
    return str(response["ResponseMetadata"]["RequestId"])


# --------------------------------------------------------------------------- fixture types


class KmsClientFactory(Protocol):
    def __call__(
        self,
        region: str = DEFAULT_REGION,
        creds: Credentials | None = None,
        *,
        validate: bool = True,
    ) -> Any: ...


class RawPost(Protocol):
    def __call__(
        self,
        target: str | None,
        body: bytes,
        headers: dict[str, str] | None = None,
        *,
        creds: Credentials | None = ...,
        region: str = DEFAULT_REGION,
        signed_at: datetime.datetime | None = None,
        sign: bool = True,
    ) -> RawResponse: ...


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def json(self) -> Any:
        assert self.ok, f"aws exited with {self.returncode}: {self.stderr}"
        return json.loads(self.stdout) if self.stdout.strip() else {}


AwsCli = Callable[..., CliResult]


# --------------------------------------------------------------------------- keys made once


def key_maker(kms: Any) -> Callable[[str, str], dict[str, Any]]:
    """A function (KeySpec, KeyUsage) -> KeyMetadata that creates each kind of key once.

    For module-scoped fixtures: an RSA_4096 key takes over a second to make. Tests
    that change a key's state must create their own key instead.
    """
    made: dict[tuple[str, str], dict[str, Any]] = {}

    def get(spec: str, usage: str) -> dict[str, Any]:
        if (spec, usage) not in made:
            made[spec, usage] = create_key(kms, KeySpec=spec, KeyUsage=usage)
        return made[spec, usage]

    return get


# --------------------------------------------------------------------------- IAM identities

# How long a change made with ``strongroom iam`` (another process) may take to
# reach a server: its credential and identity-policy caches live this long
# (STRONGROOM_CACHE_TTL_SECONDS, default 2 s), plus slack for a loaded machine.
CACHE_TTL_S = 2.0
CACHE_BOUND_S = CACHE_TTL_S + 4.0


@dataclass(frozen=True)
class IamUser:
    """A user made with ``strongroom iam create-user --with-access-key``."""

    arn: str
    principal_id: str
    account_id: str
    credentials: Credentials


def run_strongroom_unchecked(args: list[str], env: Mapping[str, str]) -> CliResult:
    """Run a ``strongroom`` CLI command and return its outcome, whatever it is."""
    proc = subprocess.run(
        [*strongroom_command(), *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def iam_args(server: Server, command: str, *args: str) -> list[str]:
    """``iam <command> --data-dir <server's> <args>``."""
    return ["iam", command, "--data-dir", str(server.data_dir), *args]


def create_iam_user(server: Server, account_id: str, name: str | None = None) -> IamUser:
    """A new user with an access key and no policy at all."""
    name = name or unique_name("user")
    args = iam_args(server, "create-user", "--account-id", account_id, "--name", name)
    data = run_strongroom_json([*args, "--with-access-key", "--json"], server.env)
    return IamUser(
        arn=str(data["Arn"]),
        principal_id=str(data["PrincipalId"]),
        account_id=account_id,
        credentials=Credentials(str(data["AccessKeyId"]), str(data["SecretAccessKey"])),
    )


def put_identity_policy(
    server: Server, arn: str, name: str, document: str | Mapping[str, Any]
) -> None:
    """``strongroom iam put-policy``: attach or replace an inline policy."""
    text = document if isinstance(document, str) else json.dumps(document)
    run_strongroom(
        iam_args(server, "put-policy", "--arn", arn, "--name", name, "--document", text),
        server.env,
    )


def delete_identity_policy(server: Server, arn: str, name: str) -> None:
    run_strongroom(iam_args(server, "delete-policy", "--arn", arn, "--name", name), server.env)


def set_access_key_status(server: Server, access_key_id: str, *, active: bool) -> None:
    flag = "--active" if active else "--inactive"
    run_strongroom(
        iam_args(server, "set-access-key-status", "--access-key-id", access_key_id, flag),
        server.env,
    )


def policy_json(*statements: Mapping[str, Any], policy_id: str | None = None) -> str:
    """A policy document (key or identity policy) with these statements."""
    document: dict[str, Any] = {"Version": "2012-10-17"}
    if policy_id is not None:
        document["Id"] = policy_id
    document["Statement"] = list(statements)
    return json.dumps(document)


Strings = str | list[str]


def allow(actions: Strings, resources: Strings = "*", **extra: Any) -> dict[str, Any]:
    """An identity-policy Allow statement (add ``Principal=...`` for a key policy)."""
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def deny(actions: Strings, resources: Strings = "*", **extra: Any) -> dict[str, Any]:
    """An identity-policy Deny statement (add ``Principal=...`` for a key policy)."""
    return {"Effect": "Deny", "Action": actions, "Resource": resources, **extra}


# --------------------------------------------------------------------------- imported material


def wrap(public_key_der: bytes, algorithm: str, material: bytes) -> bytes:
    """Encrypt ``material`` for import as the AWS documentation describes."""
    public = serialization.load_der_public_key(public_key_der)
    assert isinstance(public, rsa.RSAPublicKey)
    # SHA-1 is what the *_SHA_1 wrapping algorithms are made of (OAEP, not signatures).
    sha1 = algorithm.endswith("SHA_1")
    digest: hashes.HashAlgorithm = hashes.SHA1() if sha1 else hashes.SHA256()  # noqa: S303
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    if algorithm.startswith("RSA_AES_KEY_WRAP"):
        aes_key = os.urandom(32)
        return public.encrypt(aes_key, oaep) + aes_key_wrap_with_padding(aes_key, material)
    return public.encrypt(material, oaep)


def import_material(
    kms: Any,
    key_id: str,
    material: bytes,
    algorithm: str = "RSAES_OAEP_SHA_256",
    wrapping_spec: str = "RSA_2048",
    **extra: Any,
) -> dict[str, Any]:
    if "ValidTo" not in extra and "ExpirationModel" not in extra:
        extra["ExpirationModel"] = "KEY_MATERIAL_DOES_NOT_EXPIRE"
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=wrapping_spec
    )
    response: dict[str, Any] = kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], algorithm, material),
        **extra,
    )
    return response
