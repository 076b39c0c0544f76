"""The audit trail through boto3 and ``strongroom audit``: one event per call, no secrets.

The session server is shared: every test finds its own events by the request
ids boto3 returned, never by assuming an empty log.
"""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

import pytest

from .helpers import (
    DEFAULT_REGION,
    Account,
    RawPost,
    Server,
    advance_clock,
    audit_events,
    create_iam_user,
    create_key,
    events_by_request_id,
    expect_error,
    find_secrets,
    import_material,
    json_body,
    kms_client,
    request_id,
    run_strongroom,
    run_strongroom_unchecked,
    wait_until,
)

COMMON_FIELDS = {
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "requestParameters",
    "responseElements",
    "requestID",
    "eventID",
    "readOnly",
    "eventType",
    "managementEvent",
    "recipientAccountId",
    "eventCategory",
}


def only_event(events: dict[str, list[dict[str, Any]]], rid: str) -> dict[str, Any]:
    found = events.get(rid, [])
    assert len(found) == 1, f"request {rid}: {len(found)} events"
    event = found[0]
    assert set(event) >= COMMON_FIELDS, COMMON_FIELDS - set(event)
    assert event["eventVersion"] == "1.08"
    assert event["eventType"] == "AwsApiCall"
    assert event["sourceIPAddress"] == "127.0.0.1"
    assert "Boto3" in event["userAgent"] or "Botocore" in event["userAgent"]
    return event


def resources(event: dict[str, Any]) -> list[str]:
    return [r["ARN"] for r in event.get("resources", [])]


def test_each_operation_family_leaves_one_event_with_identity_parameters_and_resources(
    kms: Any, server: Server, account: Account
) -> None:
    context = {"purpose": "audit-" + secrets.token_hex(4)}
    created = kms.create_key(Description="audit family")
    key = created["KeyMetadata"]
    arn = key["Arn"]
    calls: dict[str, str] = {"CreateKey": request_id(created)}
    blob_response = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext=context)
    calls["Encrypt"] = request_id(blob_response)
    blob = blob_response["CiphertextBlob"]
    calls["Decrypt"] = request_id(kms.decrypt(CiphertextBlob=blob, EncryptionContext=context))
    calls["GenerateDataKey"] = request_id(
        kms.generate_data_key(KeyId=arn, KeySpec="AES_256", EncryptionContext=context)
    )
    calls["DescribeKey"] = request_id(kms.describe_key(KeyId=key["KeyId"]))
    calls["ListKeys"] = request_id(kms.list_keys(Limit=5))
    calls["TagResource"] = request_id(
        kms.tag_resource(KeyId=arn, Tags=[{"TagKey": "team", "TagValue": "audit"}])
    )
    grant = kms.create_grant(KeyId=arn, GranteePrincipal=account.root_arn(), Operations=["Decrypt"])
    calls["CreateGrant"] = request_id(grant)
    calls["GetKeyPolicy"] = request_id(kms.get_key_policy(KeyId=arn, PolicyName="default"))
    calls["GenerateRandom"] = request_id(kms.generate_random(NumberOfBytes=16))
    calls["ScheduleKeyDeletion"] = request_id(
        kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    )
    events = events_by_request_id(server)
    by_name = {name: only_event(events, rid) for name, rid in calls.items()}
    for name, event in by_name.items():
        assert event["eventName"] == name
        assert event["eventSource"] == "kms.amazonaws.com"
        assert event["awsRegion"] == DEFAULT_REGION
        assert event["recipientAccountId"] == account.account_id
        assert "errorCode" not in event
        identity = event["userIdentity"]
        assert identity["arn"] == account.arn
        assert identity["accountId"] == account.account_id
        assert identity["accessKeyId"] == server.access_key_id
        assert identity["type"] in ("IAMUser", "Root")
    for name in ("Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey", "TagResource"):
        assert resources(by_name[name]) == [arn], name
    assert resources(by_name["GenerateRandom"]) == []
    # Decrypt named no key: the event names the one the blob resolved to.
    assert "keyId" not in by_name["Decrypt"]["requestParameters"]
    assert by_name["Decrypt"]["requestParameters"] == {
        "encryptionContext": context,
        "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
    }
    assert by_name["Encrypt"]["requestParameters"] == {
        "keyId": key["KeyId"],
        "encryptionContext": context,
    }
    assert by_name["GenerateDataKey"]["requestParameters"]["keySpec"] == "AES_256"
    assert by_name["TagResource"]["requestParameters"]["tags"] == [
        {"tagKey": "team", "tagValue": "audit"}
    ]
    assert by_name["CreateGrant"]["requestParameters"]["operations"] == ["Decrypt"]
    assert by_name["CreateGrant"]["responseElements"] == {"grantId": grant["GrantId"]}
    assert by_name["CreateKey"]["responseElements"]["keyMetadata"]["keyId"] == key["KeyId"]
    assert by_name["ScheduleKeyDeletion"]["requestParameters"]["pendingWindowInDays"] == 7
    for name in ("Encrypt", "Decrypt", "GenerateDataKey", "GetKeyPolicy"):
        assert by_name[name]["responseElements"] is None, name
    read_only = {name: event["readOnly"] for name, event in by_name.items()}
    assert read_only == {
        "CreateKey": False,
        "Encrypt": True,
        "Decrypt": True,
        "GenerateDataKey": True,
        "DescribeKey": True,
        "ListKeys": True,
        "TagResource": False,
        "CreateGrant": False,
        "GetKeyPolicy": True,
        "GenerateRandom": True,
        "ScheduleKeyDeletion": False,
    }
    event_ids = [event["eventID"] for event in by_name.values()]
    assert len(set(event_ids)) == len(event_ids)


