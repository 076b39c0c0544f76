"""Tags: TagResource, UntagResource, ListResourceTags (kms-semantics §12)."""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.domain.tags import Tag
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.keys import EmptyResult
from strongroom.service.lookup import authorized_key_id, cached_key, locked_key
from strongroom.service.markers import make_marker, read_marker
from strongroom.service.tag_rules import check_new_tags, check_tag_count


@dataclass(frozen=True, slots=True)
class TagResourceRequest:
    key_id: str
    tags: list[Tag]


async def tag_resource(ctx: ServiceContext, caller: Caller, req: TagResourceRequest) -> EmptyResult:
    check_new_tags(req.tags)
    key_id = await authorized_key_id(ctx, caller, req.key_id, "TagResource")

    def write() -> None:
        with ctx.store.unit_of_work() as uow:
            locked_key(uow, caller, key_id, "TagResource")
            check_tag_count(uow.tags.list(key_id), req.tags)
            uow.tags.put(key_id, req.tags)

    await ctx.run(write)
    return EmptyResult()


@dataclass(frozen=True, slots=True)
class UntagResourceRequest:
    key_id: str
    tag_keys: list[str]


async def untag_resource(
    ctx: ServiceContext, caller: Caller, req: UntagResourceRequest
) -> EmptyResult:
    key_id = await authorized_key_id(ctx, caller, req.key_id, "UntagResource")

    def write() -> None:
        with ctx.store.unit_of_work() as uow:
            locked_key(uow, caller, key_id, "UntagResource")
            uow.tags.delete(key_id, req.tag_keys)

    await ctx.run(write)
    return EmptyResult()


@dataclass(frozen=True, slots=True)
class ListResourceTagsRequest:
    key_id: str
    limit: int | None = None
    marker: str | None = None


@dataclass(frozen=True, slots=True)
class ListResourceTagsResult:
    tags: list[Tag]
    truncated: bool
    next_marker: str | None = None


async def list_resource_tags(
    ctx: ServiceContext, caller: Caller, req: ListResourceTagsRequest
) -> ListResourceTagsResult:
    key = await cached_key(ctx, caller, req.key_id, "ListResourceTags", allow_alias=False)
    limit = req.limit or 50
    after = read_marker(req.marker)

    def read() -> list[Tag]:
        with ctx.store.unit_of_work(write=False) as uow:
            return uow.tags.list(key.record.key_id)

    tags = [t for t in await ctx.run(read) if after is None or t.key > after]
    page = tags[:limit]
    truncated = len(tags) > limit
    return ListResourceTagsResult(
        tags=page, truncated=truncated, next_marker=make_marker(page[-1].key) if truncated else None
    )
