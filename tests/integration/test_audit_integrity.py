"""The audit trail's guarantees: tampering is detected, and no acknowledged call loses its event.

Each test starts servers of its own: the tamper tests edit copies of a stopped
server's database directly (as an attacker with database access would), and
the crash test kills a loaded server with SIGKILL.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from .helpers import (
    DEFAULT_REGION,
    Server,
    audit_events,
    create_key,
    create_postgres_database,
    drop_postgres_database,
    kms_client,
    postgres_admin_conninfo,
    postgres_available,
    postgres_url,
    request_id,
    run_strongroom,
    run_strongroom_unchecked,
    start_server,
    stop_process,
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@contextlib.contextmanager
def dedicated_server(
    backend: str, data_dir: Path, **kwargs: Any
) -> Iterator[tuple[Server, str | None]]:
    database = None
    if backend == "postgres":
        if not postgres_available():
            pytest.skip("PostgreSQL is not reachable")
        database = create_postgres_database()
    server = start_server(backend, data_dir, postgres_url(database) if database else None, **kwargs)
    try:
        yield server, database
    finally:
        stop_process(server.process)
        if database is not None:
            drop_postgres_database(database)


# --------------------------------------------------------------------------- tampering


class Tamper:
    """Direct SQL on a copy of the server's database (SQLite file or PostgreSQL database)."""

    def __init__(self, server: Server, database: str | None, copy_dir: Path) -> None:
        self.env = dict(server.env)
        self.data_dir = copy_dir
        shutil.copytree(server.data_dir, copy_dir)
        self.database = None
        if database is not None:
            import psycopg
            from psycopg import sql

            self.database = f"{database}_copy_{copy_dir.name}"[:60]
            with psycopg.connect(postgres_admin_conninfo(), autocommit=True) as conn:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(self.database), sql.Identifier(database)
                    )
                )
            self.env["STRONGROOM_DATABASE_URL"] = postgres_url(self.database)

    def execute(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.database is None:
            with contextlib.closing(sqlite3.connect(self.data_dir / "strongroom.db")) as conn:
                rows = conn.execute(statement, params).fetchall()
                conn.commit()
                return rows
        import psycopg

        with psycopg.connect(postgres_admin_conninfo(self.database), autocommit=True) as conn:
            cursor = conn.execute(statement.replace("?", "%s"), params)  # type: ignore[arg-type]
            return list(cursor.fetchall()) if cursor.description else []

    def row(self, seq: int) -> dict[str, Any]:
        columns = (
            "seq, event_id, request_id, event_time, event_name, event_source, key_arn, "
            "principal_arn, error_code, record, prev_hash, hash"
        )
        query = f"SELECT {columns} FROM audit_events WHERE seq = ?"  # noqa: S608 (constants)
        (values,) = self.execute(query, seq)
        return dict(zip(columns.split(", "), values, strict=True))

    def verify(self, *extra: str) -> tuple[int, str]:
        result = run_strongroom_unchecked(
            ["audit", "verify", "--data-dir", str(self.data_dir), *extra], self.env
        )
        return result.returncode, result.stdout + result.stderr

    def close(self) -> None:
        if self.database is not None:
            drop_postgres_database(self.database)


def chain_hash(prev: bytes, seq: int, record: str) -> bytes:
    """The chain's format 1, written out independently of the server's code."""
    return hashlib.sha256(b"\x01" + prev + seq.to_bytes(8, "big") + record.encode()).digest()


def modify(t: Tamper, seq: int) -> None:
    record = t.row(seq)["record"].replace('"127.0.0.1"', '"10.9.8.7"')
    t.execute("UPDATE audit_events SET record = ? WHERE seq = ?", record, seq)


def delete(t: Tamper, seq: int) -> None:
    t.execute("DELETE FROM audit_events WHERE seq = ?", seq)


def insert_at_end(t: Tamper, seq: int) -> None:
    # A well-formed event appended after the head, its hash chained correctly.
    (last,) = t.execute("SELECT max(seq) FROM audit_events")[0]
    template = t.row(last)
    record = template["record"].replace(template["event_id"], "forged-event-id")
    digest = chain_hash(bytes(template["hash"]), last + 1, record)
    t.execute(
        "INSERT INTO audit_events (seq, event_id, request_id, event_time, event_name, "
        "event_source, key_arn, principal_arn, error_code, record, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        last + 1,
        "forged-event-id",
        template["request_id"],
        template["event_time"],
        template["event_name"],
        template["event_source"],
        template["key_arn"],
        template["principal_arn"],
        template["error_code"],
        record,
        bytes(template["hash"]),
        digest,
    )


def reorder(t: Tamper, seq: int) -> None:
    # Swap the contents of two events, each keeping its own (valid) hash and link.
    a, b = t.row(seq), t.row(seq + 1)
    for target, source in ((a, b), (b, a)):
        t.execute(
            "UPDATE audit_events SET event_id = ?, request_id = ?, record = ?, prev_hash = ?, "
            "hash = ? WHERE seq = ?",
            source["event_id"],
            source["request_id"],
            source["record"],
            bytes(source["prev_hash"]),
            bytes(source["hash"]),
            target["seq"],
        )


def rewrite_from(t: Tamper, seq: int) -> None:
    # Modify an event and recompute every later hash and the head: only the signed
    # digests can tell.
    modify(t, seq)
    prev = bytes(t.row(seq)["prev_hash"])
    (last,) = t.execute("SELECT max(seq) FROM audit_events")[0]
    for n in range(seq, last + 1):
        record = t.row(n)["record"]
        digest = chain_hash(prev, n, record)
        t.execute("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?", prev, digest, n)
        prev = digest
    t.execute("UPDATE audit_chain SET hash = ? WHERE id = 1", prev)


TAMPERS: dict[str, tuple[Callable[[Tamper, int], None], str]] = {
    "modified": (modify, "was modified"),
    "deleted": (delete, "is missing (deleted)"),
    "inserted": (insert_at_end, "inserted after the chain head"),
    "reordered": (reorder, "does not follow"),
    "rewritten": (rewrite_from, "differ from what digest"),
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_audit_verify_names_the_first_modified_deleted_inserted_or_reordered_event(
    backend: str, tmp_path: Path
) -> None:
    with dedicated_server(backend, tmp_path / "server") as (server, database):
        kms = kms_client(server, DEFAULT_REGION, server.credentials)
        key = create_key(kms)
        for n in range(6):
            kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p", EncryptionContext={"n": str(n)})
        run_strongroom(["audit", "digest", "--data-dir", str(server.data_dir)], server.env)
        for n in range(6):
            kms.encrypt(KeyId=key["KeyId"], Plaintext=b"q", EncryptionContext={"n": str(n)})
        public_key = tmp_path / "audit-public-key.pem"
        run_strongroom(
            [
                "audit",
                "public-key",
                "--data-dir",
                str(server.data_dir),
                "--output",
                str(public_key),
            ],
            server.env,
        )
        # A clean shutdown signs the chain's head.
        stop_process(server.process)
        assert public_key.read_text().startswith("-----BEGIN PUBLIC KEY-----")

        pristine = Tamper(server, database, tmp_path / "pristine")
        try:
            code, output = pristine.verify("--public-key", str(public_key))
            assert code == 0, output
            assert "2 signed digests" in output
            (target,) = pristine.execute(
                "SELECT min(seq) FROM audit_events WHERE event_name = 'Encrypt'"
            )[0]
        finally:
            pristine.close()
        target += 2
        for kind, (tamper, words) in TAMPERS.items():
            copy = Tamper(server, database, tmp_path / kind)
            try:
                event_id = copy.row(target)["event_id"]
                tamper(copy, target)
                code, output = copy.verify("--public-key", str(public_key))
                assert code == 1, f"{kind}: {output}"
                first = output.splitlines()[0]
                assert first.startswith("FAILED: "), output
                assert words in first, f"{kind}: {first}"
                if kind in ("modified", "deleted", "reordered"):
                    assert f"event seq {target} " in first, f"{kind}: {first}"
                if kind in ("modified", "reordered"):
                    assert event_id in first or kind == "reordered", f"{kind}: {first}"
            finally:
                copy.close()


def test_audit_verify_rejects_digests_under_another_public_key(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    with dedicated_server("sqlite", tmp_path / "server") as (server, _):
        kms = kms_client(server, DEFAULT_REGION, server.credentials)
        create_key(kms)
        run_strongroom(["audit", "digest", "--data-dir", str(server.data_dir)], server.env)
        other = tmp_path / "other.pem"
        other.write_bytes(
            Ed25519PrivateKey.generate()
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        result = run_strongroom_unchecked(
            ["audit", "verify", "--data-dir", str(server.data_dir), "--public-key", str(other)],
            server.env,
        )
        assert result.returncode == 1
        assert "no valid signature" in result.stdout


def test_pruning_keeps_the_chain_verifiable(tmp_path: Path) -> None:
    with dedicated_server("sqlite", tmp_path / "server", test_mode=True) as (server, _):
        kms = kms_client(server, DEFAULT_REGION, server.credentials)
        key = create_key(kms)
        old = [request_id(kms.encrypt(KeyId=key["KeyId"], Plaintext=b"o")) for _ in range(3)]
        run_strongroom(["audit", "digest", "--data-dir", str(server.data_dir)], server.env)
        from .helpers import advance_clock

        advance_clock(server, 10 * 86400)
        new = [request_id(kms.encrypt(KeyId=key["KeyId"], Plaintext=b"n")) for _ in range(3)]
        env = {**server.env, "STRONGROOM_TEST_MODE": "true"}
        pruned = run_strongroom(
            ["audit", "prune", "--data-dir", str(server.data_dir), "--older-than-days", "5"], env
        )
        assert "pruned" in pruned.stdout and not pruned.stdout.startswith("pruned 0 ")
        remaining = {event["requestID"] for event in audit_events(server)}
        assert not remaining & set(old)
        assert set(new) <= remaining
        result = run_strongroom_unchecked(
            ["audit", "verify", "--data-dir", str(server.data_dir)], server.env
        )
        assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------- kill -9


def _load(server: Server, stop: threading.Event, acknowledged: list[str], key_id: str) -> None:
    kms = kms_client(server, DEFAULT_REGION, server.credentials)
    while not stop.is_set():
        try:
            response = kms.encrypt(KeyId=key_id, Plaintext=b"load")
        except (ClientError, ConnectionClosedError, EndpointConnectionError, OSError):
            if stop.is_set():
                return
            time.sleep(0.01)
            continue
        except Exception:
            return
        if response["ResponseMetadata"]["HTTPStatusCode"] == 200:
            acknowledged.append(request_id(response))


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_under_load_loses_no_event_of_an_acknowledged_call(
    backend: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "server"
    with dedicated_server(backend, data_dir, workers=2) as (server, _):
        kms = kms_client(server, DEFAULT_REGION, server.credentials)
        key = create_key(kms)
        stop = threading.Event()
        acknowledged: list[str] = []
        threads = [
            threading.Thread(target=_load, args=(server, stop, acknowledged, key["KeyId"]))
            for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while len(acknowledged) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        # The whole process group: the supervisor and its worker processes.
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert len(acknowledged) >= 100, "the load did not get going"
        restarted = start_server(backend, data_dir, server.database_url)
        try:
            recorded = {event["requestID"] for event in audit_events(restarted)}
            lost = [rid for rid in acknowledged if rid not in recorded]
            assert lost == [], f"{len(lost)} of {len(acknowledged)} acknowledged calls lost"
            verified = run_strongroom_unchecked(
                ["audit", "verify", "--data-dir", str(data_dir), "--json"], restarted.env
            )
            assert verified.returncode == 0, verified.stdout + verified.stderr
            assert json.loads(verified.stdout)["events"] >= len(acknowledged)
        finally:
            stop_process(restarted.process)


def test_the_server_signs_digests_periodically_and_export_follows_new_events(
    tmp_path: Path,
) -> None:
    import subprocess

    from .helpers import strongroom_command, wait_until

    env = {"STRONGROOM_AUDIT_DIGEST_INTERVAL_SECONDS": "0.3"}
    with dedicated_server("sqlite", tmp_path / "server", extra_env=env) as (server, _):
        kms = kms_client(server, DEFAULT_REGION, server.credentials)
        key = create_key(kms)
        out = tmp_path / "siem.jsonl"
        follower = subprocess.Popen(
            [
                *strongroom_command(),
                "audit",
                "export",
                "--data-dir",
                str(server.data_dir),
                "--output",
                str(out),
                "--follow",
            ],
            env=server.env,
            start_new_session=True,
        )
        try:
            rid = request_id(kms.encrypt(KeyId=key["KeyId"], Plaintext=b"follow me"))

            def exported() -> bool:
                text = out.read_text() if out.exists() else ""
                return rid in {json.loads(line)["requestID"] for line in text.splitlines()}

            wait_until(exported, message="the followed export to include a new event")

            def digests() -> int:
                result = run_strongroom_unchecked(
                    ["audit", "verify", "--data-dir", str(server.data_dir), "--json"], server.env
                )
                verdict = json.loads(result.stdout)
                assert verdict["ok"], verdict
                return int(verdict["digests"])

            wait_until(lambda: digests() >= 1, message="a periodic digest")
        finally:
            follower.terminate()
            follower.wait(timeout=10)