def test_no_secret_value_appears_in_any_event(kms: Any, server: Server) -> None:
    key = create_key(kms)
    hmac_key = create_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    signing_key = create_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    needles: dict[str, bytes] = {"secret access key": server.secret_access_key.encode()}
    for index, plaintext in enumerate([os.urandom(32), b"audit canary " + os.urandom(24)]):
        needles[f"plaintext {index}"] = plaintext
        blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext)["CiphertextBlob"]
        needles[f"ciphertext {index}"] = blob
        kms.decrypt(CiphertextBlob=blob)
        needles[f"re-encrypted {index}"] = kms.re_encrypt(
            CiphertextBlob=blob, DestinationKeyId=key["KeyId"]
        )["CiphertextBlob"]
    data_key = kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=32)
    needles["data key"] = data_key["Plaintext"]
    needles["data key blob"] = data_key["CiphertextBlob"]
    needles["random"] = kms.generate_random(NumberOfBytes=32)["Plaintext"]
    message = b"signed message " + os.urandom(16)
    needles["message"] = message
    signature = kms.sign(
        KeyId=signing_key["KeyId"], Message=message, SigningAlgorithm="ECDSA_SHA_256"
    )["Signature"]
    needles["signature"] = signature
    kms.verify(
        KeyId=signing_key["KeyId"],
        Message=message,
        Signature=signature,
        SigningAlgorithm="ECDSA_SHA_256",
    )
    mac = kms.generate_mac(KeyId=hmac_key["KeyId"], Message=message, MacAlgorithm="HMAC_SHA_256")
    needles["mac"] = mac["Mac"]
    kms.verify_mac(
        KeyId=hmac_key["KeyId"], Message=message, MacAlgorithm="HMAC_SHA_256", Mac=mac["Mac"]
    )
    grant = kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=server.account.root_arn(),
        Operations=["Encrypt"],
    )
    needles["grant token"] = grant["GrantToken"].encode()
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"y", GrantTokens=[grant["GrantToken"]])
    dump = "\n".join(json.dumps(event) for event in audit_events(server)).encode()
    assert b"GenerateMac" in dump and b"Sign" in dump
    assert find_secrets(dump, needles) == []


