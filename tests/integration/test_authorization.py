"""Authorization of KMS calls: key policies, identity policies, conditions, other accounts.

Users are made with ``strongroom iam`` (another process). A user's policy
attached *before* its first request takes effect at once; a change after
that reaches the server within its cache TTL, so such tests wait for it
(bounded by ``CACHE_BOUND_S``) instead of sleeping.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .helpers import (
    CACHE_BOUND_S,
    Account,
    AliasTracker,
    IamUser,
    KmsClientFactory,
    Server,
    allow,
    create_iam_user,
    create_key,
    delete_identity_policy,
    deny,
    expect_error,
    list_all_keys,
    policy_json,
    put_identity_policy,
    set_access_key_status,
    unique_alias,
    unique_name,
    wait_until,
)

LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."
MAX_POLICY_BYTES = 32_768

# The reasons AWS gives at the end of an AccessDeniedException message.
NO_IDENTITY_POLICY = "because no identity-based policy allows the {action} action"
NO_RESOURCE_POLICY = "because no resource-based policy allows the {action} action"
IDENTITY_DENY = "with an explicit deny in an identity-based policy"
RESOURCE_DENY = "with an explicit deny in a resource-based policy"


def denied(principal_arn: str, operation: str, resource: str, reason: str) -> str:
    """The AccessDeniedException message AWS gives for ``kms:<operation>`` on ``resource``."""
    action = f"kms:{operation}"
    return (
        f"User: {principal_arn} is not authorized to perform: {action} "
        f"on resource: {resource} {reason.format(action=action)}"
    )


@dataclass(frozen=True)
class Actor:
    """An IAM user and a boto3 KMS client signed with its access key."""

    user: IamUser
    kms: Any

    @property
    def arn(self) -> str:
        return self.user.arn


ActorMaker = Callable[..., Actor]


@pytest.fixture(scope="session")
def make_actor(server: Server, account: Account, kms_client: KmsClientFactory) -> ActorMaker:
    """Factory: a new user (in ``account_id``, default the server's account) with policies.

    ``policies`` maps inline policy names to documents, attached before the
    user's first request (so they are in force at once).
    """

    def make(
        *,
        account_id: str | None = None,
        policies: dict[str, str] | None = None,
        name: str | None = None,
    ) -> Actor:
        user = create_iam_user(server, account_id or account.account_id, name)
        for policy_name, document in (policies or {}).items():
            put_identity_policy(server, user.arn, policy_name, document)
        return Actor(user, kms_client(creds=user.credentials))

    return make


@pytest.fixture(scope="module")
def bare_user(make_actor: ActorMaker) -> Actor:
    """A user of the server's account with no policy at all (shared: never given one)."""
    return make_actor()


@pytest.fixture(scope="module")
def admin_key(kms: Any) -> dict[str, Any]:
    """A key with the default policy, for tests that only read it."""
    return create_key(kms)


def root_statement(account: Account) -> dict[str, Any]:
    """The default policy's statement: the account (and so its IAM policies) may do anything."""
    return allow("kms:*", Principal={"AWS": account.root_arn()}, Sid="Enable IAM User Permissions")


def error_code(call: Callable[[], object]) -> str:
    """``"ok"`` if ``call`` succeeds, else the error code of its ClientError."""
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return "ok"


def wait_for_outcome(call: Callable[[], object], expected: str, what: str) -> float:
    """Wait (bounded) until ``call`` gives ``expected``; return how long that took."""
    start = time.monotonic()
    wait_until(
        lambda: error_code(call) == expected,
        timeout=CACHE_BOUND_S,
        interval=0.1,
        message=f"{what} -> {expected}",
    )
    return time.monotonic() - start


# --------------------------------------------------------------------------- no policies


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("CreateKey", lambda kms: kms.create_key()),
        ("ListKeys", lambda kms: kms.list_keys()),
        ("ListAliases", lambda kms: kms.list_aliases()),
        ("GenerateRandom", lambda kms: kms.generate_random(NumberOfBytes=16)),
    ],
    ids=["CreateKey", "ListKeys", "ListAliases", "GenerateRandom"],
)
def test_a_user_without_policies_is_denied_account_level_operations(
    bare_user: Actor, operation: str, call: Callable[[Any], object]
) -> None:
    with expect_error(
        "AccessDeniedException", message=denied(bare_user.arn, operation, "*", NO_IDENTITY_POLICY)
    ):
        call(bare_user.kms)


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("Encrypt", lambda kms, key: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")),
        ("DescribeKey", lambda kms, key: kms.describe_key(KeyId=key["KeyId"])),
        (
            "GenerateDataKey",
            lambda kms, key: kms.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256"),
        ),
        ("GetKeyPolicy", lambda kms, key: kms.get_key_policy(KeyId=key["KeyId"])),
        ("DisableKey", lambda kms, key: kms.disable_key(KeyId=key["KeyId"])),
        (
            "ScheduleKeyDeletion",
            lambda kms, key: kms.schedule_key_deletion(KeyId=key["KeyId"]),
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_user_without_policies_is_denied_key_operations_under_the_default_key_policy(
    bare_user: Actor,
    admin_key: dict[str, Any],
    kms: Any,
    operation: str,
    call: Callable[[Any, dict[str, Any]], object],
) -> None:
    # The default key policy only delegates to the account's IAM policies; this user has none.
    with expect_error(
        "AccessDeniedException",
        message=denied(bare_user.arn, operation, admin_key["Arn"], NO_IDENTITY_POLICY),
    ):
        call(bare_user.kms, admin_key)
    assert kms.describe_key(KeyId=admin_key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_a_user_without_policies_is_denied_decrypt_of_the_accounts_ciphertext(
    bare_user: Actor, admin_key: dict[str, Any], kms: Any
) -> None:
    blob = kms.encrypt(KeyId=admin_key["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    with expect_error(
        "AccessDeniedException",
        message=denied(bare_user.arn, "Decrypt", admin_key["Arn"], NO_IDENTITY_POLICY),
    ):
        bare_user.kms.decrypt(CiphertextBlob=blob, KeyId=admin_key["Arn"])
    with expect_error("AccessDeniedException") as error:
        bare_user.kms.decrypt(CiphertextBlob=blob)
    assert error.message.startswith(
        f"User: {bare_user.arn} is not authorized to perform: kms:Decrypt"
    )


def test_a_denied_decrypt_by_ciphertext_alone_does_not_reveal_the_key(
    bare_user: Actor, admin_key: dict[str, Any], kms: Any
) -> None:
    # AWS words this case without the key ARN, so that a ciphertext does not tell
    # an unauthorized caller which key (and account) made it.
    blob = kms.encrypt(KeyId=admin_key["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    with expect_error(
        "AccessDeniedException",
        message=(
            f"User: {bare_user.arn} is not authorized to perform: kms:Decrypt on the resource "
            "associated with this ciphertext because the resource does not exist in this "
            "Region, no resource-based policies allow access, or a resource-based policy "
            "explicitly denies access"
        ),
    ):
        bare_user.kms.decrypt(CiphertextBlob=blob)


def test_access_is_checked_before_the_key_state(
    bare_user: Actor, kms: Any, key: dict[str, Any]
) -> None:
    kms.disable_key(KeyId=key["KeyId"])
    with expect_error("DisabledException"):
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    with expect_error(
        "AccessDeniedException",
        message=denied(bare_user.arn, "Encrypt", key["Arn"], NO_IDENTITY_POLICY),
    ):
        bare_user.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")


def test_describe_key_reports_a_missing_key_as_not_found_before_access_denied(
    bare_user: Actor, account: Account
) -> None:
    missing = str(uuid.uuid4())
    message = f"Key '{account.key_arn(missing)}' does not exist"
    with expect_error("NotFoundException", message=message):
        bare_user.kms.describe_key(KeyId=missing)
    with expect_error("NotFoundException", message=message):
        bare_user.kms.describe_key(KeyId=account.key_arn(missing))
    with expect_error("NotFoundException", message=message):
        bare_user.kms.encrypt(KeyId=missing, Plaintext=b"x")
    alias = unique_alias()
    with expect_error(
        "NotFoundException", message=f"Alias {account.alias_arn(alias)} is not found."
    ):
        bare_user.kms.describe_key(KeyId=alias)


# --------------------------------------------------------------------------- identity policies


def test_a_policy_allowing_encrypt_on_one_key_allows_only_encrypt_on_that_key(
    server: Server,
    make_actor: ActorMaker,
    kms: Any,
    key: dict[str, Any],
    other_key: dict[str, Any],
) -> None:
    actor = make_actor()
    encrypt = lambda: actor.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"hello")  # noqa: E731
    assert error_code(encrypt) == "AccessDeniedException"

    put_identity_policy(
        server, actor.arn, "encrypt-one-key", policy_json(allow("kms:Encrypt", key["Arn"]))
    )
    wait_for_outcome(encrypt, "ok", "Encrypt after put-policy")

    blob = actor.kms.encrypt(KeyId=key["Arn"], Plaintext=b"hello")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"hello"
    with expect_error(
        "AccessDeniedException",
        message=denied(actor.arn, "Encrypt", other_key["Arn"], NO_IDENTITY_POLICY),
    ):
        actor.kms.encrypt(KeyId=other_key["KeyId"], Plaintext=b"hello")
    with expect_error(
        "AccessDeniedException",
        message=denied(actor.arn, "Decrypt", key["Arn"], NO_IDENTITY_POLICY),
    ):
        actor.kms.decrypt(CiphertextBlob=blob, KeyId=key["Arn"])
    with expect_error("AccessDeniedException"):
        actor.kms.decrypt(CiphertextBlob=blob)
    with expect_error(
        "AccessDeniedException",
        message=denied(actor.arn, "DescribeKey", key["Arn"], NO_IDENTITY_POLICY),
    ):
        actor.kms.describe_key(KeyId=key["KeyId"])


def test_deleting_a_users_policy_revokes_its_access_within_the_cache_bound(
    server: Server, make_actor: ActorMaker, key: dict[str, Any]
) -> None:
    actor = make_actor(policies={"encrypt": policy_json(allow("kms:Encrypt"))})
    encrypt = lambda: actor.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")  # noqa: E731
    assert error_code(encrypt) == "ok"
    delete_identity_policy(server, actor.arn, "encrypt")
    elapsed = wait_for_outcome(encrypt, "AccessDeniedException", "Encrypt after delete-policy")
    assert elapsed <= CACHE_BOUND_S


@pytest.mark.parametrize("deny_first", [True, False], ids=["deny-first", "allow-first"])
def test_an_explicit_deny_wins_over_kms_star_in_either_statement_order(
    make_actor: ActorMaker, kms: Any, key: dict[str, Any], deny_first: bool
) -> None:
    statements = [allow("kms:*"), deny("kms:Decrypt")]
    if deny_first:
        statements.reverse()
    actor = make_actor(policies={"all-but-decrypt": policy_json(*statements)})

    blob = actor.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert actor.kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyId"] == key["KeyId"]
    with expect_error(
        "AccessDeniedException", message=denied(actor.arn, "Decrypt", key["Arn"], IDENTITY_DENY)
    ):
        actor.kms.decrypt(CiphertextBlob=blob, KeyId=key["KeyId"])
    with expect_error("AccessDeniedException"):
        actor.kms.decrypt(CiphertextBlob=blob)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_an_explicit_deny_in_one_policy_overrides_an_allow_in_another(
    make_actor: ActorMaker, key: dict[str, Any]
) -> None:
    actor = make_actor(
        policies={
            "allow-all": policy_json(allow("kms:*")),
            "deny-this-key": policy_json(deny("kms:Encrypt", key["Arn"])),
        }
    )
    with expect_error(
        "AccessDeniedException", message=denied(actor.arn, "Encrypt", key["Arn"], IDENTITY_DENY)
    ):
        actor.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    other = create_key(actor.kms)
    actor.kms.encrypt(KeyId=other["KeyId"], Plaintext=b"x")


def test_identity_policy_actions_match_wildcards_and_ignore_case(
    make_actor: ActorMaker, key: dict[str, Any]
) -> None:
    actor = make_actor(
        policies={"wildcards": policy_json(allow(["kms:Describe*", "KMS:generatedatakey*"]))}
    )
    actor.kms.describe_key(KeyId=key["KeyId"])
    actor.kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    actor.kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], NumberOfBytes=32)
    with expect_error("AccessDeniedException"):
        actor.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")


def test_identity_policy_resources_match_key_arn_patterns(
    make_actor: ActorMaker, account: Account, key: dict[str, Any]
) -> None:
    this_region = f"arn:aws:kms:us-east-1:{account.account_id}:key/*"
    other_region = f"arn:aws:kms:eu-west-1:{account.account_id}:key/*"
    here = make_actor(policies={"p": policy_json(allow("kms:Encrypt", this_region))})
    there = make_actor(policies={"p": policy_json(allow("kms:Encrypt", other_region))})
    here.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    with expect_error("AccessDeniedException"):
        there.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")


def test_re_encrypt_needs_re_encrypt_from_on_the_source_and_re_encrypt_to_on_the_destination(
    make_actor: ActorMaker, kms: Any, key: dict[str, Any], other_key: dict[str, Any]
) -> None:
    source, destination = key, other_key
    blob = kms.encrypt(KeyId=source["KeyId"], Plaintext=b"move me")["CiphertextBlob"]
    from_only = make_actor(policies={"p": policy_json(allow("kms:ReEncryptFrom", source["Arn"]))})
    to_only = make_actor(policies={"p": policy_json(allow("kms:ReEncryptTo", destination["Arn"]))})
    both = make_actor(
        policies={"p": policy_json(allow("kms:ReEncrypt*", [source["Arn"], destination["Arn"]]))}
    )

    with expect_error(
        "AccessDeniedException",
        message=denied(from_only.arn, "ReEncryptTo", destination["Arn"], NO_IDENTITY_POLICY),
    ):
        from_only.kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination["KeyId"])
    with expect_error("AccessDeniedException") as error:
        to_only.kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination["KeyId"])
    assert "kms:ReEncryptFrom" in error.message
    moved = both.kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=destination["KeyId"])
    assert moved["KeyId"] == destination["Arn"]
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == b"move me"


