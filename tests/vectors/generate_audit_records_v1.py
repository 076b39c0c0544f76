"""Generate ``audit_records_v1.json``: the audit record of each of a set of requests.

Run once, on the code before the audit fast path (commit 93399f0)::

    .venv/bin/python tests/vectors/generate_audit_records_v1.py \
        > tests/vectors/audit_records_v1.json

Each vector gives what the http layer knows about one finished request (headers,
parsed body, result or error, the caller, the keys it resolved) and what
``Call.event`` made of it then: the canonical JSON record, byte for byte, and the
searchable columns. The record is what the chain hashes, so any later builder
must reproduce it exactly (``tests/unit/http/test_audit_event_vectors.py``);
changing an expected record means changing what existing chains contain.

The event id is random in the server; here it comes from a counter (the test
patches ``events.event_ids`` the same way). Unlike the blob vectors these are made by
Strongroom itself: they pin down behaviour, they do not prove it right.
"""

from __future__ import annotations

import json
import sys
from typing import Any

ACCOUNT = "111122223333"
OTHER = "444455556666"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY2 = f"arn:aws:kms:us-east-1:{OTHER}:key/0987dcba-09fe-87dc-65ba-ab0987654321"
AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEALICE/20251129/{region}/kms/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=abcd"
)
USER = {
    "account_id": ACCOUNT,
    "principal_arn": f"arn:aws:iam::{ACCOUNT}:user/path/alice",
    "principal_id": "AIDAALICE",
    "access_key_id": "AKIAEXAMPLEALICE",
    "region": "us-east-1",
}
ROOT = {
    "account_id": ACCOUNT,
    "principal_arn": f"arn:aws:iam::{ACCOUNT}:root",
    "principal_id": ACCOUNT,
    "access_key_id": "AKIAEXAMPLEROOT",
    "region": "eu-west-1",
}
ROLE = {
    "account_id": ACCOUNT,
    "principal_arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/my-session",
    "principal_id": "AROAEXAMPLEROLE:my-session",
    "access_key_id": "ASIAEXAMPLESESSION",
    "region": "us-east-1",
}
VIA = {**USER, "access_key_id": "AKIAEXAMPLESVC", "via_service": "s3"}


def kms(operation: str) -> list[list[str]]:
    return [
        ["host", "kms.example"],
        ["x-amz-target", f"TrentService.{operation}"],
        ["authorization", AUTH.format(region="us-east-1")],
        ["user-agent", "Boto3/1.35 md/Botocore#1.35"],
    ]


def case(name: str, **values: Any) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "headers": kms("Encrypt"),
        "sts_body": None,
        "caller": USER,
        "body": None,
        "result": None,
        "error": None,
        "key_arns": [],
        "now": 1_764_400_000.5,
        "request_id": "11111111-2222-4333-8444-000000000001",
        "client": ["192.0.2.1", 50000],
        "default_region": "us-east-1",
    }
    inputs.update(values)
    return {"name": name, "inputs": inputs}


