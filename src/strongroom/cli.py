"""The ``strongroom`` command line: init, serve, up, account."""

from __future__ import annotations

import configparser
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from strongroom.audit_cli import audit as audit_commands
from strongroom.clock import FileOffsetClock, SystemClock
from strongroom.crypto.wrapping import RootKey
from strongroom.domain.repositories import Store
from strongroom.keystores.root_key_check import WrongRootKey, check_root_key
from strongroom.keystores.root_key_file import (
    RootKeyFileError,
    create_root_key_file,
    load_root_key,
)
from strongroom.service.errors import KMSError
from strongroom.service.identities import (
    IssuedCredentials,
    create_access_key,
    create_account_with_admin,
    create_principal,
    delete_identity_policy,
    describe_account,
    put_identity_policy,
    register_service,
    set_access_key_status,
)
from strongroom.settings import Settings, SettingsError, load_settings
from strongroom.store.database import open_store

PROFILE = "strongroom"


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as e:
        raise click.ClickException(str(e)) from None


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _merge_profile(path: Path, section: str, values: dict[str, str]) -> None:
    """Set one section of an AWS ini file, leaving every other section as it was."""
    parser = configparser.RawConfigParser()
    if path.exists():
        parser.read(path)
    parser[section] = values
    path.parent.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    for name in parser.sections():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {v}" for k, v in parser[name].items())
        lines.append("")
    _write_private(path, "\n".join(lines))


def _write_profile(
    credentials_path: Path, config_path: Path, creds: IssuedCredentials, region: str
) -> None:
    _merge_profile(
        credentials_path,
        PROFILE,
        {
            "aws_access_key_id": creds.access_key_id,
            "aws_secret_access_key": creds.secret_access_key,
        },
    )
    _merge_profile(config_path, f"profile {PROFILE}", {"region": region})


def _existing_credentials(settings: Settings) -> IssuedCredentials | None:
    """The admin credentials init wrote before, if the database still knows them."""
    parser = configparser.RawConfigParser()
    if not settings.credentials_path.exists():
        return None
    parser.read(settings.credentials_path)
    if not parser.has_section(PROFILE):
        return None
    access_key_id = parser.get(PROFILE, "aws_access_key_id", fallback="")
    secret = parser.get(PROFILE, "aws_secret_access_key", fallback="")
    store = open_store(settings)
    try:
        with store.unit_of_work(write=False) as uow:
            key = uow.identities.get_access_key(access_key_id)
            principal = None if key is None else uow.identities.get_principal(key.principal_id)
    finally:
        store.close()
    if principal is None:
        return None
    return IssuedCredentials(principal.account_id, principal.arn, access_key_id, secret)


def _initialise(
    settings: Settings, account_id: str | None, region: str
) -> tuple[IssuedCredentials, bool]:
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    create_root_key_file(settings.root_key_path)
    try:
        root_key = load_root_key(settings.root_key_path)
    except RootKeyFileError as e:
        raise click.ClickException(str(e)) from None
    store = open_store(settings)
    try:
        store.migrate()
        check_root_key(store, root_key)
    except WrongRootKey as e:
        raise click.ClickException(str(e)) from None
    finally:
        store.close()
    existing = _existing_credentials(settings)
    if existing is not None:
        return existing, False
    store = open_store(settings)
    try:
        creds = create_account_with_admin(store, root_key, SystemClock(), account_id)
    except KMSError as e:
        raise click.ClickException(e.message) from None
    finally:
        store.close()
    _write_profile(settings.credentials_path, settings.aws_config_path, creds, region)
    return creds, True


def _creds_json(creds: IssuedCredentials, region: str) -> str:
    return json.dumps(
        {
            "AccountId": creds.account_id,
            "Arn": creds.principal_arn,
            "AccessKeyId": creds.access_key_id,
            "SecretAccessKey": creds.secret_access_key,
            "Region": region,
        }
    )


