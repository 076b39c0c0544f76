"""The ``Action`` / ``NotAction`` element: which API actions a statement covers.

An action is ``<service prefix>:<name>`` (``kms:Encrypt``) or ``"*"``. Matching
is case-insensitive, and ``*`` / ``?`` are wildcards anywhere in the name
(``kms:Describe*``, ``kms:ReEncrypt*``, ``kms:*``), as in the IAM User Guide
("IAM JSON policy elements: Action"). The element takes one string or a
non-empty list of strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.policy.conditions import wildcard_match

__all__ = ["ActionSet", "parse_actions"]

# A service prefix, a colon, then a name made of letters, digits and wildcards.
_ACTION = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9*?]+")
# IAM's own text for an action without a service prefix.
_INVALID_ACTION = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."


@dataclass(frozen=True, slots=True)
class ActionSet:
    """The patterns of an ``Action`` (``negated=False``) or ``NotAction`` element, lower-case."""

    patterns: tuple[str, ...]
    negated: bool = False

    def matches(self, action: str) -> bool:
        """Whether the statement covers ``action`` (for NotAction: no pattern matches it)."""
        lowered = action.lower()
        hit = any(wildcard_match(p, lowered) for p in self.patterns)
        return hit != self.negated


def parse_actions(raw: object, *, negated: bool) -> ActionSet:
    """Parse an ``Action``/``NotAction`` value; raise ``ValueError`` if it is not valid."""
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise ValueError(_INVALID_ACTION)
    patterns: list[str] = []
    for item in items:
        if not isinstance(item, str) or not (item == "*" or _ACTION.fullmatch(item)):
            raise ValueError(_INVALID_ACTION)
        patterns.append(item.lower())
    return ActionSet(tuple(patterns), negated)
