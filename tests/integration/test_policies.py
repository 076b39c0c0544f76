"""GetKeyPolicy and ListKeyPolicies, and the policy given to CreateKey."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from .helpers import Account, create_key, expect_error


def root_policy(account: Account, sid: str) -> str:
    """A policy that keeps the account in control (so CreateKey's lockout check passes)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "integration-test",
            "Statement": [
                {
                    "Sid": sid,
                    "Effect": "Allow",
                    "Principal": {"AWS": account.root_arn()},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
        indent=2,
    )


def test_default_key_policy_delegates_everything_to_the_account_root(
    kms: Any, key: dict[str, Any], account: Account
) -> None:
    response = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")
    policy = json.loads(response["Policy"])
    assert policy["Version"] == "2012-10-17"
    statements = policy["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    assert any(
        s["Effect"] == "Allow"
        and s["Principal"] == {"AWS": account.root_arn()}
        and s["Action"] in ("kms:*", ["kms:*"])
        and s["Resource"] in ("*", ["*"])
        for s in statements
    ), policy


def test_default_key_policy_matches_the_aws_default_document(
    kms: Any, key: dict[str, Any], account: Account
) -> None:
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    assert policy == {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": account.root_arn()},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def test_get_key_policy_returns_the_policy_name(kms: Any, key: dict[str, Any]) -> None:
    response = kms.get_key_policy(KeyId=key["Arn"], PolicyName="default")
    assert response.get("PolicyName", "default") == "default"


def test_get_key_policy_without_a_policy_name_returns_the_default_policy(
    kms: Any, key: dict[str, Any]
) -> None:
    without = kms.get_key_policy(KeyId=key["KeyId"])["Policy"]
    assert without == kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]


def test_create_key_stores_the_given_policy_verbatim(kms: Any, account: Account) -> None:
    policy = root_policy(account, sid=f"sid{uuid.uuid4().hex}")
    metadata = create_key(kms, Policy=policy)
    assert kms.get_key_policy(KeyId=metadata["KeyId"], PolicyName="default")["Policy"] == policy


def test_create_key_with_a_policy_that_is_not_json_is_malformed(kms: Any) -> None:
    with expect_error("MalformedPolicyDocumentException"):
        kms.create_key(Policy="{this is not json")


@pytest.mark.parametrize("name", ["custom", "AWS_RAM"])
def test_get_key_policy_with_another_policy_name_is_not_found(
    kms: Any, key: dict[str, Any], name: str
) -> None:
    with expect_error("NotFoundException"):
        kms.get_key_policy(KeyId=key["KeyId"], PolicyName=name)


def test_list_key_policies_lists_only_default(kms: Any, key: dict[str, Any]) -> None:
    response = kms.list_key_policies(KeyId=key["KeyId"])
    assert response["PolicyNames"] == ["default"]
    assert response["Truncated"] is False
    assert "NextMarker" not in response


@pytest.mark.parametrize("operation", ["get_key_policy", "list_key_policies"])
def test_policy_operations_on_an_unknown_key_are_not_found(kms: Any, operation: str) -> None:
    with expect_error("NotFoundException"):
        getattr(kms, operation)(KeyId=str(uuid.uuid4()))
