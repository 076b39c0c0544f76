"""Administrative calls beside the KMS API (``X-Amz-Target: StrongroomAdmin.<Call>``).

Authenticated with SigV4 like every KMS call and authorized by the caller's
identity policies with IAM action names (``iam:CreateUser`` on
``arn:aws:iam::<account>:user/<name>``…); a caller manages its own account only.
Bodies and answers are JSON with IAM's member names:

    CreateUser        {UserName}                               -> {Arn, PrincipalId}
    CreateRole        {RoleName, AssumeRolePolicyDocument}     -> {Arn, PrincipalId}
    CreateAccessKey   {UserName}                               -> {AccessKeyId, SecretAccessKey}
    UpdateAccessKey   {AccessKeyId, Status: Active|Inactive}   -> {}
    PutUserPolicy     {UserName, PolicyName, PolicyDocument}   -> {}
    PutRolePolicy     {RoleName, PolicyName, PolicyDocument}   -> {}
    DeleteUserPolicy  {UserName, PolicyName}                   -> {}
    DeleteRolePolicy  {RoleName, PolicyName}                   -> {}
    ListPrincipals    {}                                       -> {Principals: [...]}
    AdvanceClock      {Seconds}    (servers in test mode only) -> {Now}
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strongroom.clock import Clock, FileOffsetClock
from strongroom.crypto.wrapping import RootKey
from strongroom.service import identities
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import (
    AccessDeniedException,
    UnknownOperationException,
    ValidationException,
)

Handler = Callable[[dict[str, Any], Caller], Awaitable[dict[str, Any]]]


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ValidationException(f"{name} is required and must be a string.")
    return value


class AdminOperations:
    def __init__(
        self,
        *,
        ctx: ServiceContext,
        root_key: RootKey,
        clock: Clock,
        test_clock: FileOffsetClock | None,
        forget_access_key: Callable[[str], None],
    ) -> None:
        self._ctx = ctx
        self._root_key = root_key
        self._clock = clock
        self._test_clock = test_clock
        self._forget_access_key = forget_access_key
        self._handlers: dict[str, Handler] = {
            "AdvanceClock": self._advance_clock,
            "CreateUser": self._create_user,
            "CreateRole": self._create_role,
            "CreateAccessKey": self._create_access_key,
            "UpdateAccessKey": self._update_access_key,
            "PutUserPolicy": self._put_policy("user"),
            "PutRolePolicy": self._put_policy("role"),
            "DeleteUserPolicy": self._delete_policy("user"),
            "DeleteRolePolicy": self._delete_policy("role"),
            "ListPrincipals": self._list_principals,
        }

    async def call(self, name: str, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        handler = self._handlers.get(name)
        if handler is None:
            raise UnknownOperationException("")
        if caller.via_service is not None:
            # A service acts for users on KMS only; it never administers identities.
            raise AccessDeniedException(
                f"Service {caller.via_service} cannot call StrongroomAdmin.{name}."
            )
        return await handler(body, caller)

    async def _allowed(self, caller: Caller, action: str, kind: str, name: str) -> str:
        """The ARN of ``kind``/``name`` in the caller's account, once ``action`` is allowed."""
        arn = f"arn:aws:iam::{caller.account_id}:{kind}/{name}"
        await self._ctx.authorizer.check_identity(caller, f"iam:{action}", arn)
        return arn

    async def _advance_clock(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        if self._test_clock is None:
            raise AccessDeniedException("The clock can only be moved on a server in test mode.")
        await self._ctx.authorizer.check_identity(caller, "strongroom:AdvanceClock", "*")
        seconds = body.get("Seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ValidationException("Seconds must be a non-negative number.")
        return {"Now": self._test_clock.advance(float(seconds))}

    async def _create_user(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        name = _text(body, "UserName")
        await self._allowed(caller, "CreateUser", "user", name)
        principal = await self._ctx.run(
            lambda: identities.create_principal(
                self._ctx.store, self._clock, caller.account_id, name, kind="user"
            )
        )
        return {"Arn": principal.arn, "PrincipalId": principal.principal_id}

    async def _create_role(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        name = _text(body, "RoleName")
        trust = _text(body, "AssumeRolePolicyDocument")
        await self._allowed(caller, "CreateRole", "role", name)
        principal = await self._ctx.run(
            lambda: identities.create_principal(
                self._ctx.store,
                self._clock,
                caller.account_id,
                name,
                kind="role",
                trust_policy=trust,
            )
        )
        return {"Arn": principal.arn, "PrincipalId": principal.principal_id}

    async def _create_access_key(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        arn = await self._allowed(caller, "CreateAccessKey", "user", _text(body, "UserName"))
        issued = await self._ctx.run(
            lambda: identities.create_access_key(self._ctx.store, self._root_key, self._clock, arn)
        )
        return {"AccessKeyId": issued.access_key_id, "SecretAccessKey": issued.secret_access_key}

    async def _update_access_key(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        access_key_id = _text(body, "AccessKeyId")
        status = _text(body, "Status")
        if status not in ("Active", "Inactive"):
            raise ValidationException("Status must be Active or Inactive.")
        owner = await self._ctx.run(
            lambda: identities.access_key_owner(self._ctx.store, access_key_id)
        )
        if owner is None or owner.account_id != caller.account_id:
            raise AccessDeniedException(
                f"User: {caller.principal_arn} is not authorized to perform: "
                f"iam:UpdateAccessKey on access key {access_key_id}"
            )
        await self._ctx.authorizer.check_identity(caller, "iam:UpdateAccessKey", owner.arn)
        await self._ctx.run(
            lambda: identities.set_access_key_status(
                self._ctx.store, access_key_id, status == "Active"
            )
        )
        self._forget_access_key(access_key_id)
        return {}

    def _put_policy(self, kind: str) -> Handler:
        member = "UserName" if kind == "user" else "RoleName"
        action = "PutUserPolicy" if kind == "user" else "PutRolePolicy"

        async def handler(body: dict[str, Any], caller: Caller) -> dict[str, Any]:
            arn = await self._allowed(caller, action, kind, _text(body, member))
            name, document = _text(body, "PolicyName"), _text(body, "PolicyDocument")
            principal_id = await self._ctx.run(
                lambda: identities.put_identity_policy(self._ctx.store, arn, name, document)
            )
            self._ctx.authorizer.forget_principal(principal_id)
            return {}

        return handler

    def _delete_policy(self, kind: str) -> Handler:
        member = "UserName" if kind == "user" else "RoleName"
        action = "DeleteUserPolicy" if kind == "user" else "DeleteRolePolicy"

        async def handler(body: dict[str, Any], caller: Caller) -> dict[str, Any]:
            arn = await self._allowed(caller, action, kind, _text(body, member))
            name = _text(body, "PolicyName")
            principal_id = await self._ctx.run(
                lambda: identities.delete_identity_policy(self._ctx.store, arn, name)
            )
            self._ctx.authorizer.forget_principal(principal_id)
            return {}

        return handler

    async def _list_principals(self, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        await self._ctx.authorizer.check_identity(
            caller, "iam:ListPrincipals", f"arn:aws:iam::{caller.account_id}:*"
        )
        found = await self._ctx.run(
            lambda: identities.describe_account(self._ctx.store, caller.account_id)
        )
        return {"Principals": found}
