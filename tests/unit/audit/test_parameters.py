"""The per-operation allow-list of logged request and response members."""

from __future__ import annotations

import gzip
import json
import os

import botocore

from strongroom.audit.parameters import (
    REQUEST_MEMBERS,
    request_parameters,
    response_elements,
)
from strongroom.service.operations import OPERATIONS

# Members that carry secrets or bearer tokens: never logged by any operation.
SECRET_MEMBERS = {
    "Plaintext",
    "CiphertextBlob",
    "Message",
    "Signature",
    "Mac",
    "GrantToken",
    "GrantTokens",
    "ImportToken",
    "EncryptedKeyMaterial",
    "Recipient",
    "PublicKey",
}


def _model() -> dict[str, object]:
    path = os.path.join(os.path.dirname(botocore.__file__), "data/kms/2014-11-01/service-2.json.gz")
    with gzip.open(path) as f:
        model: dict[str, object] = json.load(f)
    return model


def test_every_operation_the_server_answers_has_an_allow_list_entry() -> None:
    assert set(OPERATIONS) - set(REQUEST_MEMBERS) == set()


def test_allow_lists_name_only_members_of_the_model_and_never_a_secret() -> None:
    model = _model()
    operations = model["operations"]
    shapes = model["shapes"]
    assert isinstance(operations, dict) and isinstance(shapes, dict)
    for operation, members in REQUEST_MEMBERS.items():
        assert not set(members) & SECRET_MEMBERS, operation
        if operation in operations:
            shape = shapes[operations[operation]["input"]["shape"]]
            assert set(members) <= set(shape["members"]), operation


def test_request_parameters_use_lower_camel_names_and_keep_context_keys_as_sent() -> None:
    body = {
        "KeyId": "alias/x",
        "Plaintext": "c2VjcmV0",
        "EncryptionContext": {"Department": "10", "Case": "x"},
        "GrantTokens": ["token"],
    }
    assert request_parameters("Encrypt", body) == {
        "keyId": "alias/x",
        "encryptionContext": {"Department": "10", "Case": "x"},
    }


def test_nested_structures_are_lower_camel_but_encryption_contexts_inside_are_not() -> None:
    body = {
        "KeyId": "k",
        "GranteePrincipal": "arn:aws:iam::111122223333:root",
        "Operations": ["Decrypt"],
        "Constraints": {"EncryptionContextSubset": {"Dept": "IT"}},
        "GrantTokens": ["t"],
    }
    assert request_parameters("CreateGrant", body) == {
        "keyId": "k",
        "granteePrincipal": "arn:aws:iam::111122223333:root",
        "operations": ["Decrypt"],
        "constraints": {"encryptionContextSubset": {"Dept": "IT"}},
    }
    tags = request_parameters("TagResource", {"KeyId": "k", "Tags": [{"TagKey": "a"}]})
    assert tags == {"keyId": "k", "tags": [{"tagKey": "a"}]}


def test_unknown_operations_and_malformed_bodies_log_no_parameters() -> None:
    assert request_parameters("NoSuchOperation", {"KeyId": "k"}) is None
    assert request_parameters("Encrypt", ["KeyId"]) is None
    assert request_parameters("Encrypt", {"Plaintext": "x"}) is None


def test_response_elements_only_for_listed_management_calls_and_never_a_grant_token() -> None:
    assert response_elements("Encrypt", {"CiphertextBlob": "x", "KeyId": "k"}) is None
    assert response_elements("GetKeyPolicy", {"Policy": "{}"}) is None
    assert response_elements("CreateGrant", {"GrantId": "g", "GrantToken": "t"}) == {"grantId": "g"}
    created = response_elements("CreateKey", {"KeyMetadata": {"KeyId": "k", "AWSAccountId": "1"}})
    assert created == {"keyMetadata": {"keyId": "k", "aWSAccountId": "1"}}