def test_a_denied_call_is_recorded_with_its_error_and_the_key(
    kms: Any, server: Server, account: Account
) -> None:
    key = create_key(kms)
    user = create_iam_user(server, account.account_id)
    client = kms_client(server, DEFAULT_REGION, user.credentials)
    with expect_error("AccessDeniedException") as denied:
        client.encrypt(KeyId=key["Arn"], Plaintext=b"nope")
    event = only_event(events_by_request_id(server), request_id(denied.response))
    assert event["errorCode"] == "AccessDeniedException"
    assert event["errorMessage"] == denied.message
    assert event["userIdentity"]["type"] == "IAMUser"
    assert event["userIdentity"]["arn"] == user.arn
    assert event["userIdentity"]["principalId"] == user.principal_id
    assert resources(event) == [key["Arn"]]
    listed = run_strongroom(
        [
            "audit",
            "list",
            "--data-dir",
            str(server.data_dir),
            "--principal",
            user.arn,
            "--error-code",
            "AccessDeniedException",
            "--output",
            "jsonl",
        ],
        server.env,
    ).stdout.splitlines()
    assert [json.loads(line)["requestID"] for line in listed] == [request_id(denied.response)]


def test_failed_calls_are_recorded_validation_not_found_and_authentication(
    kms: Any, kms_unvalidated: Any, server: Server, raw_post: RawPost
) -> None:
    missing = "11111111-2222-3333-4444-555555555555"
    with expect_error("NotFoundException") as not_found:
        kms.describe_key(KeyId=missing)
    with expect_error("ValidationException") as invalid:
        kms_unvalidated.generate_random(NumberOfBytes=0)
    wrong = server.credentials.__class__(server.access_key_id, "not-the-secret")
    response = raw_post("TrentService.ListKeys", json_body({}), creds=wrong)
    assert response.status == 400
    unsigned = raw_post("TrentService.ListKeys", json_body({}), sign=False)
    events = events_by_request_id(server)
    event = only_event(events, request_id(not_found.response))
    assert (event["errorCode"], event["requestParameters"]) == (
        "NotFoundException",
        {"keyId": missing},
    )
    assert only_event_raw(events, request_id(invalid.response))["errorCode"] == (
        "ValidationException"
    )
    failed_auth = only_event_raw(events, response.headers["x-amzn-requestid"])
    assert failed_auth["errorCode"] == response.error_code == "InvalidSignatureException"
    assert failed_auth["userIdentity"] == {"type": "Unknown", "accessKeyId": server.access_key_id}
    assert failed_auth["eventName"] == "ListKeys"
    assert only_event_raw(events, unsigned.headers["x-amzn-requestid"])["errorCode"] == (
        unsigned.error_code
    )


def only_event_raw(events: dict[str, list[dict[str, Any]]], rid: str) -> dict[str, Any]:
    found = events.get(rid, [])
    assert len(found) == 1, f"request {rid}: {len(found)} events"
    return found[0]