def test_create_key_with_tags_also_needs_tag_resource(make_actor: ActorMaker) -> None:
    tags = [{"TagKey": "team", "TagValue": "blue"}]
    create_only = make_actor(policies={"p": policy_json(allow("kms:CreateKey"))})
    create_and_tag = make_actor(
        policies={"p": policy_json(allow(["kms:CreateKey", "kms:TagResource"]))}
    )

    create_key(create_only.kms)
    with expect_error(
        "AccessDeniedException",
        message=denied(create_only.arn, "TagResource", "*", NO_IDENTITY_POLICY),
    ):
        create_only.kms.create_key(Tags=tags)
    create_key(create_and_tag.kms, Tags=tags)


def test_a_user_who_may_only_create_keys_cannot_use_the_keys_it_creates(
    make_actor: ActorMaker, kms: Any
) -> None:
    actor = make_actor(policies={"p": policy_json(allow("kms:CreateKey"))})
    metadata = create_key(actor.kms)
    # The new key has the default policy: only the account's IAM policies count.
    with expect_error("AccessDeniedException"):
        actor.kms.describe_key(KeyId=metadata["KeyId"])
    with expect_error("AccessDeniedException"):
        actor.kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"x")
    kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"x")


# --------------------------------------------------------------------------- key policies


def user_only_policy(account: Account, user_arn: str) -> str:
    """A key policy without the account statement: only ``user_arn`` may do anything."""
    return policy_json(
        allow("kms:*", Principal={"AWS": user_arn}, Sid="Only this user"), policy_id="user-only"
    )


