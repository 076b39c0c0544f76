"""AWS managed keys: ``alias/aws/<service>``, made on first use (kms-semantics §13).

The key policy is AWS's managed-key policy: anyone in the account may use the
key through the service (kms:ViaService + kms:CallerAccount), and the account
may only read its metadata and revoke grants, so every management call on it
ends in AccessDeniedException. Rotation is always on, yearly.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid

from strongroom.domain.aliases import Alias
from strongroom.domain.errors import Conflict
from strongroom.domain.keys import KeyRecord, KeyState, KeyVersion
from strongroom.domain.repositories import Store
from strongroom.keystores.default import DefaultKeyStore
from strongroom.service.arns import account_root_arn, key_arn

PREFIX = "alias/aws/"
ROTATION_DAYS = 365
_SERVICE = re.compile(r"alias/aws/([a-z][a-z0-9-]{1,62})")


def service_of(alias_name: str) -> str | None:
    """The service a predefined alias names, or None if it is not one."""
    m = _SERVICE.fullmatch(alias_name)
    return None if m is None else m.group(1)


def managed_key_policy(account_id: str, region: str, service: str) -> str:
    via = f"{service}.{region}.amazonaws.com"
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": f"auto-{service}-1",
            "Statement": [
                {
                    "Sid": f"Allow access through {service} for all principals in the account "
                    f"that are authorized to use {service}",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:CreateGrant",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"kms:CallerAccount": account_id, "kms:ViaService": via}
                    },
                },
                {
                    "Sid": "Allow direct access to key metadata to the account",
                    "Effect": "Allow",
                    "Principal": {"AWS": account_root_arn(account_id)},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                    "Resource": "*",
                },
            ],
        },
        indent=2,
    )


def ensure_managed_key(
    store: Store,
    keystore: DefaultKeyStore,
    account_id: str,
    region: str,
    alias_name: str,
    now: float,
) -> str | None:
    """The id of the managed key ``alias_name`` names, created now if it does not exist.

    None if ``alias_name`` is not a predefined ``alias/aws/<service>`` alias.
    Two nodes creating it at once end with one key: the loser's transaction
    fails on the alias and it reads the winner's.
    """
    service = service_of(alias_name)
    if service is None:
        return None
    key_id = str(uuid.uuid4())
    arn = key_arn(region, account_id, key_id)
    version_id = secrets.token_bytes(32)
    material = keystore.new_symmetric_material()
    record = KeyRecord(
        key_id=key_id,
        account_id=account_id,
        region=region,
        arn=arn,
        key_spec="SYMMETRIC_DEFAULT",
        key_usage="ENCRYPT_DECRYPT",
        origin="AWS_KMS",
        key_manager="AWS",
        state=KeyState.ENABLED,
        description=f"Default key that protects my {service} data when no other key is defined",
        created_at=now,
        primary_version_id=version_id,
        policy=managed_key_policy(account_id, region, service),
        rotation_enabled=True,
        rotation_period_days=ROTATION_DAYS,
        next_rotation_at=now + ROTATION_DAYS * 86_400.0,
    )
    version = KeyVersion(
        key_id, version_id, keystore.wrap(arn, version_id, record.key_spec, material), now
    )
    try:
        with store.unit_of_work() as uow:
            existing = uow.aliases.get(account_id, region, alias_name)
            if existing is not None:
                return existing.target_key_id
            uow.keys.insert(record, version)
            uow.aliases.insert(Alias(account_id, region, alias_name, key_id, now, now))
    except Conflict:
        with store.unit_of_work(write=False) as uow:
            winner = uow.aliases.get(account_id, region, alias_name)
        return None if winner is None else winner.target_key_id
    return key_id