def test_an_assumed_role_session_is_recorded_with_its_session_context(
    kms: Any, server: Server, account: Account
) -> None:
    import boto3

    from .helpers import policy_json, run_strongroom_json, unique_name

    name = unique_name("role")
    trust = policy_json(
        {
            "Effect": "Allow",
            "Principal": {"AWS": account.arn},
            "Action": "sts:AssumeRole",
        }
    )
    role = run_strongroom_json(
        [
            "iam",
            "create-role",
            "--data-dir",
            str(server.data_dir),
            "--account-id",
            account.account_id,
            "--name",
            name,
            "--trust-policy",
            trust,
            "--json",
        ],
        server.env,
    )
    session = boto3.session.Session(
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        region_name=DEFAULT_REGION,
    )
    sts = session.client("sts", endpoint_url=server.endpoint)
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="audit-session")
    creds = assumed["Credentials"]
    role_kms = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=DEFAULT_REGION,
    ).client("kms", endpoint_url=server.endpoint)
    with expect_error("AccessDeniedException") as denied:
        role_kms.list_keys()
    events = events_by_request_id(server)
    assume_event = only_event_raw(events, request_id(assumed))
    assert assume_event["eventSource"] == "sts.amazonaws.com"
    assert assume_event["eventName"] == "AssumeRole"
    assert assume_event["requestParameters"]["roleSessionName"] == "audit-session"
    assert assume_event["responseElements"] is None
    assert creds["SecretAccessKey"] not in json.dumps(assume_event)
    assert creds["SessionToken"] not in json.dumps(assume_event)
    identity = only_event(events, request_id(denied.response))["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == assumed["AssumedRoleUser"]["Arn"]
    assert identity["principalId"] == assumed["AssumedRoleUser"]["AssumedRoleId"]
    assert identity["accessKeyId"] == creds["AccessKeyId"]
    issuer = identity["sessionContext"]["sessionIssuer"]
    assert (issuer["type"], issuer["arn"], issuer["userName"]) == ("Role", role["Arn"], name)


def test_background_rotation_and_deletion_leave_service_events(
    kms: Any, server: Server, account: Account
) -> None:
    rotating = create_key(kms)
    kms.enable_key_rotation(KeyId=rotating["KeyId"], RotationPeriodInDays=90)
    doomed = create_key(kms)
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    advance_clock(server, 91 * 86400)

    def service_events() -> list[dict[str, Any]] | None:
        found = [
            e
            for e in audit_events(server, "--key-id", rotating["KeyId"])
            + audit_events(server, "--key-id", doomed["KeyId"])
            if e["eventType"] == "AwsServiceEvent"
        ]
        return found if len(found) >= 2 else None

    found = wait_until(service_events, message="RotateKey and DeleteKey service events")
    by_name = {e["eventName"]: e for e in found}
    assert set(by_name) == {"RotateKey", "DeleteKey"}
    assert resources(by_name["RotateKey"]) == [rotating["Arn"]]
    assert resources(by_name["DeleteKey"]) == [doomed["Arn"]]
    for event in found:
        assert event["userIdentity"] == {
            "accountId": account.account_id,
            "invokedBy": "kms.amazonaws.com",
        }
        assert event["eventSource"] == "kms.amazonaws.com"
        assert event["requestParameters"] is None
        assert event["recipientAccountId"] == account.account_id
        assert "serviceEventDetails" in event


def test_import_calls_and_expiry_are_recorded_without_material_or_token(
    kms: Any, server: Server, account: Account
) -> None:
    key = create_key(kms, Origin="EXTERNAL")
    material = secrets.token_bytes(32)
    now = advance_clock(server, 0)
    params = kms.get_parameters_for_import(
        KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    imported = import_material(kms, key["KeyId"], material, ValidTo=now + 600)
    events = events_by_request_id(server)
    asked = only_event(events, request_id(params))
    assert asked["eventName"] == "GetParametersForImport"
    assert asked["requestParameters"] == {
        "keyId": key["KeyId"],
        "wrappingAlgorithm": "RSAES_OAEP_SHA_256",
        "wrappingKeySpec": "RSA_2048",
    }
    assert asked["responseElements"] is None
    done = only_event(events, request_id(imported))
    assert done["eventName"] == "ImportKeyMaterial"
    assert done["requestParameters"]["keyId"] == key["KeyId"]
    assert "importToken" not in done["requestParameters"]
    assert "encryptedKeyMaterial" not in done["requestParameters"]
    assert resources(done) == [key["Arn"]]

    advance_clock(server, 601)

    def expiry_event() -> dict[str, Any] | None:
        for event in audit_events(server, "--key-id", key["KeyId"]):
            if event["eventName"] == "DeleteExpiredKeyMaterial":
                return event
        return None

    expired = wait_until(expiry_event, message="DeleteExpiredKeyMaterial service event")
    assert expired["eventType"] == "AwsServiceEvent"
    assert expired["userIdentity"]["invokedBy"] == "kms.amazonaws.com"
    assert resources(expired) == [key["Arn"]]
    everything = b"\n".join(json.dumps(e).encode() for e in audit_events(server))
    assert (
        find_secrets(everything, {"material": material, "import token": params["ImportToken"]})
        == []
    )


def test_get_key_last_usage_is_answered_from_the_audit_trail(kms: Any) -> None:
    key = create_key(kms)
    fresh = kms.get_key_last_usage(KeyId=key["KeyId"])
    assert fresh["KeyId"] == key["Arn"]
    assert not fresh.get("KeyLastUsage")
    assert fresh["KeyCreationDate"] == key["CreationDate"]
    assert fresh["TrackingStartDate"] >= fresh["KeyCreationDate"]
    kms.describe_key(KeyId=key["KeyId"])  # not cryptographic: no usage
    assert not kms.get_key_last_usage(KeyId=key["KeyId"]).get("KeyLastUsage")
    encrypted = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"used")
    with expect_error("InvalidCiphertextException"):
        kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], EncryptionContext={"a": "b"})
    usage = kms.get_key_last_usage(KeyId=key["Arn"])["KeyLastUsage"]
    assert usage["Operation"] == "Encrypt"
    assert usage["KmsRequestId"] == request_id(encrypted)
    assert usage["CloudTrailEventId"]
    with expect_error("NotFoundException"):
        kms.get_key_last_usage(KeyId="11111111-2222-3333-4444-555555555555")


