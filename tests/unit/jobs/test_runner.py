"""The background job pass (``JobRunner``) and its lease-holding ``Scheduler``, on a real
``SqlStore`` (SQLite file and PostgreSQL) with a clock that stands still.

What matters most: a due key is rotated exactly once and a key at the end of
its waiting period is destroyed exactly once, however many runners (threads or
processes, i.e. nodes) overlap; and one failing key does not stop the others.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import queue
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import make_url

from strongroom.crypto.wrapping import ROOT_KEY_LENGTH, RootKey
from strongroom.domain.keys import KeyRecord, KeyState, KeyVersion
from strongroom.domain.repositories import KeyRepository, Store, UnitOfWork
from strongroom.domain.tags import Tag
from strongroom.jobs.runner import BATCH, LAST_RUN, JobReport, JobRunner
from strongroom.jobs.scheduler import LEASE, Scheduler
from strongroom.keystores.default import DefaultKeyStore
from strongroom.store import SqlStore
from strongroom.store.schema import metadata

ACCOUNT = "111122223333"
REGION = "us-east-1"
NOW = 1_800_000_000.25
DAY = 86_400.0
SPEC = "SYMMETRIC_DEFAULT"

_PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


# --------------------------------------------------------------------------- fixtures


@contextmanager
def _new_pg_database() -> Iterator[str]:
    """A new, migrated PostgreSQL database, dropped (with its connections) on exit."""
    name = f"strongroom_test_jobs_{secrets.token_hex(6)}"
    with psycopg.connect(_PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = _PG_URL.format(name=name)
        migrated = SqlStore(url)
        try:
            migrated.migrate()
        finally:
            migrated.close()
        yield url
    finally:
        with psycopg.connect(_PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module")
def migrated_postgres_url() -> Iterator[str]:
    """One migrated PostgreSQL database for the module (creating one costs about a second)."""
    with _new_pg_database() as url:
        yield url


def _truncate_every_table(url: str) -> None:
    names = sql.SQL(", ").join(sql.Identifier(table.name) for table in metadata.sorted_tables)
    dsn = psycopg.conninfo.make_conninfo(_PG_ADMIN_DSN, dbname=make_url(url).database)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(sql.SQL("TRUNCATE {}").format(names))


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database with empty tables: a new SQLite file, or the module's PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'strongroom.db'}"
        migrated = SqlStore(url)
        try:
            migrated.migrate()
        finally:
            migrated.close()
        return url
    url = str(request.getfixturevalue("migrated_postgres_url"))
    _truncate_every_table(url)
    return url


@pytest.fixture
def open_store(store_url: str) -> Iterator[Callable[[], SqlStore]]:
    """Opens stores on the test's database (one per simulated node); closes them all after."""
    opened: list[SqlStore] = []

    def open_one() -> SqlStore:
        opened.append(SqlStore(store_url))
        return opened[-1]

    yield open_one
    for sql_store in opened:
        sql_store.close()


@pytest.fixture
def store(open_store: Callable[[], SqlStore]) -> SqlStore:
    return open_store()


@pytest.fixture
def root_key_bytes() -> bytes:
    return secrets.token_bytes(ROOT_KEY_LENGTH)


@pytest.fixture
def keystore(root_key_bytes: bytes) -> DefaultKeyStore:
    return DefaultKeyStore(RootKey(root_key_bytes))


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = NOW) -> None:
        self.value = now

    def now(self) -> float:
        return self.value


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


# --------------------------------------------------------------------------- keys