def test_create_key_refuses_a_policy_that_locks_the_caller_out(
    make_actor: ActorMaker, kms: Any, account: Account
) -> None:
    actor = make_actor()
    before = {k["KeyId"] for k in list_all_keys(kms)}
    with expect_error("MalformedPolicyDocumentException", message=LOCKOUT_MESSAGE):
        kms.create_key(Policy=user_only_policy(account, actor.arn))
    with expect_error("MalformedPolicyDocumentException", message=LOCKOUT_MESSAGE):
        kms.create_key(
            Policy=user_only_policy(account, actor.arn), BypassPolicyLockoutSafetyCheck=False
        )
    assert {k["KeyId"] for k in list_all_keys(kms)} == before


def test_put_key_policy_refuses_a_policy_that_locks_the_caller_out(
    make_actor: ActorMaker, kms: Any, account: Account, key: dict[str, Any]
) -> None:
    actor = make_actor()
    policy_before = kms.get_key_policy(KeyId=key["KeyId"])["Policy"]
    with expect_error("MalformedPolicyDocumentException", message=LOCKOUT_MESSAGE):
        kms.put_key_policy(KeyId=key["KeyId"], Policy=user_only_policy(account, actor.arn))
    assert kms.get_key_policy(KeyId=key["KeyId"])["Policy"] == policy_before
    kms.describe_key(KeyId=key["KeyId"])