CASES = [
    case(
        "encrypt",
        body={"KeyId": "alias/app", "Plaintext": "c2VjcmV0", "EncryptionContext": {"a": "b"}},
        result={"CiphertextBlob": "AQID", "KeyId": KEY, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"},
        key_arns=[KEY],
    ),
    case(
        "decrypt-defaults-its-algorithm",
        headers=kms("Decrypt"),
        body={"CiphertextBlob": "AQID", "EncryptionContext": {"z": "1", "a": "é"}},
        result={"Plaintext": "c2VjcmV0", "KeyId": KEY},
        key_arns=[KEY],
        now=1_764_400_001.0,
    ),
    case(
        "decrypt-names-its-algorithm",
        headers=kms("Decrypt"),
        body={"CiphertextBlob": "AQID", "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"},
        result={"Plaintext": "c2VjcmV0", "KeyId": KEY},
        key_arns=[KEY],
    ),
    case(
        "decrypt-failed",
        headers=kms("Decrypt"),
        body={"CiphertextBlob": "AQID"},
        error=["InvalidCiphertextException", ""],
        key_arns=[KEY],
    ),
    case(
        "unauthenticated-with-a-credential",
        headers=[
            ["x-amz-target", "TrentService.Encrypt"],
            ["authorization", AUTH.format(region="eu-west-1")],
        ],
        caller=None,
        error=["UnrecognizedClientException", "The security token included is invalid."],
    ),
    case(
        "unauthenticated-without-a-credential",
        headers=[["x-amz-target", "TrentService.ListKeys"]],
        caller=None,
        error=["MissingAuthenticationTokenException", "Missing Authentication Token"],
        client=None,
        default_region="ap-south-1",
    ),
    case(
        "unknown-operation",
        headers=kms("NoSuchThing"),
        error=["UnknownOperationException", ""],
    ),
    case("malformed-target", headers=kms("Encrypt;x"), error=["UnknownOperationException", ""]),
    case(
        "no-target",
        headers=[["authorization", AUTH.format(region="us-east-1")]],
        error=["UnknownOperationException", ""],
    ),
    case(
        "create-key-names-the-key-it-made",
        headers=kms("CreateKey"),
        body={
            "Description": "d",
            "KeyUsage": "ENCRYPT_DECRYPT",
            "Tags": [{"TagKey": "team", "TagValue": "x"}],
            "Policy": "{}",
        },
        result={
            "KeyMetadata": {
                "AWSAccountId": ACCOUNT,
                "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
                "Arn": KEY,
                "CreationDate": 1764400000.0,
                "Enabled": True,
                "KeyState": "Enabled",
                "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
            }
        },
        now=1_764_400_002.999,
    ),
    case(
        "schedule-key-deletion",
        headers=kms("ScheduleKeyDeletion"),
        body={"KeyId": KEY, "PendingWindowInDays": 7},
        result={
            "KeyId": KEY,
            "DeletionDate": 1765000000.0,
            "KeyState": "PendingDeletion",
            "PendingWindowInDays": 7,
        },
        key_arns=[KEY],
    ),
    case(
        "create-grant",
        headers=kms("CreateGrant"),
        body={
            "KeyId": KEY,
            "GranteePrincipal": f"arn:aws:iam::{ACCOUNT}:user/bob",
            "Operations": ["Encrypt"],
            "Constraints": {"EncryptionContextSubset": {"Dept": "IT"}},
            "GrantTokens": ["secret"],
        },
        result={"GrantToken": "secret-token", "GrantId": "g-1"},
        key_arns=[KEY],
    ),
    case(
        "admin-call",
        headers=[
            ["x-amz-target", "StrongroomAdmin.CreateAccount"],
            ["authorization", AUTH.format(region="us-east-1")],
        ],
        body={"AccountId": OTHER},
        result={"AccountId": OTHER},
        caller=ROOT,
    ),
    case(
        "sts-assume-role",
        headers=[["content-type", "application/x-www-form-urlencoded"]],
        sts_body=(
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A"
            f"{ACCOUNT}%3Arole%2FAdmin&RoleSessionName=s1&DurationSeconds=900"
            "&Policy=%7B%22secret%22%3A1%7D&ExternalId="
        ),
    ),
    case(
        "sts-odd-action",
        headers=[["content-type", "application/x-www-form-urlencoded"]],
        sts_body="Action=Get%24Caller&Version=2011-06-15",
        error=["InvalidAction", "Could not find operation Get$Caller"],
    ),
    case(
        "sts-no-action",
        headers=[],
        sts_body="Version=2011-06-15",
        caller=None,
        error=["MissingAuthenticationTokenException", "Missing Authentication Token"],
    ),
    case(
        "assumed-role",
        body={"KeyId": KEY, "Plaintext": "c2VjcmV0"},
        result={"CiphertextBlob": "AQID", "KeyId": KEY},
        key_arns=[KEY],
        caller=ROLE,
    ),
    case(
        "via-service",
        headers=kms("GenerateDataKey"),
        body={"KeyId": KEY, "NumberOfBytes": 32},
        result={"CiphertextBlob": "AQID", "Plaintext": "c2VjcmV0", "KeyId": KEY},
        key_arns=[KEY],
        caller=VIA,
    ),
    case(
        "root-caller",
        headers=kms("DescribeKey"),
        body={"KeyId": KEY},
        result={"KeyMetadata": {"Arn": KEY}},
        key_arns=[KEY],
        caller=ROOT,
    ),
    case(
        "re-encrypt-across-accounts",
        headers=kms("ReEncrypt"),
        body={
            "CiphertextBlob": "AQID",
            "SourceEncryptionContext": {"a": "b"},
            "DestinationKeyId": KEY,
        },
        result={"CiphertextBlob": "AQID", "SourceKeyId": KEY2, "KeyId": KEY},
        key_arns=[KEY2, KEY],
    ),
    case(
        "dry-run",
        body={"KeyId": KEY, "Plaintext": "c2VjcmV0", "DryRun": True},
        error=["DryRunOperationException", "The request would have succeeded."],
        key_arns=[KEY],
    ),
    case(
        "dry-run-success-is-no-key-usage",
        headers=kms("Sign"),
        body={"KeyId": KEY, "Message": "bXNn", "MessageType": "RAW", "DryRun": True},
        result={"KeyId": KEY},
        key_arns=[KEY],
    ),
    case(
        "body-not-an-object",
        headers=kms("ListKeys"),
        body=["KeyId"],
        error=["SerializationException", "Start of structure or map found where not expected."],
    ),
    case(
        "empty-body",
        headers=kms("ListKeys"),
        body={},
        result={"Keys": [], "Truncated": False},
    ),
    case(
        "access-denied-still-names-the-key",
        headers=kms("Sign"),
        body={"KeyId": KEY, "Message": "bXNn", "SigningAlgorithm": "RSASSA_PSS_SHA_256"},
        error=["AccessDeniedException", f"User: x is not authorized to perform: kms:Sign on {KEY}"],
        key_arns=[KEY],
    ),
    case(
        "non-ascii-user-agent-and-context",
        headers=[
            ["x-amz-target", "TrentService.Encrypt"],
            ["authorization", AUTH.format(region="us-east-1")],
            ["user-agent", "caf\u00c3\u00a9 \u00ff"],
        ],
        body={"KeyId": KEY, "EncryptionContext": {"\u00e9\u00e8": "\u2603", "q": '"\\\n'}},
        result={"KeyId": KEY},
        key_arns=[KEY],
        now=1_700_000_000.0,
    ),
    case(
        "internal-error",
        headers=kms("GenerateMac"),
        body={"KeyId": KEY, "MacAlgorithm": "HMAC_SHA_256", "Message": "bXNn"},
        error=["KMSInternalException", "We encountered an internal error. Please try again."],
        key_arns=[KEY],
    ),
]


def build(inputs: dict[str, Any]) -> Any:
    """``Call.event`` for ``inputs``, as the http layer drives it."""
    from strongroom.http.audit_events import Call
    from strongroom.service.caller import Caller
    from strongroom.service.request_info import RequestInfo

    headers = [(k.encode("latin-1"), v.encode("utf-8")) for k, v in inputs["headers"]]
    call = Call(headers)
    if inputs["sts_body"] is not None:
        call.sts(inputs["sts_body"].encode())
    if inputs["caller"] is not None:
        call.caller = Caller(**inputs["caller"])
    call.body = inputs["body"]
    call.result = inputs["result"]
    if inputs["error"] is not None:
        call.failed(*inputs["error"])
    client = inputs["client"]
    info = RequestInfo(
        inputs["request_id"], None if client is None else tuple(client), headers, False
    )
    for arn in inputs["key_arns"]:
        info.add_key(arn)
    return call.event(inputs["now"], info, inputs["default_region"])


def event_ids() -> Any:
    """Stand-in for ``events.event_ids``: a counter, so that the records are reproducible."""
    count = 0

    def next_id() -> str:
        nonlocal count
        count += 1
        return f"00000000-0000-4000-8000-{count:012d}"

    return next_id


def expected(pending: Any) -> dict[str, Any]:
    return {
        "record": pending.record.decode("utf-8"),
        "event_id": pending.event_id,
        "request_id": pending.request_id,
        "event_time": pending.event_time,
        "event_name": pending.event_name,
        "event_source": pending.event_source,
        "key_arn": pending.key_arn,
        "principal_arn": pending.principal_arn,
        "error_code": pending.error_code,
        "usage": [list(u) for u in pending.usage],
    }


def main() -> None:
    import strongroom.audit.events as events

    vectors = []
    for c in CASES:
        events.event_ids = event_ids()
        vectors.append({**c, "expected": expected(build(c["inputs"]))})
    json.dump({"format": 1, "vectors": vectors}, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