def new_key(
    keystore: DefaultKeyStore,
    *,
    state: KeyState = KeyState.ENABLED,
    rotation_due_at: float | None = None,
    period_days: int = 365,
    deletion_due_at: float | None = None,
) -> tuple[KeyRecord, KeyVersion]:
    """A symmetric key with real wrapped material, rotation on if ``rotation_due_at`` is set."""
    key_id = str(uuid.uuid4())
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}"
    version_id = secrets.token_bytes(32)
    wrapped = keystore.wrap(arn, version_id, SPEC, keystore.new_symmetric_material())
    version = KeyVersion(key_id, version_id, wrapped, NOW - 400 * DAY)
    record = KeyRecord(
        key_id=key_id,
        account_id=ACCOUNT,
        region=REGION,
        arn=arn,
        key_spec=SPEC,
        key_usage="ENCRYPT_DECRYPT",
        origin="AWS_KMS",
        key_manager="CUSTOMER",
        state=state,
        description="",
        created_at=NOW - 400 * DAY,
        primary_version_id=version_id,
        rotation_enabled=rotation_due_at is not None,
        rotation_period_days=period_days if rotation_due_at is not None else None,
        next_rotation_at=rotation_due_at,
        deletion_date=deletion_due_at,
        pending_window_days=7 if deletion_due_at is not None else None,
    )
    return record, version


def add_keys(store: Store, keys: list[tuple[KeyRecord, KeyVersion]]) -> list[KeyRecord]:
    with store.unit_of_work() as uow:
        for record, version in keys:
            uow.keys.insert(record, version)
    return [record for record, _ in keys]


def add_key(store: Store, keystore: DefaultKeyStore, **kwargs: Any) -> KeyRecord:
    return add_keys(store, [new_key(keystore, **kwargs)])[0]


def due_for_rotation(store: Store, keystore: DefaultKeyStore, count: int) -> list[KeyRecord]:
    return add_keys(
        store, [new_key(keystore, rotation_due_at=NOW - index) for index in range(count)]
    )


def due_for_deletion(store: Store, keystore: DefaultKeyStore, count: int) -> list[KeyRecord]:
    return add_keys(
        store,
        [
            new_key(keystore, state=KeyState.PENDING_DELETION, deletion_due_at=NOW - index)
            for index in range(count)
        ],
    )


def get(store: Store, key_id: str) -> KeyRecord | None:
    with store.unit_of_work(write=False) as uow:
        return uow.keys.get(key_id)


def versions(store: Store, key_id: str) -> list[KeyVersion]:
    with store.unit_of_work(write=False) as uow:
        return uow.keys.versions(key_id)


def runner(store: Store, keystore: DefaultKeyStore, clock: FixedClock, node: str) -> JobRunner:
    return JobRunner(store, keystore, clock, node=node)


# --------------------------------------------------------------------------- one runner


def test_due_key_is_rotated_once_with_new_material_and_a_new_schedule(
    store: SqlStore, keystore: DefaultKeyStore, clock: FixedClock
) -> None:
    due = add_key(store, keystore, rotation_due_at=NOW - 60, period_days=90)
    due_now = add_key(store, keystore, rotation_due_at=NOW)
    job = runner(store, keystore, clock, "node-a")

    first = job.run_once()
    second = job.run_once()

    assert sorted(first.rotated) == sorted([due.key_id, due_now.key_id])
    assert second.rotated == []
    assert first.failed == second.failed == []
    old, new = versions(store, due.key_id)
    assert old.version_id == due.primary_version_id
    assert new.rotation_type == "AUTOMATIC"
    assert new.created_at == NOW
    # The new material is really wrapped for this key and version.
    unwrapped = keystore.unwrap(due.arn, new.version_id, SPEC, new.wrapped_material)
    assert unwrapped != keystore.unwrap(due.arn, old.version_id, SPEC, old.wrapped_material)
    rotated = get(store, due.key_id)
    assert rotated is not None
    assert rotated.primary_version_id == new.version_id
    assert rotated.next_rotation_at == NOW + 90 * DAY
    assert rotated.revision == due.revision + 1
    assert rotated.rotation_enabled is True


def test_keys_not_due_or_not_enabled_are_not_rotated(
    store: SqlStore, keystore: DefaultKeyStore, clock: FixedClock
) -> None:
    untouched = [
        add_key(store, keystore, rotation_due_at=NOW + 1),
        add_key(store, keystore),  # rotation off
        add_key(store, keystore, state=KeyState.DISABLED, rotation_due_at=NOW - DAY),
        add_key(
            store,
            keystore,
            state=KeyState.PENDING_DELETION,
            rotation_due_at=NOW - DAY,
            deletion_due_at=NOW + DAY,
        ),
    ]

    report = runner(store, keystore, clock, "node-a").run_once()

    assert report.rotated == report.deleted == report.failed == []
    for key in untouched:
        assert get(store, key.key_id) == key
        assert len(versions(store, key.key_id)) == 1


