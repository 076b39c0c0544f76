"""Checks on tags that the service model cannot express (kms-semantics §12)."""

from __future__ import annotations

from collections.abc import Sequence

from strongroom.domain.tags import Tag
from strongroom.service.errors import TagException

MAX_TAGS_PER_KEY = 50


def check_new_tags(tags: Sequence[Tag]) -> None:
    """Raise TagException for reserved or duplicate keys in one request."""
    seen: set[str] = set()
    for tag in tags:
        if tag.key.startswith("aws:"):
            raise TagException("Tags beginning with aws: are reserved")
        if tag.key in seen:
            raise TagException("Duplicate tag keys")
        seen.add(tag.key)


def check_tag_count(existing: Sequence[Tag], new: Sequence[Tag]) -> None:
    """Raise TagException if the key would hold more than 50 tags."""
    keys = {t.key for t in existing} | {t.key for t in new}
    if len(keys) > MAX_TAGS_PER_KEY:
        raise TagException("Too many tags")