def test_a_key_policy_naming_a_user_allows_it_without_identity_policy_and_shuts_out_the_admin(
    make_actor: ActorMaker, kms: Any, account: Account
) -> None:
    actor = make_actor()
    policy = user_only_policy(account, actor.arn)
    metadata = create_key(kms, Policy=policy, BypassPolicyLockoutSafetyCheck=True)
    key_id, arn = metadata["KeyId"], metadata["Arn"]

    blob = actor.kms.encrypt(KeyId=key_id, Plaintext=b"only mine")["CiphertextBlob"]
    assert actor.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"only mine"
    assert actor.kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyId"] == key_id
    assert actor.kms.get_key_policy(KeyId=key_id)["Policy"] == policy

    # AdministratorAccess does not help: the key policy does not delegate to IAM.
    admin = account.arn
    for operation, call in [
        ("DescribeKey", lambda: kms.describe_key(KeyId=key_id)),
        ("Encrypt", lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x")),
        ("Decrypt", lambda: kms.decrypt(CiphertextBlob=blob, KeyId=key_id)),
        ("GetKeyPolicy", lambda: kms.get_key_policy(KeyId=key_id)),
        ("PutKeyPolicy", lambda: kms.put_key_policy(KeyId=key_id, Policy=policy)),
        ("ScheduleKeyDeletion", lambda: kms.schedule_key_deletion(KeyId=key_id)),
    ]:
        with expect_error(
            "AccessDeniedException", message=denied(admin, operation, arn, NO_RESOURCE_POLICY)
        ):
            call()
    # ListKeys is an IAM permission: the admin still sees the key.
    assert key_id in {k["KeyId"] for k in list_all_keys(kms)}


def test_the_lockout_check_protects_whoever_calls_put_key_policy(
    make_actor: ActorMaker, kms: Any, account: Account
) -> None:
    actor = make_actor()
    metadata = create_key(
        kms, Policy=user_only_policy(account, actor.arn), BypassPolicyLockoutSafetyCheck=True
    )
    key_id = metadata["KeyId"]
    give_back = policy_json(root_statement(account))
    with expect_error("MalformedPolicyDocumentException", message=LOCKOUT_MESSAGE):
        actor.kms.put_key_policy(KeyId=key_id, Policy=give_back)

    actor.kms.put_key_policy(KeyId=key_id, Policy=give_back, BypassPolicyLockoutSafetyCheck=True)
    wait_for_outcome(lambda: kms.describe_key(KeyId=key_id), "ok", "admin after the handover")
    wait_for_outcome(
        lambda: actor.kms.describe_key(KeyId=key_id),
        "AccessDeniedException",
        "user after the handover",
    )


def test_iam_only_permissions_in_a_key_policy_grant_nothing(
    make_actor: ActorMaker, kms: Any, account: Account
) -> None:
    actor = make_actor()
    policy = policy_json(
        root_statement(account), allow("kms:*", Principal={"AWS": actor.arn}, Sid="User")
    )
    metadata = create_key(kms, Policy=policy)
    actor.kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"x")
    for operation, call in [
        ("CreateKey", lambda: actor.kms.create_key()),
        ("ListKeys", lambda: actor.kms.list_keys()),
        ("ListAliases", lambda: actor.kms.list_aliases()),
        ("GenerateRandom", lambda: actor.kms.generate_random(NumberOfBytes=8)),
    ]:
        with expect_error(
            "AccessDeniedException", message=denied(actor.arn, operation, "*", NO_IDENTITY_POLICY)
        ):
            call()


def test_a_key_policy_deny_overrides_an_identity_allow(
    make_actor: ActorMaker, kms: Any, account: Account
) -> None:
    actor = make_actor(policies={"all": policy_json(allow("kms:*"))})
    policy = policy_json(
        root_statement(account),
        deny("kms:Encrypt", Principal={"AWS": actor.arn}, Sid="No encrypt for this user"),
    )
    metadata = create_key(kms, Policy=policy)
    with expect_error(
        "AccessDeniedException",
        message=denied(actor.arn, "Encrypt", metadata["Arn"], RESOURCE_DENY),
    ):
        actor.kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"x")
    actor.kms.describe_key(KeyId=metadata["KeyId"])
    kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"x")


def test_put_key_policy_needs_its_own_permission(
    make_actor: ActorMaker, kms: Any, account: Account, key: dict[str, Any]
) -> None:
    reader = make_actor(policies={"p": policy_json(allow("kms:GetKeyPolicy", key["Arn"]))})
    policy = kms.get_key_policy(KeyId=key["KeyId"])["Policy"]
    assert reader.kms.get_key_policy(KeyId=key["KeyId"])["Policy"] == policy
    with expect_error(
        "AccessDeniedException",
        message=denied(reader.arn, "PutKeyPolicy", key["Arn"], NO_IDENTITY_POLICY),
    ):
        reader.kms.put_key_policy(KeyId=key["KeyId"], Policy=policy_json(root_statement(account)))


def test_the_bypass_condition_key_can_forbid_skipping_the_lockout_check(
    make_actor: ActorMaker, account: Account, key: dict[str, Any]
) -> None:
    no_bypass = deny(
        "kms:PutKeyPolicy", Condition={"Bool": {"kms:BypassPolicyLockoutSafetyCheck": "true"}}
    )
    actor = make_actor(policies={"p": policy_json(allow("kms:*"), no_bypass)})
    policy = policy_json(root_statement(account))
    with expect_error(
        "AccessDeniedException",
        message=denied(actor.arn, "PutKeyPolicy", key["Arn"], IDENTITY_DENY),
    ):
        actor.kms.put_key_policy(
            KeyId=key["KeyId"], Policy=policy, BypassPolicyLockoutSafetyCheck=True
        )
    actor.kms.put_key_policy(KeyId=key["KeyId"], Policy=policy)


# --------------------------------------------------------------------------- policy documents


def test_put_key_policy_and_get_key_policy_round_trip_the_document_verbatim(
    kms: Any, account: Account, key: dict[str, Any]
) -> None:
    policy = (
        '{\n\t"Version":"2012-10-17",  "Id" : "hand written",\n'
        '"Statement":[ {"Sid":"Keep the account in control","Effect":"Allow",\n'
        f'   "Principal":{{"AWS":["{account.account_id}"]}},\n'
        '   "Action":["kms:*"],"Resource":"*"}]}\n'
    )
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy)
    response = kms.get_key_policy(KeyId=key["Arn"], PolicyName="default")
    assert response["Policy"] == policy
    assert kms.get_key_policy(KeyId=key["KeyId"])["Policy"] == policy
    # The account id form of the principal keeps the account (and so the admin) in control.
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")


def test_put_key_policy_replaces_the_previous_policy(
    kms: Any, account: Account, key: dict[str, Any]
) -> None:
    first = policy_json(root_statement(account), policy_id="first")
    second = policy_json(root_statement(account), policy_id="second")
    kms.put_key_policy(KeyId=key["KeyId"], Policy=first)
    kms.put_key_policy(KeyId=key["KeyId"], Policy=second)
    assert json.loads(kms.get_key_policy(KeyId=key["KeyId"])["Policy"])["Id"] == "second"