def test_get_key_last_usage_needs_permission_on_the_key(
    kms: Any, server: Server, account: Account
) -> None:
    key = create_key(kms)
    user = create_iam_user(server, account.account_id)
    client = kms_client(server, DEFAULT_REGION, user.credentials)
    with expect_error("AccessDeniedException"):
        client.get_key_last_usage(KeyId=key["Arn"])


def test_audit_list_filters_and_prints_a_table(kms: Any, server: Server) -> None:
    key = create_key(kms)
    rid = request_id(kms.encrypt(KeyId=key["KeyId"], Plaintext=b"t"))
    base = ["audit", "list", "--data-dir", str(server.data_dir)]
    jsonl = run_strongroom(
        [*base, "--key-id", key["KeyId"], "--event-name", "Encrypt", "--output", "jsonl"],
        server.env,
    ).stdout.splitlines()
    assert [json.loads(line)["requestID"] for line in jsonl] == [rid]
    by_arn = run_strongroom(
        [*base, "--key-id", key["Arn"], "--output", "jsonl"], server.env
    ).stdout.splitlines()
    assert {json.loads(line)["eventName"] for line in by_arn} == {"CreateKey", "Encrypt"}
    table = run_strongroom([*base, "--key-id", key["KeyId"]], server.env).stdout
    assert table.splitlines()[0].split()[:4] == ["SEQ", "TIME", "EVENT", "ERROR"]
    assert "Encrypt" in table and key["KeyId"] in table
    future = run_strongroom(
        [*base, "--since", "2999-01-01T00:00:00Z", "--output", "jsonl"], server.env
    ).stdout
    assert future == ""
    bad = run_strongroom_unchecked([*base, "--since", "yesterday"], server.env)
    assert bad.returncode != 0


def test_audit_list_key_filter_matches_every_resource_of_an_event(kms: Any, server: Server) -> None:
    """ReEncrypt names two keys; --key-id finds it by either, by id or by ARN."""
    source, destination = create_key(kms), create_key(kms)
    blob = kms.encrypt(KeyId=source["KeyId"], Plaintext=b"r")["CiphertextBlob"]
    rid = request_id(kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination["KeyId"]))
    base = ["audit", "list", "--data-dir", str(server.data_dir), "--output", "jsonl"]
    for key in (source, destination):
        for name in (key["KeyId"], key["Arn"]):
            lines = run_strongroom(
                [*base, "--key-id", name, "--event-name", "ReEncrypt"], server.env
            ).stdout.splitlines()
            assert [json.loads(line)["requestID"] for line in lines] == [rid], name
    other = create_key(kms)
    lines = run_strongroom(
        [*base, "--key-id", other["KeyId"], "--event-name", "ReEncrypt"], server.env
    ).stdout
    assert lines == ""


@pytest.mark.usefixtures("server")
def test_audit_verify_passes_on_a_live_server(server: Server) -> None:
    result = run_strongroom_unchecked(
        ["audit", "verify", "--data-dir", str(server.data_dir), "--json"], server.env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["ok"] is True


def test_administrative_calls_are_recorded_without_their_parameters(
    server: Server, raw_post: RawPost
) -> None:
    response = raw_post("StrongroomAdmin.ListPrincipals", json_body({}))
    assert response.status in (200, 400), response.body[:300]
    event = only_event_raw(events_by_request_id(server), response.headers["x-amzn-requestid"])
    assert event["eventSource"] == "admin.strongroom"
    assert event["eventName"] == "ListPrincipals"
    assert event["requestParameters"] is None
    assert event["responseElements"] is None
    assert event["userIdentity"]["accessKeyId"] == server.access_key_id
