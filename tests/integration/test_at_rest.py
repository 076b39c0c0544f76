"""Nothing secret is stored in clear: not in the data dir, the database or the server log."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .helpers import (
    Account,
    Server,
    create_key,
    find_secrets,
    import_material,
    postgres_dump_rows,
)

# init writes the admin's access key here on purpose, for the AWS CLI profile.
EXPECTED_SECRET_FILES = {"credentials"}
SQLITE_MAGIC = b"SQLite format 3\x00"


def stored_files(server: Server) -> list[Path]:
    return sorted(
        path
        for path in server.data_dir.rglob("*")
        if path.is_file() and path.name not in EXPECTED_SECRET_FILES
    )


def sqlite_files(server: Server) -> list[Path]:
    """SQLite databases in the data dir (by their magic header) with their -wal/-shm/-journal."""
    found = []
    for path in stored_files(server):
        with path.open("rb") as handle:
            if handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
                found.append(path)
    companions = [
        path.with_name(path.name + suffix)
        for path in found
        for suffix in ("-wal", "-shm", "-journal")
    ]
    return found + [path for path in companions if path.exists()]


def make_secrets(kms: Any, server: Server, other_account: Account) -> dict[str, bytes]:
    """Use the server the way a client would and return every secret it was shown."""
    key = create_key(kms)
    alias_key = create_key(kms, Description="at-rest")
    needles: dict[str, bytes] = {
        "admin secret access key": server.secret_access_key.encode(),
        "other account secret access key": other_account.credentials.secret_access_key.encode(),
    }
    for index, plaintext in enumerate(
        [
            b"at-rest canary " + secrets.token_hex(16).encode(),
            os.urandom(32),
            os.urandom(4096),
        ]
    ):
        needles[f"encrypted plaintext {index}"] = plaintext
        blob = kms.encrypt(
            KeyId=key["KeyId"], Plaintext=plaintext, EncryptionContext={"n": str(index)}
        )["CiphertextBlob"]
        re_encrypted = kms.re_encrypt(
            CiphertextBlob=blob,
            SourceEncryptionContext={"n": str(index)},
            DestinationKeyId=alias_key["KeyId"],
        )["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=re_encrypted)["Plaintext"] == plaintext
    for index in range(3):
        data_key = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
        needles[f"data key {index}"] = data_key["Plaintext"]
        without = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], NumberOfBytes=48)
        recovered = kms.decrypt(CiphertextBlob=without["CiphertextBlob"])["Plaintext"]
        needles[f"data key without plaintext {index}"] = recovered
    needles["random bytes"] = kms.generate_random(NumberOfBytes=64)["Plaintext"]
    needles.update(import_secrets(kms))
    return needles


def import_secrets(kms: Any) -> dict[str, bytes]:
    """Import known material (and delete one), returning the material and its private scalar."""
    symmetric = create_key(kms, Origin="EXTERNAL")["Arn"]
    symmetric_material = os.urandom(32)
    import_material(kms, symmetric, symmetric_material)
    kms.encrypt(KeyId=symmetric, Plaintext=b"x")
    deleted = create_key(kms, Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    deleted_material = os.urandom(32)
    import_material(kms, deleted["Arn"], deleted_material)
    kms.delete_imported_key_material(KeyId=deleted["Arn"])
    signing = create_key(kms, Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    import_material(kms, signing["Arn"], der, "RSA_AES_KEY_WRAP_SHA_256", "RSA_3072")
    kms.sign(KeyId=signing["Arn"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    return {
        "imported symmetric material": symmetric_material,
        "imported and deleted HMAC material": deleted_material,
        "imported EC private key": der,
        "imported EC private scalar": private.private_numbers().private_value.to_bytes(32, "big"),
    }


def test_no_secret_appears_in_clear_in_the_data_dir_or_the_server_log(
    kms: Any, server: Server, other_account: Account
) -> None:
    needles = make_secrets(kms, server, other_account)
    files = stored_files(server)
    assert files, "the data dir holds no files at all"
    leaks: list[str] = []
    for path in files:
        found = find_secrets(path.read_bytes(), needles)
        leaks.extend(f"{path.relative_to(server.data_dir)}: {what}" for what in found)
    assert not leaks, "secrets stored in clear:\n" + "\n".join(leaks)


def test_no_secret_appears_in_clear_in_any_database_row(
    kms: Any, server: Server, other_account: Account
) -> None:
    needles = make_secrets(kms, server, other_account)
    if server.database_url is None:
        rows = [(path.name, path.read_bytes()) for path in sqlite_files(server)]
        assert rows, "no SQLite database file found in the data dir"
    else:
        database = server.database_url.rsplit("/", 1)[-1]
        rows = list(postgres_dump_rows(database))
        assert rows, "the PostgreSQL database holds no rows"
    leaks = sorted(
        {f"{table}: {what}" for table, row in rows for what in find_secrets(row, needles)}
    )
    assert not leaks, "secrets stored in clear:\n" + "\n".join(leaks)
