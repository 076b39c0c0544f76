"""Key policies: the default policy, GetKeyPolicy and ListKeyPolicies.

Policies are stored and returned; enforcing them is a later issue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import MalformedPolicyDocumentException, NotFoundException
from strongroom.service.lookup import cached_key

DEFAULT_POLICY_NAME = "default"
# Fixed by AWS for key policies (kms-semantics §16).
MAX_POLICY_BYTES = 32_768


def default_policy(account_id: str) -> str:
    """The key policy AWS applies when CreateKey has none, in AWS's own layout."""
    return (
        "{\n"
        '  "Version" : "2012-10-17",\n'
        '  "Id" : "key-default-1",\n'
        '  "Statement" : [ {\n'
        '    "Sid" : "Enable IAM User Permissions",\n'
        '    "Effect" : "Allow",\n'
        '    "Principal" : {\n'
        f'      "AWS" : "arn:aws:iam::{account_id}:root"\n'
        "    },\n"
        '    "Action" : "kms:*",\n'
        '    "Resource" : "*"\n'
        "  } ]\n"
        "}"
    )


def check_policy_document(policy: str) -> None:
    """Raise MalformedPolicyDocumentException unless ``policy`` is a small enough JSON object."""
    if len(policy.encode("utf-8")) > MAX_POLICY_BYTES:
        raise MalformedPolicyDocumentException(
            f"Policy exceeds the maximum size of {MAX_POLICY_BYTES} bytes."
        )
    try:
        document = json.loads(policy)
    except ValueError:
        raise MalformedPolicyDocumentException("Policy contains invalid JSON.") from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise MalformedPolicyDocumentException("Policy must contain a Statement.")


def check_identity_policy(document: str, *, resource_policy: bool) -> None:
    """Raise MalformedPolicyDocumentException unless ``document`` is a valid IAM policy."""
    check_policy_document(document)


@dataclass(frozen=True, slots=True)
class GetKeyPolicyRequest:
    key_id: str
    policy_name: str | None = None


@dataclass(frozen=True, slots=True)
class GetKeyPolicyResult:
    policy: str
    policy_name: str


async def get_key_policy(
    ctx: ServiceContext, caller: Caller, req: GetKeyPolicyRequest
) -> GetKeyPolicyResult:
    key = await cached_key(ctx, caller, req.key_id, "GetKeyPolicy", allow_alias=False)
    name = req.policy_name or DEFAULT_POLICY_NAME
    if name != DEFAULT_POLICY_NAME:
        raise NotFoundException(f"No such policy exists: {name}")
    record = key.record
    return GetKeyPolicyResult(record.policy or default_policy(record.account_id), name)


@dataclass(frozen=True, slots=True)
class ListKeyPoliciesRequest:
    key_id: str
    limit: int | None = None
    marker: str | None = None


@dataclass(frozen=True, slots=True)
class ListKeyPoliciesResult:
    policy_names: list[str]
    truncated: bool


async def list_key_policies(
    ctx: ServiceContext, caller: Caller, req: ListKeyPoliciesRequest
) -> ListKeyPoliciesResult:
    await cached_key(ctx, caller, req.key_id, "ListKeyPolicies", allow_alias=False)
    return ListKeyPoliciesResult([DEFAULT_POLICY_NAME], False)
