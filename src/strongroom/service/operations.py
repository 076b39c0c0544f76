"""The table of KMS operations this server answers: name -> request type and handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from strongroom.service import (
    aliases,
    crypto_ops,
    data_key_pairs,
    deletion,
    grants,
    imports,
    key_agreement,
    key_usage,
    keys,
    macs,
    policies,
    random_bytes,
    rotation,
    signing,
    tags,
)
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext

Handler = Callable[[ServiceContext, Caller, Any], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    request_type: type[Any]
    handler: Handler


def _table(*ops: tuple[str, type[Any], Handler]) -> dict[str, Operation]:
    return {name: Operation(name, request_type, handler) for name, request_type, handler in ops}


OPERATIONS: dict[str, Operation] = _table(
    ("CreateKey", keys.CreateKeyRequest, keys.create_key),
    ("DescribeKey", keys.DescribeKeyRequest, keys.describe_key),
    ("ListKeys", keys.ListKeysRequest, keys.list_keys),
    ("UpdateKeyDescription", keys.UpdateKeyDescriptionRequest, keys.update_key_description),
    ("EnableKey", keys.KeyIdRequest, keys.enable_key),
    ("DisableKey", keys.KeyIdRequest, keys.disable_key),
    ("Encrypt", crypto_ops.EncryptRequest, crypto_ops.encrypt),
    ("Decrypt", crypto_ops.DecryptRequest, crypto_ops.decrypt),
    ("ReEncrypt", crypto_ops.ReEncryptRequest, crypto_ops.re_encrypt),
    ("GenerateDataKey", crypto_ops.GenerateDataKeyRequest, crypto_ops.generate_data_key),
    (
        "GenerateDataKeyWithoutPlaintext",
        crypto_ops.GenerateDataKeyRequest,
        crypto_ops.generate_data_key_without_plaintext,
    ),
    ("GenerateRandom", random_bytes.GenerateRandomRequest, random_bytes.generate_random),
    ("CreateAlias", aliases.CreateAliasRequest, aliases.create_alias),
    ("UpdateAlias", aliases.UpdateAliasRequest, aliases.update_alias),
    ("DeleteAlias", aliases.DeleteAliasRequest, aliases.delete_alias),
    ("ListAliases", aliases.ListAliasesRequest, aliases.list_aliases),
    ("TagResource", tags.TagResourceRequest, tags.tag_resource),
    ("UntagResource", tags.UntagResourceRequest, tags.untag_resource),
    ("ListResourceTags", tags.ListResourceTagsRequest, tags.list_resource_tags),
    ("GetKeyPolicy", policies.GetKeyPolicyRequest, policies.get_key_policy),
    ("ListKeyPolicies", policies.ListKeyPoliciesRequest, policies.list_key_policies),
    ("PutKeyPolicy", policies.PutKeyPolicyRequest, policies.put_key_policy),
    ("CreateGrant", grants.CreateGrantRequest, grants.create_grant),
    ("ListGrants", grants.ListGrantsRequest, grants.list_grants),
    ("ListRetirableGrants", grants.ListRetirableGrantsRequest, grants.list_retirable_grants),
    ("RetireGrant", grants.RetireGrantRequest, grants.retire_grant),
    ("RevokeGrant", grants.RevokeGrantRequest, grants.revoke_grant),
    ("EnableKeyRotation", rotation.EnableKeyRotationRequest, rotation.enable_key_rotation),
    ("DisableKeyRotation", keys.KeyIdRequest, rotation.disable_key_rotation),
    ("GetKeyRotationStatus", keys.KeyIdRequest, rotation.get_key_rotation_status),
    ("RotateKeyOnDemand", keys.KeyIdRequest, rotation.rotate_key_on_demand),
    ("ListKeyRotations", rotation.ListKeyRotationsRequest, rotation.list_key_rotations),
    ("ScheduleKeyDeletion", deletion.ScheduleKeyDeletionRequest, deletion.schedule_key_deletion),
    ("CancelKeyDeletion", keys.KeyIdRequest, deletion.cancel_key_deletion),
    ("Sign", signing.SignRequest, signing.sign),
    ("Verify", signing.VerifyRequest, signing.verify),
    ("GetPublicKey", signing.GetPublicKeyRequest, signing.get_public_key),
    ("GetKeyLastUsage", keys.KeyIdRequest, key_usage.get_key_last_usage),
    ("GenerateMac", macs.GenerateMacRequest, macs.generate_mac),
    ("VerifyMac", macs.VerifyMacRequest, macs.verify_mac),
    (
        "DeriveSharedSecret",
        key_agreement.DeriveSharedSecretRequest,
        key_agreement.derive_shared_secret,
    ),
    (
        "GetParametersForImport",
        imports.GetParametersForImportRequest,
        imports.get_parameters_for_import,
    ),
    ("ImportKeyMaterial", imports.ImportKeyMaterialRequest, imports.import_key_material),
    (
        "DeleteImportedKeyMaterial",
        imports.DeleteImportedKeyMaterialRequest,
        imports.delete_imported_key_material,
    ),
    (
        "GenerateDataKeyPair",
        data_key_pairs.GenerateDataKeyPairRequest,
        data_key_pairs.generate_data_key_pair,
    ),
    (
        "GenerateDataKeyPairWithoutPlaintext",
        data_key_pairs.GenerateDataKeyPairRequest,
        data_key_pairs.generate_data_key_pair_without_plaintext,
    ),
)
