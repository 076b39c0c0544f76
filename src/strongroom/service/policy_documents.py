"""Policy documents: the default key policy, and validation of key and identity policies."""

from __future__ import annotations

from strongroom.policy import MalformedPolicy, Policy, parse_policy
from strongroom.service.errors import LimitExceededException, MalformedPolicyDocumentException

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


def check_policy_document(policy: str) -> Policy:
    """The parsed key policy; raises MalformedPolicyDocumentException (grammar or size)."""
    return check_identity_policy(policy, resource_policy=True)


def check_identity_policy(document: str, *, resource_policy: bool) -> Policy:
    """The parsed policy; raises MalformedPolicyDocumentException unless it is valid."""
    if len(document.encode("utf-8")) > MAX_POLICY_BYTES:
        # kms-semantics §5.4: the size limit is a LimitExceededException.
        raise LimitExceededException(
            f"Policy exceeds the maximum size of {MAX_POLICY_BYTES} bytes."
        )
    try:
        return parse_policy(document, resource_policy=resource_policy)
    except MalformedPolicy as e:
        raise MalformedPolicyDocumentException(str(e)) from None


LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."


def named_principals(policy: Policy) -> list[str]:
    """The user and role ARNs a policy names (they must exist when it is saved, §9.2)."""
    return sorted(arn for arn in policy.aws_principals() if ":user/" in arn or ":role/" in arn)


INVALID_PRINCIPALS = "Policy contains a statement with one or more invalid principals."