def _padded_policy(account: Account, size: int) -> str:
    """A valid policy of exactly ``size`` bytes (whitespace padding)."""
    policy = policy_json(root_statement(account))
    assert len(policy) <= size
    return policy[:-1] + " " * (size - len(policy)) + "}"


def malformed_policies(account: Account) -> dict[str, str]:
    root = {"AWS": account.root_arn()}
    return {
        "not-json": '{"Version": "2012-10-17", "Statement": [',
        "not-an-object": json.dumps(["kms:*"]),
        "missing-principal": policy_json(allow("kms:*")),
        "unknown-statement-element": policy_json(allow("kms:*", Principal=root, Colour="blue")),
        "unknown-top-level-element": json.dumps(
            {"Version": "2012-10-17", "Extra": 1, "Statement": [allow("kms:*", Principal=root)]}
        ),
        "bad-effect": policy_json({**allow("kms:*", Principal=root), "Effect": "Maybe"}),
        "no-statement": json.dumps({"Version": "2012-10-17"}),
        "empty-statement-list": json.dumps({"Version": "2012-10-17", "Statement": []}),
        "bad-version": json.dumps(
            {"Version": "2020-01-01", "Statement": [allow("kms:*", Principal=root)]}
        ),
        "bad-principal": policy_json(allow("kms:*", Principal={"AWS": "not-an-arn"})),
        "too-large": _padded_policy(account, MAX_POLICY_BYTES + 1),
    }


MALFORMED = [
    "not-json",
    "not-an-object",
    "missing-principal",
    "unknown-statement-element",
    "unknown-top-level-element",
    "bad-effect",
    "no-statement",
    "empty-statement-list",
    "bad-version",
    "bad-principal",
]


@pytest.mark.parametrize("case", MALFORMED)
def test_put_key_policy_refuses_a_malformed_document_and_keeps_the_old_one(
    kms: Any, account: Account, admin_key: dict[str, Any], case: str
) -> None:
    before = kms.get_key_policy(KeyId=admin_key["KeyId"])["Policy"]
    with expect_error("MalformedPolicyDocumentException"):
        kms.put_key_policy(KeyId=admin_key["KeyId"], Policy=malformed_policies(account)[case])
    assert kms.get_key_policy(KeyId=admin_key["KeyId"])["Policy"] == before


def test_a_key_policy_over_32768_bytes_exceeds_the_limit(
    kms: Any, account: Account, admin_key: dict[str, Any]
) -> None:
    # kms-semantics §5.4: the policy size limit is a LimitExceededException.
    too_large = malformed_policies(account)["too-large"]
    with expect_error("LimitExceededException"):
        kms.put_key_policy(KeyId=admin_key["KeyId"], Policy=too_large)
    with expect_error("LimitExceededException"):
        kms.create_key(Policy=too_large, BypassPolicyLockoutSafetyCheck=True)


@pytest.mark.parametrize("case", MALFORMED)
def test_create_key_refuses_a_malformed_policy(kms: Any, account: Account, case: str) -> None:
    with expect_error("MalformedPolicyDocumentException"):
        kms.create_key(
            Policy=malformed_policies(account)[case], BypassPolicyLockoutSafetyCheck=True
        )


def test_a_key_policy_of_exactly_32768_bytes_is_accepted(
    kms: Any, account: Account, key: dict[str, Any]
) -> None:
    policy = _padded_policy(account, MAX_POLICY_BYTES)
    kms.put_key_policy(KeyId=key["KeyId"], Policy=policy)
    assert kms.get_key_policy(KeyId=key["KeyId"])["Policy"] == policy


def test_a_key_policy_naming_a_user_that_does_not_exist_is_malformed(
    kms: Any, account: Account, key: dict[str, Any]
) -> None:
    # AWS resolves user and role ARNs when a policy is saved (kms-semantics §9.2).
    ghost = f"arn:aws:iam::{account.account_id}:user/{unique_name('ghost')}"
    policy = policy_json(
        root_statement(account), allow("kms:Encrypt", Principal={"AWS": ghost}, Sid="Ghost")
    )
    with expect_error("MalformedPolicyDocumentException"):
        kms.put_key_policy(KeyId=key["KeyId"], Policy=policy)


def test_a_key_policy_statement_without_action_is_accepted_but_ineffective(
    make_actor: ActorMaker, kms: Any, account: Account
) -> None:
    actor = make_actor()
    inert = {
        "Sid": "No action",
        "Effect": "Allow",
        "Principal": {"AWS": actor.arn},
        "Resource": "*",
    }
    metadata = create_key(kms, Policy=policy_json(root_statement(account), inert))
    with expect_error("AccessDeniedException"):
        actor.kms.describe_key(KeyId=metadata["KeyId"])


# --------------------------------------------------------------------------- conditions


@pytest.fixture(scope="module")
def it_only_key(kms: Any, account: Account) -> dict[str, Any]:
    """A key whose policy denies encryption unless the context says Department=IT."""
    policy = policy_json(
        root_statement(account),
        deny(
            ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
            Principal={"AWS": "*"},
            Sid="Only for IT",
            Condition={"StringNotEquals": {"kms:EncryptionContext:Department": "IT"}},
        ),
    )
    return create_key(kms, Policy=policy)


@pytest.mark.parametrize(
    ("context", "allowed"),
    [
        ({"Department": "IT"}, True),
        ({"Department": "IT", "Project": "Apollo"}, True),
        ({"department": "IT"}, True),  # the context key in the condition key ignores case
        ({"Department": "it"}, False),  # ...its value does not
        ({"Department": "HR"}, False),
        ({"Project": "Apollo"}, False),
        (None, False),
    ],
    ids=["IT", "IT-and-more", "lower-case-key", "lower-case-value", "HR", "other-key", "none"],
)
def test_a_key_policy_deny_unless_department_is_it_allows_only_that_context(
    kms: Any,
    it_only_key: dict[str, Any],
    context: dict[str, str] | None,
    allowed: bool,
    account: Account,
) -> None:
    kwargs: dict[str, Any] = {"KeyId": it_only_key["KeyId"]}
    if context is not None:
        kwargs["EncryptionContext"] = context
    if allowed:
        blob = kms.encrypt(Plaintext=b"payroll", **kwargs)["CiphertextBlob"]
        decrypted = kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)
        assert decrypted["Plaintext"] == b"payroll"
        kms.generate_data_key(KeySpec="AES_256", **kwargs)
        return
    with expect_error(
        "AccessDeniedException",
        message=denied(account.arn, "Encrypt", it_only_key["Arn"], RESOURCE_DENY),
    ):
        kms.encrypt(Plaintext=b"payroll", **kwargs)
    with expect_error("AccessDeniedException"):
        kms.generate_data_key(KeySpec="AES_256", **kwargs)


