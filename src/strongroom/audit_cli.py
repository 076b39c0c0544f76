"""``strongroom audit``: list, export, verify and prune the audit trail; export its public key.

Every command opens the store directly (as ``strongroom jobs status`` does), so
it works on a running server's data dir or database and needs no credentials;
only ``digest`` needs the root key (it signs).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import click

from strongroom.audit.digests import PUBLIC_KEY_NAME, PublicKeyError, load_public_key, write_digest
from strongroom.audit.maintenance import DAY_SECONDS
from strongroom.audit.retention import prune
from strongroom.audit.verify import check_chain
from strongroom.clock import Clock, FileOffsetClock, SystemClock, iso_utc
from strongroom.domain.audit import AuditEvent, AuditQuery, names_resource
from strongroom.domain.repositories import Store
from strongroom.keystores.root_key_file import RootKeyFileError, load_root_key
from strongroom.settings import Settings, SettingsError, load_settings
from strongroom.store.database import open_store

PAGE = 1000
FOLLOW_POLL_SECONDS = 1.0

data_dir_option = click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="Data directory [./data]."
)


def _settings(data_dir: Path | None) -> Settings:
    try:
        return load_settings(data_dir=data_dir)
    except SettingsError as e:
        raise click.ClickException(str(e)) from None


@contextmanager
def _store(data_dir: Path | None) -> Iterator[tuple[Store, Settings]]:
    settings = _settings(data_dir)
    store = open_store(settings)
    try:
        yield store, settings
    finally:
        store.close()


def _clock(settings: Settings) -> Clock:
    return FileOffsetClock(settings.test_clock_path) if settings.test_mode else SystemClock()


def _epoch(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("expected an ISO-8601 time", param_hint=option) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _filters(f: Any) -> Any:
    options = [
        click.option("--since", default=None, help="Events at or after this ISO-8601 time."),
        click.option("--until", default=None, help="Events before this ISO-8601 time."),
        click.option("--event-name", default=None, help="Operation, e.g. Decrypt."),
        click.option(
            "--key-id",
            default=None,
            help="Key id or key ARN, named by any of the event's resources.",
        ),
        click.option("--principal", default=None, help="Caller's ARN."),
        click.option("--error-code", default=None, help="e.g. AccessDeniedException."),
        click.option("--request-id", default=None, help="The request id a client was given."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _query(
    since: str | None,
    until: str | None,
    event_name: str | None,
    key_id: str | None,
    principal: str | None,
    error_code: str | None,
    request_id: str | None,
) -> AuditQuery:
    return AuditQuery(
        since=_epoch(since, "--since"),
        until=_epoch(until, "--until"),
        event_name=event_name,
        resource=key_id,
        principal_arn=principal,
        error_code=error_code,
        request_id=request_id,
        limit=PAGE,
    )


def _matching(store: Store, query: AuditQuery) -> Iterator[AuditEvent]:
    """Matching events by seq, fetched a page at a time (the store's resource filter
    over-matches; ``names_resource`` is exact)."""
    after = query.after_seq
    while True:
        with store.unit_of_work(write=False) as uow:
            page = uow.audit.events(
                AuditQuery(**{**_fields(query), "after_seq": after, "limit": PAGE})
            )
        for event in page:
            if query.resource is None or names_resource(event.record, query.resource):
                yield event
        if len(page) < PAGE:
            return
        after = page[-1].seq


def _fields(query: AuditQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in AuditQuery.__dataclass_fields__}


@click.group()
def audit() -> None:
    """The audit trail: every API call and background job, hash-chained and signed."""


@audit.command("list")
@data_dir_option
@_filters
@click.option("--limit", type=int, default=100, show_default=True, help="At most this many.")
@click.option(
    "--output",
    "output_format",
    type=click.Choice(["table", "jsonl"]),
    default="table",
    show_default=True,
)
def audit_list(
    data_dir: Path | None,
    since: str | None,
    until: str | None,
    event_name: str | None,
    key_id: str | None,
    principal: str | None,
    error_code: str | None,
    request_id: str | None,
    limit: int,
    output_format: str,
) -> None:
    """List events (oldest first) matching the filters."""
    query = _query(since, until, event_name, key_id, principal, error_code, request_id)
    with _store(data_dir) as (store, _):
        shown = 0
        if output_format == "table":
            header = f"{'SEQ':>8}  {'TIME':20}  {'EVENT':32}  {'ERROR':28}  {'KEY':40}"
            click.echo(f"{header}  PRINCIPAL")
        for event in _matching(store, query):
            if shown >= limit:
                break
            shown += 1
            if output_format == "jsonl":
                click.echo(event.record)
                continue
            when = iso_utc(event.event_time)
            key = (event.key_arn or "-").rsplit("/", 1)[-1]
            click.echo(
                f"{event.seq:>8}  {when:20}  {event.event_name[:32]:32}  "
                f"{(event.error_code or '-')[:28]:28}  {key:40}  {event.principal_arn or '-'}"
            )


@audit.command("export")
@data_dir_option
@_filters
@click.option("--output", "output", default="-", help="File to write JSON Lines to [stdout].")
@click.option("--follow", is_flag=True, help="Keep running and write new events as they come.")
def audit_export(
    data_dir: Path | None,
    since: str | None,
    until: str | None,
    event_name: str | None,
    key_id: str | None,
    principal: str | None,
    error_code: str | None,
    request_id: str | None,
    output: str,
    follow: bool,
) -> None:
    """Export events as JSON Lines (one CloudTrail record per line), e.g. for a SIEM."""
    query = _query(since, until, event_name, key_id, principal, error_code, request_id)
    with _store(data_dir) as (store, _):
        target: IO[str]
        with open(output, "a", encoding="utf-8") if output != "-" else _stdout() as target:
            last = 0
            while True:
                newer = AuditQuery(**{**_fields(query), "after_seq": last})
                for event in _matching(store, newer):
                    target.write(event.record + "\n")
                    last = event.seq
                target.flush()
                if not follow:
                    return
                # The newest seq, even when it did not match: poll only for new events.
                with store.unit_of_work(write=False) as uow:
                    last = max(last, uow.audit.head().seq)
                time.sleep(FOLLOW_POLL_SECONDS)


@contextmanager
def _stdout() -> Iterator[IO[str]]:
    yield sys.stdout


@audit.command("verify")
@data_dir_option
@click.option(
    "--public-key",
    "public_key_path",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    default=None,
    help="The audit public key exported earlier (PEM). Without it, the copy in the "
    "database is used, which someone who can rewrite the database could replace.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def audit_verify(data_dir: Path | None, public_key_path: Path | None, as_json: bool) -> None:
    """Check the hash chain and the signed digests; exit 1 naming the first bad event."""
    with _store(data_dir) as (store, _), store.unit_of_work(write=False) as uow:
        head = uow.audit.head()
        digests = uow.audit.digests()
        stored_pem = uow.meta.get(PUBLIC_KEY_NAME)
        pem = public_key_path.read_bytes() if public_key_path is not None else stored_pem
        try:
            key = None if pem is None else load_public_key(pem)
        except PublicKeyError as e:
            raise click.ClickException(f"audit public key: {e}") from None

        def events() -> Iterator[AuditEvent]:
            after = 0
            while True:
                page = uow.audit.events(AuditQuery(after_seq=after, limit=PAGE))
                yield from page
                if len(page) < PAGE:
                    return
                after = page[-1].seq

        verdict = check_chain(events(), head, digests, key)
    if public_key_path is not None and stored_pem is not None and stored_pem != pem:
        verdict.problems.append("the public key in the database is not the one given")
    out = {
        "ok": verdict.ok,
        "events": verdict.events_checked,
        "digests": verdict.digests_checked,
        "firstSeq": head.anchor_seq + 1,
        "lastSeq": verdict.last_seq,
        "problems": verdict.problems,
        "publicKey": "file" if public_key_path is not None else "database",
    }
    if as_json:
        click.echo(json.dumps(out))
    elif verdict.ok:
        click.echo(
            f"OK: {verdict.events_checked} events (seq {head.anchor_seq + 1} to "
            f"{verdict.last_seq}) and {verdict.digests_checked} signed digests verified"
        )
    else:
        click.echo(f"FAILED: {verdict.problems[0]}")
        for problem in verdict.problems[1:]:
            click.echo(f"  also: {problem}")
    if not verdict.ok:
        sys.exit(1)


@audit.command("public-key")
@data_dir_option
@click.option("--output", "output", default="-", help="File to write the PEM to [stdout].")
def audit_public_key(data_dir: Path | None, output: str) -> None:
    """Print the audit public key (PEM). Keep a copy outside the server for `verify`."""
    with _store(data_dir) as (store, _), store.unit_of_work(write=False) as uow:
        pem = uow.meta.get(PUBLIC_KEY_NAME)
    if pem is None:
        raise click.ClickException(
            "no audit signing key yet: it is made with the first digest (`strongroom audit digest`)"
        )
    if output == "-":
        click.echo(pem.decode(), nl=False)
    else:
        Path(output).write_bytes(pem)


@audit.command("digest")
@data_dir_option
def audit_digest(data_dir: Path | None) -> None:
    """Sign the chain's current head now (the server also does so periodically)."""
    with _store(data_dir) as (store, settings):
        try:
            root_key = load_root_key(settings.root_key_path)
        except RootKeyFileError as e:
            raise click.ClickException(str(e)) from None
        with store.unit_of_work() as uow:
            digest = write_digest(uow, root_key, _clock(settings).now())
    if digest is None:
        click.echo("nothing new to sign")
    else:
        click.echo(f"digest {digest.number} signs the chain up to seq {digest.last_seq}")


@audit.command("prune")
@data_dir_option
@click.option(
    "--older-than-days",
    type=float,
    default=None,
    help="Override the audit_retention_days setting.",
)
def audit_prune(data_dir: Path | None, older_than_days: float | None) -> None:
    """Delete events older than the retention period, up to a signed digest."""
    with _store(data_dir) as (store, settings):
        days = settings.audit_retention_days if older_than_days is None else older_than_days
        if days <= 0:
            raise click.ClickException("retention is 0 (keep forever): nothing to prune")
        with store.unit_of_work() as uow:
            deleted = prune(uow, _clock(settings).now() - days * DAY_SECONDS)
    click.echo(f"pruned {deleted} events")