def test_a_rotated_key_is_due_again_one_period_later(
    store: SqlStore, keystore: DefaultKeyStore, clock: FixedClock
) -> None:
    key = add_key(store, keystore, rotation_due_at=NOW, period_days=90)
    job = runner(store, keystore, clock, "node-a")
    assert job.run_once().rotated == [key.key_id]

    clock.value = NOW + 90 * DAY - 1
    assert job.run_once().rotated == []
    clock.value = NOW + 90 * DAY
    assert job.run_once().rotated == [key.key_id]
    assert [v.rotation_type for v in versions(store, key.key_id)] == [
        None,
        "AUTOMATIC",
        "AUTOMATIC",
    ]


def test_key_at_the_end_of_its_window_is_destroyed_with_everything_it_owns(
    store: SqlStore, keystore: DefaultKeyStore, clock: FixedClock
) -> None:
    doomed = add_key(store, keystore, state=KeyState.PENDING_DELETION, deletion_due_at=NOW)
    waiting = add_key(store, keystore, state=KeyState.PENDING_DELETION, deletion_due_at=NOW + 0.001)
    # A deletion date on a key that is no longer pending deletion means nothing.
    cancelled = add_key(store, keystore, state=KeyState.DISABLED, deletion_due_at=NOW - DAY)
    with store.unit_of_work() as uow:
        uow.keys.add_version(
            KeyVersion(doomed.key_id, secrets.token_bytes(32), b"wrapped", NOW, "ON_DEMAND")
        )
        uow.tags.put(doomed.key_id, [Tag("team", "red")])
    job = runner(store, keystore, clock, "node-a")

    first = job.run_once()
    second = job.run_once()

    assert first.deleted == [doomed.key_id]
    assert second.deleted == []
    assert get(store, doomed.key_id) is None
    assert versions(store, doomed.key_id) == []
    with store.unit_of_work(write=False) as uow:
        assert uow.tags.list(doomed.key_id) == []
    assert get(store, waiting.key_id) == waiting
    assert get(store, cancelled.key_id) == cancelled


def test_each_pass_records_its_report(
    store: SqlStore, keystore: DefaultKeyStore, clock: FixedClock
) -> None:
    rotating = add_key(store, keystore, rotation_due_at=NOW)
    deleting = add_key(store, keystore, state=KeyState.PENDING_DELETION, deletion_due_at=NOW)

    report = runner(store, keystore, clock, "node-a").run_once()

    with store.unit_of_work(write=False) as uow:
        recorded = uow.meta.get(LAST_RUN)
    assert recorded is not None
    assert json.loads(recorded) == {
        "started_at": NOW,
        "node": "node-a",
        "rotated": [rotating.key_id],
        "deleted": [deleting.key_id],
        "expired": [],
        "failed": [],
    }
    assert report == JobReport(NOW, "node-a", [rotating.key_id], [deleting.key_id], [])


def test_a_backlog_larger_than_a_batch_is_worked_off_by_later_passes(
    store: SqlStore, keystore: DefaultKeyStore, clock: FixedClock
) -> None:
    keys = due_for_rotation(store, keystore, BATCH + 5)
    job = runner(store, keystore, clock, "node-a")

    rotated: list[str] = []
    for _ in range(3):
        report = job.run_once()
        assert len(report.rotated) <= BATCH
        rotated.extend(report.rotated)

    assert sorted(rotated) == sorted(key.key_id for key in keys)


# --------------------------------------------------------------------------- failures


class FailingKeyStore(DefaultKeyStore):
    """Fails to wrap new material for one key."""

    def __init__(self, root_key: RootKey, failing_arn: str) -> None:
        super().__init__(root_key)
        self._failing_arn = failing_arn

    def wrap(self, key_arn: str, version_id: bytes, key_spec: str, material: bytes) -> bytes:
        if key_arn == self._failing_arn:
            raise RuntimeError("injected keystore failure")
        return super().wrap(key_arn, version_id, key_spec, material)