def test_a_null_condition_on_encryption_context_keys_requires_a_context(
    kms: Any, account: Account
) -> None:
    policy = policy_json(
        root_statement(account),
        deny(
            ["kms:Encrypt", "kms:GenerateDataKey*"],
            Principal={"AWS": "*"},
            Sid="Require an encryption context",
            Condition={"Null": {"kms:EncryptionContextKeys": "true"}},
        ),
    )
    metadata = create_key(kms, Policy=policy)
    key_id = metadata["KeyId"]
    kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"anything": "at all"})
    kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext={"a": "b"})
    for call in [
        lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"),
        lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={}),
        lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
    ]:
        with expect_error("AccessDeniedException"):
            call()


def test_an_identity_policy_can_require_an_encryption_context(
    make_actor: ActorMaker, key: dict[str, Any]
) -> None:
    statement = allow("kms:Encrypt", Condition={"Null": {"kms:EncryptionContextKeys": "false"}})
    actor = make_actor(policies={"p": policy_json(statement)})
    actor.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"app": "web"})
    with expect_error(
        "AccessDeniedException",
        message=denied(actor.arn, "Encrypt", key["Arn"], NO_IDENTITY_POLICY),
    ):
        actor.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")


def test_an_encryption_context_keys_condition_lists_the_allowed_keys(
    make_actor: ActorMaker, key: dict[str, Any]
) -> None:
    statement = allow(
        "kms:Encrypt",
        Condition={"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["app", "env"]}},
    )
    actor = make_actor(policies={"p": policy_json(statement)})
    actor.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"app": "web"})
    actor.kms.encrypt(
        KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"app": "a", "env": "b"}
    )
    with expect_error("AccessDeniedException"):
        actor.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"user": "eve"})


def test_an_encryption_algorithm_condition_sees_the_default_algorithm(
    make_actor: ActorMaker, key: dict[str, Any]
) -> None:
    def only(algorithm: str) -> str:
        return policy_json(
            allow("kms:Encrypt", Condition={"StringEquals": {"kms:EncryptionAlgorithm": algorithm}})
        )

    symmetric = make_actor(policies={"p": only("SYMMETRIC_DEFAULT")})
    rsa = make_actor(policies={"p": only("RSAES_OAEP_SHA_256")})
    symmetric.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    with expect_error("AccessDeniedException"):
        rsa.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")


def test_a_caller_account_condition_opens_the_key_to_every_principal_of_that_account(
    make_actor: ActorMaker,
    kms: Any,
    other_kms: Any,
    account: Account,
    other_account: Account,
) -> None:
    policy = policy_json(
        root_statement(account),
        allow(
            ["kms:Encrypt", "kms:Decrypt"],
            Principal={"AWS": "*"},
            Sid="Anyone in the account",
            Condition={"StringEquals": {"kms:CallerAccount": account.account_id}},
        ),
    )
    metadata = create_key(kms, Policy=policy)
    actor = make_actor()  # no identity policy: the key policy names it through "*"
    blob = actor.kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert actor.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    with expect_error("AccessDeniedException"):
        actor.kms.describe_key(KeyId=metadata["KeyId"])
    with expect_error(
        "AccessDeniedException",
        message=denied(other_account.arn, "Encrypt", metadata["Arn"], NO_RESOURCE_POLICY),
    ):
        other_kms.encrypt(KeyId=metadata["Arn"], Plaintext=b"x")


def test_a_principal_arn_condition_allows_only_the_named_users(
    make_actor: ActorMaker, kms: Any, account: Account
) -> None:
    team_prefix = unique_name("team")
    named = make_actor()
    team_member = make_actor(name=f"{team_prefix}-alice")
    outsider = make_actor()
    policy = policy_json(
        root_statement(account),
        allow(
            "kms:Encrypt",
            Principal={"AWS": "*"},
            Sid="Named user",
            Condition={"StringEquals": {"aws:PrincipalArn": named.arn}},
        ),
        allow(
            "kms:Encrypt",
            Principal={"AWS": "*"},
            Sid="The team",
            Condition={
                "ArnLike": {
                    "aws:PrincipalArn": f"arn:aws:iam::{account.account_id}:user/{team_prefix}-*"
                }
            },
        ),
    )
    metadata = create_key(kms, Policy=policy)
    named.kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"x")
    team_member.kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"x")
    with expect_error(
        "AccessDeniedException",
        message=denied(outsider.arn, "Encrypt", metadata["Arn"], NO_IDENTITY_POLICY),
    ):
        outsider.kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"x")


def test_a_request_alias_condition_allows_use_only_through_that_alias(
    make_actor: ActorMaker, key: dict[str, Any], aliases: AliasTracker
) -> None:
    name = aliases.create(key["KeyId"])
    statement = allow("kms:Encrypt", Condition={"StringEquals": {"kms:RequestAlias": name}})
    actor = make_actor(policies={"p": policy_json(statement)})
    assert actor.kms.encrypt(KeyId=name, Plaintext=b"x")["KeyId"] == key["Arn"]
    with expect_error("AccessDeniedException"):
        actor.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")


# --------------------------------------------------------------------------- other accounts


@pytest.fixture(scope="module")
def shared_key(kms: Any, account: Account, other_account: Account) -> dict[str, Any]:
    """A key whose policy gives the other account (and so its IAM policies) kms:*."""
    policy = policy_json(
        root_statement(account),
        allow("kms:*", Principal={"AWS": other_account.root_arn()}, Sid="The other account"),
    )
    return create_key(kms, Policy=policy)


