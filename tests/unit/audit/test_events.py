"""CloudTrail records: userIdentity for each kind of caller, fields, service events."""

from __future__ import annotations

import json
from typing import Any

from strongroom.audit.events import (
    KMS_SOURCE,
    Actor,
    ApiCall,
    api_call_event,
    is_read_only,
    service_event,
    user_identity,
)
from strongroom.clock import iso_utc as event_time_text

ACCOUNT = "111122223333"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def call(**overrides: Any) -> ApiCall:
    values: dict[str, Any] = {
        "time": 1_764_400_000.5,
        "request_id": "req-1",
        "event_source": KMS_SOURCE,
        "event_name": "Encrypt",
        "region": "us-east-1",
        "source_ip": "192.0.2.1",
        "user_agent": "Boto3/1",
        "actor": Actor(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/alice", "AIDAALICE", "AKIAALICE"),
        "access_key_id": "AKIAALICE",
        "request_parameters": {"keyId": "k"},
        "response_elements": None,
        "error_code": None,
        "error_message": None,
        "key_arns": [KEY_ARN],
    }
    values.update(overrides)
    return ApiCall(**values)


def test_an_iam_user_is_identified_with_its_user_name() -> None:
    identity = user_identity(
        Actor(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/path/alice", "AIDAALICE", "AKIAALICE")
    )
    assert identity == {
        "type": "IAMUser",
        "principalId": "AIDAALICE",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/path/alice",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAALICE",
        "userName": "alice",
    }


def test_the_account_root_is_identified_as_root() -> None:
    identity = user_identity(Actor(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, "AKIAROOT"))
    assert identity["type"] == "Root"
    assert "userName" not in identity


def test_an_assumed_role_session_has_its_issuer_in_the_session_context() -> None:
    actor = Actor(
        ACCOUNT,
        f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/my-session",
        "AROAROLE",
        "ASIASESSION",
    )
    identity = user_identity(actor)
    assert identity["type"] == "AssumedRole"
    assert identity["principalId"] == "AROAROLE:my-session"
    assert identity["accessKeyId"] == "ASIASESSION"
    assert identity["sessionContext"]["sessionIssuer"] == {
        "type": "Role",
        "principalId": "AROAROLE",
        "arn": f"arn:aws:iam::{ACCOUNT}:role/Admin",
        "accountId": ACCOUNT,
        "userName": "Admin",
    }


def test_a_service_acting_for_a_user_is_named_in_invoked_by() -> None:
    actor = Actor(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/bob", "AIDABOB", "AKIASVC", "s3")
    assert user_identity(actor)["invokedBy"] == "s3"


def test_an_unauthenticated_caller_is_unknown_with_the_access_key_it_claimed() -> None:
    assert user_identity(None, "AKIAWHO") == {"type": "Unknown", "accessKeyId": "AKIAWHO"}
    assert user_identity(None) == {"type": "Unknown"}


def test_an_api_call_event_has_cloudtrails_fields_and_counts_as_key_usage() -> None:
    event = api_call_event(call())
    record = json.loads(event.record)
    assert record["eventTime"] == "2025-11-29T07:06:40Z" == event_time_text(1_764_400_000.5)
    assert record["eventSource"] == "kms.amazonaws.com"
    assert record["resources"] == [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": KEY_ARN}]
    assert record["recipientAccountId"] == ACCOUNT
    assert record["readOnly"] is True
    assert record["eventType"] == "AwsApiCall"
    assert record["requestID"] == event.request_id == "req-1"
    assert record["eventID"] == event.event_id
    assert "errorCode" not in record
    assert (event.key_arn, event.principal_arn) == (KEY_ARN, f"arn:aws:iam::{ACCOUNT}:user/alice")
    assert event.usage == ((KEY_ARN, "Encrypt"),)


def test_a_failed_or_dry_run_call_records_its_error_and_is_no_key_usage() -> None:
    failed = api_call_event(call(error_code="AccessDeniedException", error_message="no"))
    record = json.loads(failed.record)
    assert (record["errorCode"], record["errorMessage"]) == ("AccessDeniedException", "no")
    assert failed.error_code == "AccessDeniedException"
    assert failed.usage == ()
    assert api_call_event(call(dry_run=True)).usage == ()
    assert api_call_event(call(event_name="DescribeKey")).usage == ()


def test_read_only_follows_the_operation_name() -> None:
    assert is_read_only("Decrypt") and is_read_only("ListAliases")
    assert not is_read_only("CreateKey") and not is_read_only("ScheduleKeyDeletion")
    assert not is_read_only("PutKeyPolicy") and not is_read_only("RotateKeyOnDemand")


def test_a_service_event_names_the_account_and_kms_and_has_no_parameters() -> None:
    event = service_event(time=1_764_400_000.0, event_name="RotateKey", key_arn=KEY_ARN)
    record = json.loads(event.record)
    assert record["eventType"] == "AwsServiceEvent"
    assert record["userIdentity"] == {"accountId": ACCOUNT, "invokedBy": "kms.amazonaws.com"}
    assert record["requestParameters"] is None
    assert record["awsRegion"] == "us-east-1"
    assert record["resources"][0]["ARN"] == KEY_ARN
    assert record["serviceEventDetails"] == {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}
