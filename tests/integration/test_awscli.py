"""The AWS CLI (v1, in its own virtualenv) against the server, with the init-written profile."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from .helpers import Account, AwsCli, unique_alias, wrap

pytestmark = pytest.mark.awscli


@pytest.fixture
def cli_key(aws_cli: AwsCli) -> dict[str, Any]:
    metadata: dict[str, Any] = aws_cli("kms", "create-key", "--description", "cli test").json()[
        "KeyMetadata"
    ]
    return metadata


def test_cli_create_key_prints_key_metadata(cli_key: dict[str, Any], account: Account) -> None:
    assert cli_key["Arn"] == account.key_arn(cli_key["KeyId"])
    assert cli_key["KeyState"] == "Enabled"
    assert cli_key["Description"] == "cli test"
    assert cli_key["KeySpec"] == "SYMMETRIC_DEFAULT"


def test_cli_encrypts_a_file_and_decrypts_it_back(
    aws_cli: AwsCli, cli_key: dict[str, Any], tmp_path: Path
) -> None:
    plaintext = os.urandom(200)
    (tmp_path / "plain.bin").write_bytes(plaintext)
    encrypted = aws_cli(
        "kms",
        "encrypt",
        "--key-id",
        cli_key["KeyId"],
        "--plaintext",
        "fileb://plain.bin",
        "--encryption-context",
        "purpose=cli",
        cwd=tmp_path,
    ).json()
    assert encrypted["KeyId"] == cli_key["Arn"]
    (tmp_path / "blob.bin").write_bytes(base64.b64decode(encrypted["CiphertextBlob"]))

    decrypted = aws_cli(
        "kms",
        "decrypt",
        "--ciphertext-blob",
        "fileb://blob.bin",
        "--encryption-context",
        "purpose=cli",
        cwd=tmp_path,
    ).json()
    assert base64.b64decode(decrypted["Plaintext"]) == plaintext
    assert decrypted["KeyId"] == cli_key["Arn"]


def test_cli_decrypt_with_the_wrong_context_fails(
    aws_cli: AwsCli, cli_key: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "plain.bin").write_bytes(b"context bound")
    encrypted = aws_cli(
        "kms",
        "encrypt",
        "--key-id",
        cli_key["KeyId"],
        "--plaintext",
        "fileb://plain.bin",
        "--encryption-context",
        "purpose=cli",
        cwd=tmp_path,
    ).json()
    (tmp_path / "blob.bin").write_bytes(base64.b64decode(encrypted["CiphertextBlob"]))
    result = aws_cli("kms", "decrypt", "--ciphertext-blob", "fileb://blob.bin", cwd=tmp_path)
    assert not result.ok
    assert "InvalidCiphertextException" in result.stderr


def test_cli_list_keys_includes_a_new_key(aws_cli: AwsCli, cli_key: dict[str, Any]) -> None:
    keys = aws_cli("kms", "list-keys").json()["Keys"]
    assert {"KeyId": cli_key["KeyId"], "KeyArn": cli_key["Arn"]} in keys


def test_cli_create_alias_then_list_aliases(
    aws_cli: AwsCli, cli_key: dict[str, Any], account: Account
) -> None:
    name = unique_alias("cli")
    created = aws_cli(
        "kms", "create-alias", "--alias-name", name, "--target-key-id", cli_key["KeyId"]
    )
    assert created.ok, created.stderr
    try:
        listed = aws_cli("kms", "list-aliases", "--key-id", cli_key["KeyId"]).json()["Aliases"]
        assert [a["AliasName"] for a in listed] == [name]
        assert listed[0]["AliasArn"] == account.alias_arn(name)
        assert listed[0]["TargetKeyId"] == cli_key["KeyId"]
        all_aliases = aws_cli("kms", "list-aliases").json()["Aliases"]
        assert name in {a["AliasName"] for a in all_aliases}
        described = aws_cli("kms", "describe-key", "--key-id", name).json()
        assert described["KeyMetadata"]["KeyId"] == cli_key["KeyId"]
    finally:
        aws_cli("kms", "delete-alias", "--alias-name", name)


def test_cli_describe_key_of_an_unknown_key_reports_not_found(
    aws_cli: AwsCli, account: Account
) -> None:
    missing = str(uuid.uuid4())
    result = aws_cli("kms", "describe-key", "--key-id", missing)
    assert result.returncode != 0
    assert "An error occurred (NotFoundException) when calling the DescribeKey operation" in (
        result.stderr
    ), result.stderr
    assert account.key_arn(missing) in result.stderr


def test_cli_generate_random_returns_base64_bytes(aws_cli: AwsCli) -> None:
    result = aws_cli("kms", "generate-random", "--number-of-bytes", "48").json()
    assert len(base64.b64decode(result["Plaintext"])) == 48


def test_cli_get_key_policy_as_text(aws_cli: AwsCli, cli_key: dict[str, Any]) -> None:
    result = aws_cli(
        "kms",
        "get-key-policy",
        "--key-id",
        cli_key["KeyId"],
        "--policy-name",
        "default",
        "--query",
        "Policy",
    ).json()
    assert "kms:*" in result


def test_cli_imports_key_material(aws_cli: AwsCli, tmp_path: Path) -> None:
    """AWS's documented CLI flow: create-key --origin EXTERNAL, get-parameters-for-import,
    wrap the material, import-key-material with fileb:// inputs, then use the key."""
    created = aws_cli("kms", "create-key", "--origin", "EXTERNAL").json()["KeyMetadata"]
    assert created["KeyState"] == "PendingImport"
    params = aws_cli(
        "kms",
        "get-parameters-for-import",
        "--key-id",
        created["KeyId"],
        "--wrapping-algorithm",
        "RSAES_OAEP_SHA_256",
        "--wrapping-key-spec",
        "RSA_2048",
    ).json()
    material = os.urandom(32)
    (tmp_path / "token.bin").write_bytes(base64.b64decode(params["ImportToken"]))
    (tmp_path / "material.bin").write_bytes(
        wrap(base64.b64decode(params["PublicKey"]), "RSAES_OAEP_SHA_256", material)
    )
    imported = aws_cli(
        "kms",
        "import-key-material",
        "--key-id",
        created["KeyId"],
        "--encrypted-key-material",
        "fileb://material.bin",
        "--import-token",
        "fileb://token.bin",
        "--expiration-model",
        "KEY_MATERIAL_DOES_NOT_EXPIRE",
        cwd=tmp_path,
    ).json()
    assert imported["KeyId"] == created["Arn"]
    described = aws_cli("kms", "describe-key", "--key-id", created["KeyId"]).json()
    assert described["KeyMetadata"]["KeyState"] == "Enabled"
    assert described["KeyMetadata"]["CurrentKeyMaterialId"] == imported["KeyMaterialId"]
    deleted = aws_cli("kms", "delete-imported-key-material", "--key-id", created["KeyId"]).json()
    assert deleted["KeyMaterialId"] == imported["KeyMaterialId"]
    described = aws_cli("kms", "describe-key", "--key-id", created["KeyId"]).json()
    assert described["KeyMetadata"]["KeyState"] == "PendingImport"