def test_another_accounts_admin_may_use_a_key_whose_policy_allows_its_account(
    other_kms: Any, kms: Any, shared_key: dict[str, Any], account: Account
) -> None:
    arn = shared_key["Arn"]
    described = other_kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert described["KeyId"] == shared_key["KeyId"]
    assert described["AWSAccountId"] == account.account_id

    encrypted = other_kms.encrypt(KeyId=arn, Plaintext=b"shared")
    assert encrypted["KeyId"] == arn
    blob = encrypted["CiphertextBlob"]
    assert other_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"
    assert other_kms.decrypt(CiphertextBlob=blob, KeyId=arn)["Plaintext"] == b"shared"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"

    data_key = other_kms.generate_data_key(KeyId=arn, KeySpec="AES_256")
    assert data_key["KeyId"] == arn
    own = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"]
    assert own == data_key["Plaintext"]


def test_another_account_decrypts_what_the_owner_encrypted(
    other_kms: Any, kms: Any, shared_key: dict[str, Any]
) -> None:
    blob = kms.encrypt(KeyId=shared_key["KeyId"], Plaintext=b"from the owner")["CiphertextBlob"]
    assert other_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"from the owner"


def test_another_account_may_name_a_shared_key_by_its_alias_arn(
    other_kms: Any, shared_key: dict[str, Any], aliases: AliasTracker, account: Account
) -> None:
    name = aliases.create(shared_key["KeyId"])
    encrypted = other_kms.encrypt(KeyId=account.alias_arn(name), Plaintext=b"x")
    assert encrypted["KeyId"] == shared_key["Arn"]
    # A bare alias name is looked up in the caller's own account.
    with expect_error("NotFoundException"):
        other_kms.encrypt(KeyId=name, Plaintext=b"x")


def test_another_account_cannot_use_a_shared_key_by_its_bare_id(
    other_kms: Any, shared_key: dict[str, Any], other_account: Account
) -> None:
    with expect_error(
        "NotFoundException",
        message=f"Key '{other_account.key_arn(shared_key['KeyId'])}' does not exist",
    ):
        other_kms.encrypt(KeyId=shared_key["KeyId"], Plaintext=b"x")


def test_another_accounts_user_without_identity_policy_is_denied_a_shared_key(
    make_actor: ActorMaker, shared_key: dict[str, Any], other_account: Account
) -> None:
    actor = make_actor(account_id=other_account.account_id)
    for operation, call in [
        ("Encrypt", lambda: actor.kms.encrypt(KeyId=shared_key["Arn"], Plaintext=b"x")),
        ("DescribeKey", lambda: actor.kms.describe_key(KeyId=shared_key["Arn"])),
    ]:
        with expect_error(
            "AccessDeniedException",
            message=denied(actor.arn, operation, shared_key["Arn"], NO_IDENTITY_POLICY),
        ):
            call()


def test_another_accounts_user_with_an_identity_policy_for_the_key_may_use_it(
    make_actor: ActorMaker, kms: Any, shared_key: dict[str, Any], other_account: Account
) -> None:
    actor = make_actor(
        account_id=other_account.account_id,
        policies={"p": policy_json(allow("kms:Encrypt", shared_key["Arn"]))},
    )
    blob = actor.kms.encrypt(KeyId=shared_key["Arn"], Plaintext=b"x")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    with expect_error(
        "AccessDeniedException",
        message=denied(actor.arn, "Decrypt", shared_key["Arn"], NO_IDENTITY_POLICY),
    ):
        actor.kms.decrypt(CiphertextBlob=blob, KeyId=shared_key["Arn"])


def test_a_key_policy_naming_one_user_of_another_account_allows_only_that_user(
    make_actor: ActorMaker, kms: Any, account: Account, other_account: Account
) -> None:
    everything = {"p": policy_json(allow("kms:*"))}
    named = make_actor(account_id=other_account.account_id, policies=everything)
    sibling = make_actor(account_id=other_account.account_id, policies=everything)
    policy = policy_json(
        root_statement(account),
        allow(["kms:Encrypt", "kms:DescribeKey"], Principal={"AWS": named.arn}, Sid="One user"),
    )
    metadata = create_key(kms, Policy=policy)
    named.kms.encrypt(KeyId=metadata["Arn"], Plaintext=b"x")
    with expect_error(
        "AccessDeniedException",
        message=denied(sibling.arn, "Encrypt", metadata["Arn"], NO_RESOURCE_POLICY),
    ):
        sibling.kms.encrypt(KeyId=metadata["Arn"], Plaintext=b"x")
    with expect_error("AccessDeniedException"):
        named.kms.decrypt(
            CiphertextBlob=kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"x")["CiphertextBlob"]
        )


def test_another_account_is_denied_a_key_with_the_default_policy(
    other_kms: Any, admin_key: dict[str, Any], other_account: Account
) -> None:
    with expect_error(
        "AccessDeniedException",
        message=denied(other_account.arn, "Encrypt", admin_key["Arn"], NO_RESOURCE_POLICY),
    ):
        other_kms.encrypt(KeyId=admin_key["Arn"], Plaintext=b"x")


