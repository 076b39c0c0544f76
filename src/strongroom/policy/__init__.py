"""Key policies and IAM identity policies: parsing, matching and AWS KMS's authorization logic.

A pure layer: no I/O, no clock (time comes in the request's condition
context), no imports from the rest of Strongroom.

Modules, bottom up:

* ``conditions`` — condition operators, ``IfExists``, ``Null``, set qualifiers;
  the wildcard and ARN matchers the other modules share.
* ``actions`` — ``Action``/``NotAction``.
* ``principals`` — the caller (:class:`Principal`) and ``Principal``/``NotPrincipal``.
* ``document`` — the document grammar: :func:`parse_policy` -> :class:`Policy`,
  or :class:`MalformedPolicy`.
* ``evaluate`` — :func:`statement_matches`, :func:`evaluate_policy`, :func:`authorize`.

Typical use::

    key_policy = parse_policy(stored_text, resource_policy=True)
    decision = authorize(
        request=Request("kms:Encrypt", key_arn, Principal.from_arn(caller_arn), context),
        key_policy=key_policy,
        key_account=key_account_id,
        identity_policies=[parse_policy(p, resource_policy=False) for p in iam_policies],
        grant_allows=False,
    )
"""

from strongroom.policy.conditions import Condition
from strongroom.policy.document import (
    Effect,
    MalformedPolicy,
    Policy,
    Statement,
    parse_policy,
)
from strongroom.policy.evaluate import (
    Decision,
    Denial,
    Match,
    PolicyResult,
    Request,
    authorize,
    evaluate_policy,
    statement_matches,
)
from strongroom.policy.principals import Principal

__all__ = [
    "Condition",
    "Decision",
    "Denial",
    "Effect",
    "MalformedPolicy",
    "Match",
    "Policy",
    "PolicyResult",
    "Principal",
    "Request",
    "Statement",
    "authorize",
    "evaluate_policy",
    "parse_policy",
    "statement_matches",
]