def _print_welcome(
    settings: Settings, creds: IssuedCredentials, region: str, created: bool
) -> None:
    endpoint = f"http://{settings.host}:{settings.port}"
    state = "created" if created else "reused"
    click.echo(
        f"Strongroom data directory {settings.data_dir.resolve()} ({state})\n"
        f"  endpoint:           {endpoint}\n"
        f"  account:            {creds.account_id}\n"
        f"  admin principal:    {creds.principal_arn}\n"
        f"  aws_access_key_id:     {creds.access_key_id}\n"
        f"  aws_secret_access_key: {creds.secret_access_key}\n"
        f"  profile '{PROFILE}' written to {settings.credentials_path.resolve()}\n"
        f"Try:\n"
        f"  AWS_SHARED_CREDENTIALS_FILE={settings.credentials_path.resolve()} "
        f"AWS_CONFIG_FILE={settings.aws_config_path.resolve()} \\\n"
        f"    aws --profile {PROFILE} --endpoint-url {endpoint} kms list-keys"
    )


data_dir_option = click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="Data directory [./data]."
)


@click.group()
@click.version_option(package_name="strongroom")
def main() -> None:
    """Strongroom: a key management service that speaks the AWS KMS API."""


@main.command()
@data_dir_option
@click.option(
    "--account-id", default=None, help="12-digit id of the first account (random if omitted)."
)
@click.option(
    "--region", default="us-east-1", show_default=True, help="Region of the written profile."
)
@click.option("--json", "as_json", is_flag=True, help="Print the admin credentials as JSON.")
def init(data_dir: Path | None, account_id: str | None, region: str, as_json: bool) -> None:
    """Create the database, the root key and the first account. Safe to run again."""
    _check_account_id(account_id)
    settings = _settings(data_dir=data_dir)
    creds, created = _initialise(settings, account_id, region)
    if as_json:
        click.echo(_creds_json(creds, region))
    else:
        _print_welcome(settings, creds, region, created)


def _check_account_id(account_id: str | None) -> None:
    if account_id is not None and not (len(account_id) == 12 and account_id.isdigit()):
        raise click.BadParameter("must be 12 digits", param_hint="--account-id")