class _KeysFailingOnDelete:
    """A key repository that fails after deleting one key, inside the transaction."""

    def __init__(self, inner: KeyRepository, failing_key_id: str) -> None:
        self._inner = inner
        self._failing_key_id = failing_key_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def delete(self, key_id: str) -> None:
        self._inner.delete(key_id)
        if key_id == self._failing_key_id:
            raise RuntimeError("injected failure after the delete statements")


@dataclass
class StoreFailingOnDelete:
    inner: SqlStore
    failing_key_id: str

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[UnitOfWork]:
        with self.inner.unit_of_work(write=write) as uow:
            uow.keys = _KeysFailingOnDelete(uow.keys, self.failing_key_id)
            yield uow

    def migrate(self) -> None:
        self.inner.migrate()

    def reclaim(self) -> None:
        self.inner.reclaim()

    def close(self) -> None:
        self.inner.close()


def test_a_failing_key_is_reported_and_does_not_stop_the_others(
    store: SqlStore, root_key_bytes: bytes, keystore: DefaultKeyStore, clock: FixedClock
) -> None:
    bad_rotation, good_rotation = due_for_rotation(store, keystore, 2)
    bad_deletion, good_deletion = due_for_deletion(store, keystore, 2)
    failing = JobRunner(
        StoreFailingOnDelete(store, bad_deletion.key_id),
        FailingKeyStore(RootKey(root_key_bytes), bad_rotation.arn),
        clock,
        node="node-a",
    )

    report = failing.run_once()

    assert report.rotated == [good_rotation.key_id]
    assert report.deleted == [good_deletion.key_id]
    assert report.failed == [bad_rotation.key_id, bad_deletion.key_id]
    # The failed keys are exactly as they were: their transactions rolled back.
    assert get(store, bad_rotation.key_id) == bad_rotation
    assert len(versions(store, bad_rotation.key_id)) == 1
    assert get(store, bad_deletion.key_id) == bad_deletion
    assert len(versions(store, bad_deletion.key_id)) == 1
    # A later pass that does not fail finishes the work.
    retry = runner(store, keystore, clock, "node-b").run_once()
    assert retry.rotated == [bad_rotation.key_id]
    assert retry.deleted == [bad_deletion.key_id]


# --------------------------------------------------------------------------- overlapping runners


def assert_acted_once(
    store: Store,
    reports: list[tuple[list[str], list[str], list[str]]],
    rotating: list[KeyRecord],
    deleting: list[KeyRecord],
) -> None:
    rotated = [key_id for report in reports for key_id in report[0]]
    deleted = [key_id for report in reports for key_id in report[1]]
    failed = [key_id for report in reports for key_id in report[2]]
    assert failed == []
    # Disjoint reports (no duplicates) whose union is every due key.
    assert sorted(rotated) == sorted(key.key_id for key in rotating)
    assert sorted(deleted) == sorted(key.key_id for key in deleting)
    for key in rotating:
        assert len(versions(store, key.key_id)) == 2, key.key_id
    for key in deleting:
        assert get(store, key.key_id) is None


def test_overlapping_runners_on_threads_act_on_each_key_once(
    open_store: Callable[[], SqlStore],
    store: SqlStore,
    keystore: DefaultKeyStore,
    clock: FixedClock,
) -> None:
    rotating = due_for_rotation(store, keystore, 20)
    deleting = due_for_deletion(store, keystore, 20)
    nodes, passes = 4, 5
    # One store per runner, as on separate nodes.
    runners = [runner(open_store(), keystore, clock, f"node-{n}") for n in range(nodes)]
    start = threading.Barrier(nodes)

    def run(job: JobRunner) -> list[tuple[list[str], list[str], list[str]]]:
        start.wait(10)
        results = []
        for _ in range(passes):
            report = job.run_once()
            results.append((report.rotated, report.deleted, report.failed))
        return results

    with ThreadPoolExecutor(max_workers=nodes) as pool:
        futures = [pool.submit(run, job) for job in runners]
        reports = [report for future in futures for report in future.result(timeout=120)]

    assert_acted_once(store, reports, rotating, deleting)