@pytest.mark.parametrize(
    ("operation", "call"),
    [
        ("EnableKey", lambda kms, arn, policy: kms.enable_key(KeyId=arn)),
        ("DisableKey", lambda kms, arn, policy: kms.disable_key(KeyId=arn)),
        ("PutKeyPolicy", lambda kms, arn, policy: kms.put_key_policy(KeyId=arn, Policy=policy)),
        ("GetKeyPolicy", lambda kms, arn, policy: kms.get_key_policy(KeyId=arn)),
        (
            "ScheduleKeyDeletion",
            lambda kms, arn, policy: kms.schedule_key_deletion(KeyId=arn),
        ),
        (
            "UpdateKeyDescription",
            lambda kms, arn, policy: kms.update_key_description(KeyId=arn, Description="mine"),
        ),
        (
            "TagResource",
            lambda kms, arn, policy: kms.tag_resource(
                KeyId=arn, Tags=[{"TagKey": "owner", "TagValue": "them"}]
            ),
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_management_operations_are_refused_across_accounts_even_when_the_key_policy_allows(
    other_kms: Any,
    kms: Any,
    shared_key: dict[str, Any],
    other_account: Account,
    operation: str,
    call: Callable[[Any, str, str], object],
) -> None:
    arn = shared_key["Arn"]
    policy_before = kms.get_key_policy(KeyId=arn)["Policy"]
    with expect_error(
        "AccessDeniedException",
        message=denied(other_account.arn, operation, arn, NO_RESOURCE_POLICY),
    ):
        call(other_kms, arn, policy_json(root_statement(other_account)))
    metadata = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert metadata["KeyState"] == "Enabled"
    assert metadata["Description"] == shared_key["Description"]
    assert kms.get_key_policy(KeyId=arn)["Policy"] == policy_before
    assert kms.list_resource_tags(KeyId=arn)["Tags"] == []


# --------------------------------------------------------------------------- aliases


def test_create_alias_needs_permission_on_the_alias_and_on_the_key(
    make_actor: ActorMaker, kms: Any, key: dict[str, Any], aliases: AliasTracker, account: Account
) -> None:
    name = unique_alias()
    alias_arn = account.alias_arn(name)
    actions = ["kms:CreateAlias", "kms:DeleteAlias"]
    key_only = make_actor(policies={"p": policy_json(allow(actions, key["Arn"]))})
    alias_only = make_actor(policies={"p": policy_json(allow(actions, alias_arn))})
    both = make_actor(policies={"p": policy_json(allow(actions, [alias_arn, key["Arn"]]))})

    with expect_error(
        "AccessDeniedException",
        message=denied(key_only.arn, "CreateAlias", alias_arn, NO_IDENTITY_POLICY),
    ):
        key_only.kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    with expect_error(
        "AccessDeniedException",
        message=denied(alias_only.arn, "CreateAlias", key["Arn"], NO_IDENTITY_POLICY),
    ):
        alias_only.kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    aliases.create(key["KeyId"], name, kms=both.kms)
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]

    with expect_error(
        "AccessDeniedException",
        message=denied(alias_only.arn, "DeleteAlias", key["Arn"], NO_IDENTITY_POLICY),
    ):
        alias_only.kms.delete_alias(AliasName=name)
    both.kms.delete_alias(AliasName=name)
    wait_for_outcome(lambda: kms.describe_key(KeyId=name), "NotFoundException", "alias deleted")


def test_update_alias_needs_permission_on_the_alias_and_on_both_keys(
    make_actor: ActorMaker,
    kms: Any,
    key: dict[str, Any],
    other_key: dict[str, Any],
    aliases: AliasTracker,
    account: Account,
) -> None:
    name = aliases.create(key["KeyId"])
    alias_arn = account.alias_arn(name)
    new_key_only = make_actor(
        policies={"p": policy_json(allow("kms:UpdateAlias", [alias_arn, other_key["Arn"]]))}
    )
    all_three = make_actor(
        policies={
            "p": policy_json(allow("kms:UpdateAlias", [alias_arn, key["Arn"], other_key["Arn"]]))
        }
    )
    with expect_error(
        "AccessDeniedException",
        message=denied(new_key_only.arn, "UpdateAlias", key["Arn"], NO_IDENTITY_POLICY),
    ):
        new_key_only.kms.update_alias(AliasName=name, TargetKeyId=other_key["KeyId"])
    all_three.kms.update_alias(AliasName=name, TargetKeyId=other_key["KeyId"])
    wait_until(
        lambda: kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == other_key["KeyId"],
        timeout=CACHE_BOUND_S,
        message="the alias names the new key",
    )


# --------------------------------------------------------------------------- credentials


def test_a_deactivated_access_key_is_unrecognized_within_the_cache_bound(
    server: Server, make_actor: ActorMaker
) -> None:
    actor = make_actor(policies={"p": policy_json(allow("kms:ListKeys"))})
    list_keys = lambda: actor.kms.list_keys(Limit=1)  # noqa: E731
    assert error_code(list_keys) == "ok"

    set_access_key_status(server, actor.user.credentials.access_key_id, active=False)
    elapsed = wait_for_outcome(list_keys, "UnrecognizedClientException", "deactivated key")
    assert elapsed <= CACHE_BOUND_S
    with expect_error(
        "UnrecognizedClientException",
        message="The security token included in the request is invalid.",
    ):
        list_keys()

    set_access_key_status(server, actor.user.credentials.access_key_id, active=True)
    wait_for_outcome(list_keys, "ok", "reactivated key")


def test_resource_aliases_and_request_alias_condition_keys_follow_the_keys_aliases(
    kms: Any, make_actor: ActorMaker
) -> None:
    # ABAC with aliases (kms-semantics §9.4): the identity policy allows Encrypt only on keys
    # that carry an alias matching alias/finance-*, and only when called by that alias.
    suffix = uuid.uuid4().hex[:8]
    actor = make_actor(
        policies={
            "by-alias": policy_json(
                allow(
                    "kms:Encrypt",
                    Condition={
                        "ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/finance-*"}
                    },
                ),
                allow(
                    "kms:Decrypt", Condition={"StringLike": {"kms:RequestAlias": "alias/finance-*"}}
                ),
            )
        }
    )
    key = create_key(kms)
    assert error_code(lambda: actor.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")) == (
        "AccessDeniedException"
    )
    alias = f"alias/finance-{suffix}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    try:
        blob = actor.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
        # Decrypt by blob alone names no alias: kms:RequestAlias is absent, so it is refused;
        # naming the key by its alias supplies it.
        assert error_code(lambda: actor.kms.decrypt(CiphertextBlob=blob)) == "AccessDeniedException"
        assert actor.kms.decrypt(CiphertextBlob=blob, KeyId=alias)["Plaintext"] == b"x"
    finally:
        kms.delete_alias(AliasName=alias)
    assert error_code(lambda: actor.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")) == (
        "AccessDeniedException"
    )
