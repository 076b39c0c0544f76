"""Key policies may only name users and roles that exist (kms-semantics §9.2)."""

from __future__ import annotations

from strongroom.policy import Policy
from strongroom.service.context import ServiceContext
from strongroom.service.errors import MalformedPolicyDocumentException
from strongroom.service.policy_documents import INVALID_PRINCIPALS, named_principals


async def require_existing_principals(ctx: ServiceContext, policy: Policy) -> None:
    """Raise MalformedPolicyDocumentException if a named user or role does not exist."""
    arns = named_principals(policy)
    if not arns:
        return

    def missing() -> bool:
        with ctx.store.unit_of_work(write=False) as uow:
            return any(uow.identities.get_principal_by_arn(arn) is None for arn in arns)

    if await ctx.run(missing):
        raise MalformedPolicyDocumentException(INVALID_PRINCIPALS)