def _run_passes_in_process(
    url: str,
    root_key: bytes,
    node: str,
    passes: int,
    start: Any,
    results: Any,
) -> None:
    """Child process body: open its own store, wait for the others, run ``passes`` passes."""
    sql_store = SqlStore(url)
    try:
        job = JobRunner(sql_store, DefaultKeyStore(RootKey(root_key)), FixedClock(), node=node)
        start.wait(60)
        for _ in range(passes):
            report = job.run_once()
            results.put((report.rotated, report.deleted, report.failed))
    finally:
        sql_store.close()


def test_overlapping_runner_processes_on_sqlite_act_on_each_key_once(
    tmp_path: Path, root_key_bytes: bytes, keystore: DefaultKeyStore
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    sql_store = SqlStore(url)
    try:
        sql_store.migrate()
        rotating = due_for_rotation(sql_store, keystore, 20)
        deleting = due_for_deletion(sql_store, keystore, 20)
        processes, passes = 3, 4
        context = multiprocessing.get_context("spawn")
        start = context.Barrier(processes)
        results = context.Queue()
        children = [
            context.Process(
                target=_run_passes_in_process,
                args=(url, root_key_bytes, f"process-{n}", passes, start, results),
            )
            for n in range(processes)
        ]
        for child in children:
            child.start()
        reports = []
        try:
            for _ in range(processes * passes):
                reports.append(results.get(timeout=120))
        except queue.Empty:
            pytest.fail(f"only {len(reports)} of {processes * passes} passes reported")
        finally:
            for child in children:
                child.join(timeout=60)
                if child.is_alive():
                    child.kill()
                    child.join()
        assert [child.exitcode for child in children] == [0] * processes
        assert_acted_once(sql_store, reports, rotating, deleting)
    finally:
        sql_store.close()


# --------------------------------------------------------------------------- the scheduler's lease


def lease_holder(store: Store) -> tuple[str, float] | None:
    with store.unit_of_work(write=False) as uow:
        lease = uow.leases.get(LEASE)
    return None if lease is None else (lease.holder, lease.expires_at)


def test_only_the_lease_holder_runs_passes_until_its_lease_expires(
    store: SqlStore, keystore: DefaultKeyStore, clock: FixedClock
) -> None:
    interval = 1.0
    ttl = 10.0  # max(3 * interval, 10): the scheduler's lease lifetime

    def scheduler(node: str) -> Scheduler:
        return Scheduler(
            runner(store, keystore, clock, node), store, clock, node=node, interval_seconds=interval
        )

    first, second = scheduler("node-a"), scheduler("node-b")

    def rotated(key: KeyRecord) -> bool:
        return len(versions(store, key.key_id)) > 1

    # A free lease: the first node takes it and runs the pass.
    key = add_key(store, keystore, rotation_due_at=NOW)
    asyncio.run(first.tick())
    assert rotated(key)
    assert lease_holder(store) == ("node-a", NOW + ttl)

    # Held by another node: the second node runs nothing.
    clock.value = NOW + 5
    key = add_key(store, keystore, rotation_due_at=NOW)
    asyncio.run(second.tick())
    assert not rotated(key)
    assert lease_holder(store) == ("node-a", NOW + ttl)

    # The holder renews its lease and runs the pass.
    asyncio.run(first.tick())
    assert rotated(key)
    assert lease_holder(store) == ("node-a", NOW + 5 + ttl)

    # Once the lease has expired, another node takes over.
    clock.value = NOW + 5 + ttl
    key = add_key(store, keystore, rotation_due_at=NOW)
    asyncio.run(second.tick())
    assert rotated(key)
    assert lease_holder(store) == ("node-b", NOW + 5 + 2 * ttl)

    # And the old holder no longer runs passes.
    key = add_key(store, keystore, rotation_due_at=NOW)
    asyncio.run(first.tick())
    assert not rotated(key)


class CountingRunner(JobRunner):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.passes = 0

    def run_once(self) -> JobReport:
        self.passes += 1
        return super().run_once()


def test_concurrent_schedulers_take_the_free_lease_exactly_once(
    open_store: Callable[[], SqlStore], keystore: DefaultKeyStore, clock: FixedClock
) -> None:
    nodes = 6
    stores = [open_store() for _ in range(nodes)]
    runners = [CountingRunner(stores[n], keystore, clock, node=f"node-{n}") for n in range(nodes)]
    schedulers = [
        Scheduler(runners[n], stores[n], clock, node=f"node-{n}", interval_seconds=1.0)
        for n in range(nodes)
    ]
    start = threading.Barrier(nodes)

    def tick(scheduler: Scheduler) -> None:
        start.wait(10)
        asyncio.run(scheduler.tick())

    with ThreadPoolExecutor(max_workers=nodes) as pool:
        for future in [pool.submit(tick, scheduler) for scheduler in schedulers]:
            future.result(timeout=60)

    passes = [job.passes for job in runners]
    assert sorted(passes) == [0] * (nodes - 1) + [1]
    assert lease_holder(stores[0]) == (f"node-{passes.index(1)}", NOW + 10.0)


# --------------------------------------------------------------------------- import expiry


def imported_key(
    keystore: DefaultKeyStore, *, valid_to: float | None, state: KeyState = KeyState.ENABLED
) -> tuple[KeyRecord, KeyVersion]:
    """An EXTERNAL key whose imported material expires at ``valid_to`` (None: never)."""
    record, version = new_key(keystore, state=state)
    model = "KEY_MATERIAL_DOES_NOT_EXPIRE" if valid_to is None else "KEY_MATERIAL_EXPIRES"
    return (
        replace(record, origin="EXTERNAL"),
        replace(version, expiration_model=model, valid_to=valid_to),
    )


def test_expired_imported_material_is_deleted_and_the_key_goes_pending_import(
    store: SqlStore, keystore: DefaultKeyStore, clock: FixedClock
) -> None:
    expired, disabled, pending_deletion, later, never = add_keys(
        store,
        [
            imported_key(keystore, valid_to=NOW),
            imported_key(keystore, valid_to=NOW - 10, state=KeyState.DISABLED),
            imported_key(keystore, valid_to=NOW - 5, state=KeyState.PENDING_DELETION),
            imported_key(keystore, valid_to=NOW + 1),
            imported_key(keystore, valid_to=None),
        ],
    )
    changed: list[str] = []
    report = JobRunner(store, keystore, clock, node="n", on_change=changed.append).run_once()

    assert sorted(report.expired) == sorted(
        [expired.key_id, disabled.key_id, pending_deletion.key_id]
    )
    assert sorted(changed) == sorted(report.expired)
    for key in (expired, disabled):
        assert get(store, key.key_id) == replace(
            key, state=KeyState.PENDING_IMPORT, revision=key.revision + 1
        )
    assert get(store, pending_deletion.key_id).state is KeyState.PENDING_DELETION  # type: ignore[union-attr]
    for key in (expired, disabled, pending_deletion):
        (version,) = versions(store, key.key_id)
        assert version.wrapped_material is None
        assert version.valid_to is None
        assert version.version_id == key.primary_version_id
    for key in (later, never):
        assert get(store, key.key_id) == key
        assert versions(store, key.key_id)[0].has_material
    # Nothing is due twice.
    assert runner(store, keystore, clock, "n").run_once().expired == []


def test_concurrent_passes_expire_material_once(
    store: SqlStore, keystore: DefaultKeyStore, clock: FixedClock
) -> None:
    keys = add_keys(store, [imported_key(keystore, valid_to=NOW - i) for i in range(20)])
    with ThreadPoolExecutor(max_workers=4) as pool:
        reports = list(
            pool.map(lambda n: runner(store, keystore, clock, f"node-{n}").run_once(), range(4))
        )
    expired = [key_id for report in reports for key_id in report.expired]
    assert sorted(expired) == sorted(key.key_id for key in keys)