def _serve(settings: Settings) -> None:
    if not settings.root_key_path.exists():
        raise click.ClickException(
            f"no root key at {settings.root_key_path}: run 'strongroom init' first"
        )
    store = open_store(settings)
    try:
        store.migrate()
        check_root_key(store, load_root_key(settings.root_key_path))
    except (WrongRootKey, RootKeyFileError) as e:
        raise click.ClickException(str(e)) from None
    finally:
        store.close()
    # Worker processes rebuild their settings from the environment.
    os.environ["STRONGROOM_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["STRONGROOM_DATABASE_URL"] = settings.database_url.get_secret_value()
    os.environ["STRONGROOM_TEST_MODE"] = "true" if settings.test_mode else "false"
    os.environ["STRONGROOM_CACHE_TTL_SECONDS"] = str(settings.cache_ttl_seconds)
    os.environ["STRONGROOM_LOG_LEVEL"] = settings.log_level
    os.environ["STRONGROOM_JOB_INTERVAL_SECONDS"] = str(settings.job_interval_seconds)
    os.environ["STRONGROOM_AUDIT_ENABLED"] = "true" if settings.audit_enabled else "false"
    os.environ["STRONGROOM_AUDIT_RETENTION_DAYS"] = str(settings.audit_retention_days)
    os.environ["STRONGROOM_AUDIT_DIGEST_INTERVAL_SECONDS"] = str(
        settings.audit_digest_interval_seconds
    )
    os.environ["STRONGROOM_AUDIT_MAX_BATCH"] = str(settings.audit_max_batch)
    os.environ["STRONGROOM_AUDIT_MAX_WAIT_SECONDS"] = str(settings.audit_max_wait_seconds)
    # Imported here: the server (uvicorn, the HTTP app, the jobs) is a large import that
    # every other command would pay for at start-up.
    from strongroom import workers as worker_processes

    worker_processes.run(settings.host, settings.port, settings.workers, settings.log_level.lower())


serve_options = [
    click.option("--host", default=None, help="Address to listen on [127.0.0.1]."),
    click.option("--port", type=int, default=None, help="Port [8080]."),
    click.option("--workers", type=int, default=None, help="Worker processes, one per core [1]."),
    click.option("--test-mode", is_flag=True, default=None, help="Allow tests to move the clock."),
]


def _with_serve_options(f: Any) -> Any:
    for option in reversed(serve_options):
        f = option(f)
    return f


@main.command()
@data_dir_option
@_with_serve_options
def serve(
    data_dir: Path | None,
    host: str | None,
    port: int | None,
    workers: int | None,
    test_mode: bool | None,
) -> None:
    """Run the server."""
    _serve(_settings(data_dir=data_dir, host=host, port=port, workers=workers, test_mode=test_mode))


@main.command()
@data_dir_option
@_with_serve_options
@click.option("--account-id", default=None, help="12-digit id of the first account.")
@click.option(
    "--aws-profile/--no-aws-profile",
    default=True,
    show_default=True,
    help=f"Also write the '{PROFILE}' profile into ~/.aws/credentials and ~/.aws/config.",
)
def up(
    data_dir: Path | None,
    host: str | None,
    port: int | None,
    workers: int | None,
    test_mode: bool | None,
    account_id: str | None,
    aws_profile: bool,
) -> None:
    """Initialise the data directory if needed, print the admin credentials, and serve."""
    _check_account_id(account_id)
    settings = _settings(
        data_dir=data_dir, host=host, port=port, workers=workers, test_mode=test_mode
    )
    region = settings.default_region
    creds, created = _initialise(settings, account_id, region)
    _print_welcome(settings, creds, region, created)
    if aws_profile:
        home = Path.home() / ".aws"
        _write_profile(home / "credentials", home / "config", creds, region)
        click.echo(
            f"Profile '{PROFILE}' also written to {home}: "
            f"aws --profile {PROFILE} --endpoint-url "
            f"http://{settings.host}:{settings.port} kms list-keys"
        )
    sys.stdout.flush()
    _serve(settings)


@main.group()
def account() -> None:
    """Manage accounts."""


@account.command("create")
@data_dir_option
@click.option("--account-id", default=None, help="12-digit id (random if omitted).")
@click.option("--json", "as_json", is_flag=True, help="Print the credentials as JSON.")
def account_create(data_dir: Path | None, account_id: str | None, as_json: bool) -> None:
    """Create an account with an admin user and print its access key (shown only once)."""
    _check_account_id(account_id)
    settings = _settings(data_dir=data_dir)
    try:
        root_key = load_root_key(settings.root_key_path)
    except RootKeyFileError as e:
        raise click.ClickException(str(e)) from None
    store = open_store(settings)
    try:
        check_root_key(store, root_key)
        creds = create_account_with_admin(store, root_key, SystemClock(), account_id)
    except (KMSError, WrongRootKey) as e:
        raise click.ClickException(str(e)) from None
    finally:
        store.close()
    region = settings.default_region
    if as_json:
        click.echo(_creds_json(creds, region))
    else:
        click.echo(
            f"account {creds.account_id}\n  principal: {creds.principal_arn}\n"
            f"  aws_access_key_id: {creds.access_key_id}\n"
            f"  aws_secret_access_key: {creds.secret_access_key}"
        )


main.add_command(audit_commands)


@main.group()
def jobs() -> None:
    """Inspect the background jobs (automatic rotation, deletion at the end of the window)."""


@jobs.command("status")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def jobs_status(data_dir: Path | None, as_json: bool) -> None:
    """Which node runs the jobs, what the last pass did, and what is due now."""
    from strongroom.jobs.runner import LAST_RUN
    from strongroom.jobs.scheduler import LEASE as JOBS_LEASE

    settings = _settings(data_dir=data_dir)
    clock = FileOffsetClock(settings.test_clock_path) if settings.test_mode else SystemClock()
    store = open_store(settings)
    try:
        now = clock.now()
        with store.unit_of_work(write=False) as uow:
            lease = uow.leases.get(JOBS_LEASE)
            last = uow.meta.get(LAST_RUN)
            due_rotation = uow.keys.due_for_rotation(now, limit=1000)
            due_deletion = uow.keys.due_for_deletion(now, limit=1000)
            due_expiry = uow.keys.due_for_expiry(now, limit=1000)
    finally:
        store.close()
    last_run: dict[str, Any] | None = json.loads(last) if last else None
    status: dict[str, Any] = {
        "now": now,
        "lease_holder": lease.holder if lease else None,
        "lease_expires_at": lease.expires_at if lease else None,
        "last_run": last_run,
        "due_rotations": len(due_rotation),
        "due_deletions": len(due_deletion),
        "due_expiries": len(due_expiry),
    }
    if as_json:
        click.echo(json.dumps(status))
        return
    holder = "none" if lease is None else f"{lease.holder} (lease until {_iso(lease.expires_at)})"
    click.echo(f"jobs node:      {holder}")
    if last_run is not None:
        run = last_run
        click.echo(
            f"last pass:      {_iso(run['started_at'])} on {run['node']}: "
            f"{len(run['rotated'])} rotated, {len(run['deleted'])} deleted, "
            f"{len(run.get('expired', []))} expired, {len(run['failed'])} failed"
        )
    else:
        click.echo("last pass:      never")
    click.echo(
        f"due now:        {len(due_rotation)} rotations, {len(due_deletion)} deletions, "
        f"{len(due_expiry)} expiries of imported material"
    )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="seconds")


@contextmanager
def _runtime(data_dir: Path | None) -> Iterator[tuple[Store, RootKey]]:
    """The store and root key of a data directory, closed afterwards; errors as CLI errors."""
    settings = _settings(data_dir=data_dir)
    try:
        root_key = load_root_key(settings.root_key_path)
    except RootKeyFileError as e:
        raise click.ClickException(str(e)) from None
    store = open_store(settings)
    try:
        check_root_key(store, root_key)
        yield store, root_key
    except (KMSError, WrongRootKey) as e:
        raise click.ClickException(str(e)) from None
    finally:
        store.close()


def _emit(out: dict[str, Any], as_json: bool) -> None:
    """Print a command's result as JSON or as ``key: value`` lines."""
    click.echo(json.dumps(out) if as_json else "\n".join(f"{k}: {v}" for k, v in out.items()))


def _document(value: str) -> str:
    """A policy given inline, as ``@file``, or as the path of an existing file."""
    if value.startswith("@"):
        path = Path(value[1:])
        if not path.is_file():
            raise click.ClickException(f"no such policy file: {path}")
        return path.read_text()
    path = Path(value)
    if not value.lstrip().startswith("{") and path.is_file():
        return path.read_text()
    return value


@main.group()
def iam() -> None:
    """Manage users, roles, access keys and identity policies."""


@iam.command("create-user")
@data_dir_option
@click.option("--account-id", required=True)
@click.option("--name", required=True)
@click.option("--with-access-key", is_flag=True, help="Also issue an access key (shown once).")
@click.option("--json", "as_json", is_flag=True)
def iam_create_user(
    data_dir: Path | None, account_id: str, name: str, with_access_key: bool, as_json: bool
) -> None:
    """Create an IAM user (no permissions until a policy is attached)."""
    with _runtime(data_dir) as (store, root_key):
        principal = create_principal(store, SystemClock(), account_id, name, kind="user")
        out: dict[str, Any] = {"Arn": principal.arn, "PrincipalId": principal.principal_id}
        if with_access_key:
            creds = create_access_key(store, root_key, SystemClock(), principal.arn)
            out |= {"AccessKeyId": creds.access_key_id, "SecretAccessKey": creds.secret_access_key}
    _emit(out, as_json)


@iam.command("create-role")
@data_dir_option
@click.option("--account-id", required=True)
@click.option("--name", required=True)
@click.option("--trust-policy", required=True, help="Trust policy JSON, or @file.")
@click.option("--json", "as_json", is_flag=True)
def iam_create_role(
    data_dir: Path | None, account_id: str, name: str, trust_policy: str, as_json: bool
) -> None:
    """Create an IAM role with a trust policy saying who may assume it."""
    with _runtime(data_dir) as (store, _):
        principal = create_principal(
            store,
            SystemClock(),
            account_id,
            name,
            kind="role",
            trust_policy=_document(trust_policy),
        )
    out = {"Arn": principal.arn, "PrincipalId": principal.principal_id}
    _emit(out, as_json)


@iam.command("create-access-key")
@data_dir_option
@click.option("--arn", required=True, help="The user's ARN.")
@click.option("--json", "as_json", is_flag=True)
def iam_create_access_key(data_dir: Path | None, arn: str, as_json: bool) -> None:
    """Issue an access key for a user (the secret is shown only now)."""
    with _runtime(data_dir) as (store, root_key):
        creds = create_access_key(store, root_key, SystemClock(), arn)
    out = {"AccessKeyId": creds.access_key_id, "SecretAccessKey": creds.secret_access_key}
    _emit(out, as_json)


@iam.command("set-access-key-status")
@data_dir_option
@click.option("--access-key-id", required=True)
@click.option("--active/--inactive", required=True)
def iam_set_access_key_status(data_dir: Path | None, access_key_id: str, active: bool) -> None:
    """Activate or deactivate an access key (takes effect within the cache TTL)."""
    with _runtime(data_dir) as (store, _):
        set_access_key_status(store, access_key_id, active)


@iam.command("put-policy")
@data_dir_option
@click.option("--arn", required=True, help="The user's or role's ARN.")
@click.option("--name", required=True)
@click.option("--document", required=True, help="Policy JSON, or @file.")
def iam_put_policy(data_dir: Path | None, arn: str, name: str, document: str) -> None:
    """Attach (or replace) an inline identity policy."""
    with _runtime(data_dir) as (store, _):
        put_identity_policy(store, arn, name, _document(document))


@iam.command("delete-policy")
@data_dir_option
@click.option("--arn", required=True)
@click.option("--name", required=True)
def iam_delete_policy(data_dir: Path | None, arn: str, name: str) -> None:
    """Detach an inline identity policy."""
    with _runtime(data_dir) as (store, _):
        delete_identity_policy(store, arn, name)


@iam.command("list")
@data_dir_option
@click.option("--account-id", required=True)
@click.option("--json", "as_json", is_flag=True)
def iam_list(data_dir: Path | None, account_id: str, as_json: bool) -> None:
    """Users and roles of an account, their access keys and policy names."""
    with _runtime(data_dir) as (store, _):
        principals = describe_account(store, account_id)
    if as_json:
        click.echo(json.dumps(principals))
        return
    for p in principals:
        keys = ", ".join(f"{k['AccessKeyId']} ({k['Status']})" for k in p["AccessKeys"])  # type: ignore[attr-defined]
        policies = ", ".join(p["Policies"])  # type: ignore[arg-type]
        click.echo(f"{p['Arn']}\n  access keys: {keys or '-'}\n  policies: {policies or '-'}")


@main.group()
def service() -> None:
    """Register applications that call KMS on behalf of their users (kms:ViaService)."""


@service.command("register")
@data_dir_option
@click.option("--name", required=True, help="Service name, e.g. s3 (ViaService s3.<region>...).")
@click.option("--json", "as_json", is_flag=True)
def service_register(data_dir: Path | None, name: str, as_json: bool) -> None:
    """Register a service and print its access key (shown only once)."""
    with _runtime(data_dir) as (store, root_key):
        creds = register_service(store, root_key, SystemClock(), name)
    out = {
        "Arn": creds.principal_arn,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
    }
    _emit(out, as_json)
