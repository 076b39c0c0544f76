"""AWS Signature Version 4 verification of incoming requests.

Two steps, both pure (no clock, no I/O, no logging):

1. ``parse_authorization(headers)`` reads the ``Authorization`` header of a raw
   ASGI request into an ``AuthHeader``. The caller then looks up the secret
   access key for ``AuthHeader.access_key_id`` (and checks that ``region`` and
   ``service`` are its own: that is not done here).
2. ``SigV4Verifier.verify(auth, secret, ...)`` rebuilds the canonical request,
   the string to sign and the signature, and compares them in constant time.

The canonical request follows the SigV4 specification as botocore's
``SigV4Auth`` implements it for services other than S3, because that is what
our clients send:

- canonical URI: dot segments and empty segments removed from the raw path
  (``botocore.utils.normalize_url_path``), then every byte outside the RFC 3986
  unreserved set and ``/`` percent-encoded once more. The raw path arrives
  already percent-encoded, so ``%20`` becomes ``%2520``, the double encoding
  that SigV4 prescribes for every service but S3.
- canonical query string: each ``key=value`` pair decoded as a form would be
  (``+`` is a space), re-encoded with only the unreserved set left alone,
  sorted by key then by value.
- canonical headers: the signed headers, sorted, ``name:value`` with each value
  trimmed and inner runs of whitespace collapsed to one space; repeated headers
  are joined with ``,`` in the order received. Whitespace here is ASCII
  whitespace (``bytes.split``); botocore uses ``str.split``, which also splits
  on a few Unicode spaces, but it cannot send non-ASCII header values intact.
- payload hash: always the hex SHA-256 of the body as received. A request that
  carries ``x-amz-content-sha256`` must carry that same value, so
  ``UNSIGNED-PAYLOAD`` and the streaming forms are refused: a KMS request body
  is always signed.

Error messages are AWS's where AWS's are known. They may echo what the client
sent (its Authorization header, its date); they never contain the secret
access key, and nothing in this module logs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote_to_bytes

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

from strongroom.service.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
)

__all__ = [
    "ALGORITHM",
    "AuthHeader",
    "SigV4Verifier",
    "canonical_query_string",
    "canonical_request",
    "canonical_uri",
    "credential_scope",
    "parse_authorization",
    "signature",
    "signing_key",
    "string_to_sign",
]

ALGORITHM = "AWS4-HMAC-SHA256"
_TERMINATOR = "aws4_request"

# AWS's messages, as its JSON services return them.
_MISSING_AUTHENTICATION = "Missing Authentication Token"
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
_CONTENT_SHA256_MISMATCH = (
    "The provided 'x-amz-content-sha256' header does not match what was computed."
)
_DATE_REQUIRED = (
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
)

_AUTHORIZATION = b"authorization"
_X_AMZ_DATE = b"x-amz-date"
_DATE = b"date"
_X_AMZ_CONTENT_SHA256 = b"x-amz-content-sha256"
_STS_PREFIX = ALGORITHM.encode("ascii") + b"\n"
_TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
# Parsed X-Amz-Date values: requests signed in the same second share one.
_TIME_CACHE_SIZE = 4096
# Days from 0001-01-01 (ordinal 1) to 1970-01-01.
_UNIX_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


# Sorted signed header names (bytes), the names to collect from the request
# (signed ones plus the date and content-hash headers), and the SignedHeaders
# line of the canonical request.
_Plan = tuple[tuple[bytes, ...], frozenset[bytes], bytes]


@dataclass(frozen=True, slots=True)
class AuthHeader:
    """The parts of an ``AWS4-HMAC-SHA256`` Authorization header."""

    access_key_id: str
    date: str  # YYYYMMDD from the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]  # lower-case, as listed
    signature: str  # hex as sent


# --------------------------------------------------------------------------- parsing


def parse_authorization(headers: Sequence[tuple[bytes, bytes]]) -> AuthHeader:
    """Parse the Authorization header of a raw ASGI request.

    ``headers`` are ASGI's ``(name, value)`` byte pairs, names lower-case.

    Raises ``MissingAuthenticationTokenException`` if there is no Authorization
    header, and ``IncompleteSignatureException`` (with AWS's message) if there
    is more than one, if a parameter is not ``key=value``, if ``Credential``,
    ``SignedHeaders`` or ``Signature`` is missing, if the request has neither
    ``X-Amz-Date`` nor ``Date``, if the algorithm is not ``AWS4-HMAC-SHA256``,
    or if the credential is not ``keyid/date/region/service/aws4_request``.
    """
    raw: bytes | None = None
    has_date = False
    for name, value in headers:
        if name == _AUTHORIZATION:
            if raw is not None:  # our wording: AWS's is not documented
                raise IncompleteSignatureException(
                    "The request must carry exactly one Authorization header."
                )
            raw = value
        elif name in (_X_AMZ_DATE, _DATE):
            has_date = True
    if raw is None:
        raise MissingAuthenticationTokenException(_MISSING_AUTHENTICATION)

    # latin-1 maps every byte to a character, so decoding never fails.
    text = raw.decode("latin-1").strip()
    algorithm, _, rest = text.partition(" ")
    # AWS splits the parameters on commas and on whitespace alike: a stray
    # space inside a value shows up as a token without "=".
    tokens = rest.replace(",", " ").split()
    if (
        len(tokens) == 3
        and tokens[0].startswith("Credential=")
        and tokens[1].startswith("SignedHeaders=")
        and tokens[2].startswith("Signature=")
    ):  # the order every SDK sends
        credential: str | None = tokens[0][11:]
        signed: str | None = tokens[1][14:]
        sig: str | None = tokens[2][10:]
    else:
        params: dict[str, str] = {}
        for token in tokens:
            key, eq, param = token.partition("=")
            if not eq:
                raise IncompleteSignatureException(
                    f"'{token}' not a valid key=value pair (missing equal-sign) "
                    f"in Authorization header: '{text}'."
                )
            params[key] = param
        credential = params.get("Credential")
        signed = params.get("SignedHeaders")
        sig = params.get("Signature")
    missing = []
    if credential is None:
        missing.append("Authorization header requires 'Credential' parameter.")
    if sig is None:
        missing.append("Authorization header requires 'Signature' parameter.")
    if signed is None:
        missing.append("Authorization header requires 'SignedHeaders' parameter.")
    if not has_date:
        missing.append(_DATE_REQUIRED)
    if missing:
        raise IncompleteSignatureException(" ".join(missing) + f" Authorization={text}")
    assert credential is not None and signed is not None and sig is not None

    if algorithm != ALGORITHM:
        # AWS's wording for this case is not documented; this is ours.
        raise IncompleteSignatureException(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    scope = credential.split("/")
    if len(scope) != 5:
        raise IncompleteSignatureException(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential}'"
        )
    access_key_id, date, region, service, terminator = scope
    if terminator != _TERMINATOR:
        raise IncompleteSignatureException(
            f"Credential should be scoped with a valid terminator: '{_TERMINATOR}', "
            f"not '{terminator}'."
        )
    return AuthHeader(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=service,
        signed_headers=_split_signed_headers(signed),
        signature=sig,
    )


@lru_cache(maxsize=256)
def _split_signed_headers(signed: str) -> tuple[str, ...]:
    # Clients send the same few SignedHeaders values over and over.
    return tuple(signed.lower().split(";"))


# --------------------------------------------------------------------------- the steps


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """Derive the SigV4 signing key: HMAC-SHA256 chained over date, region, service
    and ``aws4_request``, starting from ``"AWS4" + secret`` (UTF-8)."""
    key = hmac.digest(("AWS4" + secret).encode("utf-8"), date.encode("utf-8"), "sha256")
    key = hmac.digest(key, region.encode("utf-8"), "sha256")
    key = hmac.digest(key, service.encode("utf-8"), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


def credential_scope(date: str, region: str, service: str) -> str:
    """``date/region/service/aws4_request``, the third line of the string to sign."""
    return f"{date}/{region}/{service}/{_TERMINATOR}"


def canonical_uri(raw_path: bytes) -> bytes:
    """The canonical URI of a raw (still percent-encoded) request path.

    Empty and ``.`` segments are dropped and ``..`` removes the segment before
    it, as botocore does before signing; then every byte but the unreserved
    set and ``/`` is percent-encoded (so an existing ``%XX`` becomes ``%25XX``).
    """
    if raw_path == b"/":
        return b"/"
    return quote(_remove_dot_segments(raw_path), safe="/~").encode("ascii")


def canonical_query_string(query_string: bytes) -> bytes:
    """The canonical query string of a raw query string (without ``?``).

    Pairs are split on ``&`` and ``=``, decoded (``+`` is a space, as in a form:
    botocore sends query parameters through ``urlencode``), re-encoded leaving
    only ``A-Z a-z 0-9 - _ . ~`` as they are, and sorted by key, then by value.
    Empty pairs (``a=1&&b=2``) are skipped.
    """
    if not query_string:
        return b""
    pairs: list[tuple[bytes, bytes]] = []
    for item in query_string.split(b"&"):
        if item:
            key, _, value = item.partition(b"=")
            pairs.append((_encode_query_part(key), _encode_query_part(value)))
    pairs.sort()
    return b"&".join([key + b"=" + value for key, value in pairs])


def canonical_request(
    method: str,
    raw_path: bytes,
    query_string: bytes,
    headers: Sequence[tuple[bytes, bytes]],
    signed_headers: Sequence[str],
    payload_hash: str,
) -> bytes:
    """The canonical request, the bytes whose SHA-256 goes into the string to sign.

    ``headers`` are ASGI's byte pairs (names lower-case); only those named in
    ``signed_headers`` are used. ``payload_hash`` is the hex SHA-256 of the body.
    Raises ``InvalidSignatureException`` if a signed header is absent.
    """
    names, wanted, signed_line = _plan(signed_headers)
    lines = _header_lines(_collect_headers(headers, wanted), names)
    if lines is None:
        raise InvalidSignatureException(_SIGNATURE_MISMATCH)
    return _join_canonical_request(
        method.encode("ascii"),
        canonical_uri(raw_path),
        canonical_query_string(query_string),
        lines,
        signed_line,
        payload_hash.encode("ascii"),
    )


def string_to_sign(timestamp: str, scope: str, canonical_request: bytes) -> bytes:
    """``AWS4-HMAC-SHA256``, the request timestamp (``YYYYMMDDTHHMMSSZ``), the
    credential scope and the hex SHA-256 of the canonical request, one a line."""
    return b"%b%b\n%b\n%b" % (
        _STS_PREFIX,
        timestamp.encode("ascii"),
        scope.encode("utf-8"),
        hashlib.sha256(canonical_request).hexdigest().encode("ascii"),
    )


def signature(key: bytes, string_to_sign: bytes) -> str:
    """The hex HMAC-SHA256 of the string to sign under the signing key."""
    return hmac.digest(key, string_to_sign, "sha256").hex()


# --------------------------------------------------------------------------- verifier


class SigV4Verifier:
    """Verifies SigV4 signatures; keeps small bounded caches and nothing else.

    Derived signing keys are cached by ``(secret, date, region, service)``; a
    key is valid for one day and one scope only. The cache is a plain dict,
    emptied of its oldest entry when full; it is never logged or shown.
    """

    __slots__ = ("_cache_size", "_keys", "_known", "_max_skew", "_plans", "_skew_text", "_times")

    def __init__(self, *, max_skew_seconds: float = 300.0, cache_size: int = 1024) -> None:
        if max_skew_seconds < 0:
            raise ValueError("max_skew_seconds must not be negative")
        if cache_size < 1:
            raise ValueError("cache_size must be at least 1")
        self._max_skew = float(max_skew_seconds)
        minutes = self._max_skew / 60
        self._skew_text = f"{int(minutes)}" if minutes.is_integer() else f"{minutes:g}"
        self._cache_size = cache_size
        self._keys: dict[tuple[str, str, str, str], _SigningState] = {}
        self._plans: dict[tuple[str, ...], _Plan] = {}
        self._times: dict[bytes, int] = {}
        self._known: dict[bytes, AuthHeader] = {}

    def verify(
        self,
        auth: AuthHeader,
        secret_access_key: str,
        *,
        method: str,
        raw_path: bytes,
        query_string: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        now: float,
    ) -> None:
        """Accept the request or raise ``InvalidSignatureException``.

        Raises it, with AWS's message, when ``host`` is not a signed header,
        when neither ``X-Amz-Date`` nor ``Date`` is present or the one used is
        malformed, when its day is not the credential scope's date, when it is
        more than ``max_skew_seconds`` away from ``now`` (POSIX seconds), when
        ``x-amz-content-sha256`` is present and is not the body's hash, when a
        signed header is absent, and when the signature does not match
        (compared with ``hmac.compare_digest``). ``X-Amz-Date`` wins over
        ``Date`` when both are present.
        """
        plan = self._plan_for(auth.signed_headers)
        found = _collect_headers(headers, plan[1])
        self._check(
            auth,
            auth.signature,
            secret_access_key,
            plan,
            found,
            method.encode("ascii", "replace"),
            raw_path,
            query_string,
            body,
            now,
        )

    def recall(self, raw: bytes) -> tuple[AuthHeader, str] | None:
        """A raw Authorization value whose credential part was accepted before, as
        ``(header, signature)``; None for anything else (parse it in full then).

        Clients sign every request with the same ``Credential`` and
        ``SignedHeaders`` for a day: only the signature changes. Only values in
        the exact form ``remember`` recorded are recognised, so a header that
        would fail to parse is never taken for a known one.
        """
        prefix, sep, sig = raw.rpartition(b", Signature=")
        if not sep or len(sig) != 64 or not sig.isalnum():
            return None
        auth = self._known.get(prefix)
        return None if auth is None else (auth, sig.decode("ascii"))

    def remember(self, raw: bytes, auth: AuthHeader) -> None:
        """Record ``raw``'s credential part once a request carrying it was authenticated
        (credential, region and service accepted), if it is in the form SDKs send."""
        prefix = (
            f"{ALGORITHM} Credential={auth.access_key_id}/{auth.date}/{auth.region}/"
            f"{auth.service}/{_TERMINATOR}, SignedHeaders={';'.join(auth.signed_headers)}"
        ).encode("utf-8", "replace")
        if raw != prefix + b", Signature=" + auth.signature.encode("utf-8", "replace"):
            return
        if len(self._known) >= self._cache_size:
            self._known.clear()
        self._known[prefix] = auth

    def verify_known(
        self,
        auth: AuthHeader,
        signature: str,
        secret_access_key: str,
        *,
        raw_path: bytes,
        query_string: bytes,
        headers: Mapping[bytes, bytes],
        body: bytes,
        now: float,
    ) -> None:
        """``verify`` for a POST whose header ``recall`` recognised, with the request's
        headers as a mapping (the request repeats no header name)."""
        plan = self._plan_for(auth.signed_headers)
        self._check(
            auth,
            signature,
            secret_access_key,
            plan,
            _pick_headers(headers, plan[1]),
            b"POST",
            raw_path,
            query_string,
            body,
            now,
        )

    def _plan_for(self, signed_headers: tuple[str, ...]) -> _Plan:
        plan = self._plans.get(signed_headers)
        if plan is None:
            if "host" not in signed_headers:
                raise InvalidSignatureException(_HOST_NOT_SIGNED)
            plan = _plan(signed_headers)
            if len(self._plans) >= self._cache_size:
                self._plans.clear()
            self._plans[signed_headers] = plan
        return plan

    def _check(
        self,
        auth: AuthHeader,
        provided: str,
        secret_access_key: str,
        plan: _Plan,
        found: dict[bytes, bytes],
        method: bytes,
        raw_path: bytes,
        query_string: bytes,
        body: bytes,
        now: float,
    ) -> None:
        names, _, signed_line = plan
        amz_date = found.get(_X_AMZ_DATE)
        cached = None if amz_date is None else self._times.get(amz_date)
        if amz_date is not None and cached is not None:
            timestamp, when = amz_date, cached
        else:
            timestamp, when = _request_time(found)
            if len(self._times) >= _TIME_CACHE_SIZE:
                self._times.clear()
            self._times[timestamp] = when
        if timestamp[:8] != auth.date.encode("utf-8", "replace"):
            stamp = timestamp.decode("ascii")
            raise InvalidSignatureException(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
                f"of date from HTTP: '{auth.date}' != '{stamp[:8]}', from '{stamp}'."
            )
        self._check_skew(timestamp, when, now)

        payload_hash = hashlib.sha256(body).hexdigest().encode("ascii")
        claimed = found.get(_X_AMZ_CONTENT_SHA256)
        if claimed is not None and claimed != payload_hash:
            raise InvalidSignatureException(_CONTENT_SHA256_MISMATCH)

        lines = _header_lines(found, names)
        if lines is None:
            raise InvalidSignatureException(_SIGNATURE_MISMATCH)
        creq = _join_canonical_request(
            method,
            canonical_uri(raw_path),
            canonical_query_string(query_string),
            lines,
            signed_line,
            payload_hash,
        )

        cache_key = (secret_access_key, auth.date, auth.region, auth.service)
        entry = self._keys.get(cache_key)
        if entry is None:
            entry = _SigningState.derive(secret_access_key, auth.date, auth.region, auth.service)
            if len(self._keys) >= self._cache_size:
                # Drop the oldest entry (dicts keep insertion order). Under
                # threads another caller may be changing the dict: then skip.
                with suppress(StopIteration, RuntimeError, KeyError):
                    del self._keys[next(iter(self._keys))]
            self._keys[cache_key] = entry

        sts = b"%b%b\n%b\n%b" % (
            _STS_PREFIX,
            timestamp,
            entry.scope,
            hashlib.sha256(creq).hexdigest().encode("ascii"),
        )
        expected = entry.sign(sts)
        if not (provided.isascii() and hmac.compare_digest(expected, provided)):
            raise InvalidSignatureException(_SIGNATURE_MISMATCH)

    def _check_skew(self, timestamp: bytes, when: int, now: float) -> None:
        skew = self._max_skew
        if when < now - skew:
            raise InvalidSignatureException(
                f"Signature expired: {timestamp.decode('ascii')} is now earlier than "
                f"{_format_time(now - skew)} ({_format_time(now)} - {self._skew_text} min.)"
            )
        if when > now + skew:
            raise InvalidSignatureException(
                f"Signature not yet current: {timestamp.decode('ascii')} is still later than "
                f"{_format_time(now + skew)} ({_format_time(now)} + {self._skew_text} min.)"
            )


# --------------------------------------------------------------------------- internals


class _SigningState:
    """A derived signing key with its credential scope, cached per (secret, date, region, service).

    HMAC comes from ``cryptography`` (OpenSSL); it is not rebuilt here from
    SHA-256 states, so no primitive is hand-written.
    """

    __slots__ = ("_keyed", "scope")

    def __init__(self, key: bytes, scope: bytes) -> None:
        # Copying a keyed HMAC skips the key setup and OpenSSL's per-call algorithm
        # lookup: about a third of the cost of a one-shot hmac.digest here.
        self._keyed = crypto_hmac.HMAC(key, hashes.SHA256())
        self.scope = scope

    @classmethod
    def derive(cls, secret: str, date: str, region: str, service: str) -> _SigningState:
        return cls(
            signing_key(secret, date, region, service),
            credential_scope(date, region, service).encode("utf-8"),
        )

    def sign(self, message: bytes) -> str:
        """The hex HMAC-SHA256 of ``message``, as ``signature()`` computes it."""
        mac = self._keyed.copy()
        mac.update(message)
        return mac.finalize().hex()


def _plan(signed_headers: Sequence[str]) -> _Plan:
    names = tuple(sorted({n.encode("utf-8", "replace") for n in signed_headers}))
    wanted = frozenset(names).union((_X_AMZ_DATE, _DATE, _X_AMZ_CONTENT_SHA256))
    return names, wanted, b";".join(names)


def _collect_headers(
    headers: Iterable[tuple[bytes, bytes]], wanted: frozenset[bytes]
) -> dict[bytes, bytes]:
    """Trimmed values of the wanted headers; repeated headers joined with ','."""
    found: dict[bytes, bytes] = {}
    for name, value in headers:
        if name in wanted:
            value = _trim(value)
            previous = found.get(name)
            found[name] = value if previous is None else previous + b"," + value
    return found


def _pick_headers(headers: Mapping[bytes, bytes], wanted: frozenset[bytes]) -> dict[bytes, bytes]:
    """``_collect_headers`` for headers in a mapping (no name repeated): a lookup per
    wanted name rather than a pass over every header the request carries."""
    found: dict[bytes, bytes] = {}
    for name in wanted:
        value = headers.get(name)
        if value is not None:
            found[name] = _trim(value)
    return found


def _trim(value: bytes) -> bytes:
    """A header value as SigV4 canonicalises it: runs of whitespace become one space."""
    trimmed = _TRIMMED.get(value)
    if trimmed is None:
        trimmed = b" ".join(value.split())
        if len(value) <= _TRIMMED_MAX_LENGTH:
            if len(_TRIMMED) >= _TRIMMED_SIZE:
                _TRIMMED.clear()  # clients choose the values: keep it bounded
            _TRIMMED[value] = trimmed
    return trimmed


# Trimmed header values by raw value: a client sends the same Host, Content-Type,
# X-Amz-Target and (for a second) X-Amz-Date again and again. Short values only, so
# a session token (X-Amz-Security-Token, 128 characters) is never kept beyond its request.
_TRIMMED: dict[bytes, bytes] = {}
_TRIMMED_SIZE = 4096
_TRIMMED_MAX_LENGTH = 96


def _header_lines(found: dict[bytes, bytes], names: tuple[bytes, ...]) -> list[bytes] | None:
    lines = []
    for name in names:
        value = found.get(name)
        if value is None:
            return None
        lines.append(name + b":" + value)
    return lines


def _join_canonical_request(
    method: bytes,
    uri: bytes,
    query: bytes,
    header_lines: list[bytes],
    signed_line: bytes,
    payload_hash: bytes,
) -> bytes:
    # Each canonical header ends with a newline, then comes the separator
    # newline: hence the empty item before the SignedHeaders line.
    return b"\n".join([method, uri, query, *header_lines, b"", signed_line, payload_hash])


def _remove_dot_segments(path: bytes) -> bytes:
    # botocore.utils.remove_dot_segments, on bytes: RFC 3986 section 5.2.4,
    # and empty segments (consecutive slashes) dropped as AWS requires.
    if not path:
        return b"/"
    if b"//" not in path and b"/." not in path and path[:1] == b"/":
        return path
    kept: list[bytes] = []
    for segment in path.split(b"/"):
        if segment and segment != b".":
            if segment == b"..":
                if kept:
                    kept.pop()
            else:
                kept.append(segment)
    first = b"/" if path[:1] == b"/" else b""
    last = b"/" if path[-1:] == b"/" and kept else b""
    return first + b"/".join(kept) + last


def _encode_query_part(part: bytes) -> bytes:
    # quote() always leaves A-Z a-z 0-9 and "_.-~" alone; safe="" encodes "/" too.
    return quote(unquote_to_bytes(part.replace(b"+", b" ")), safe="").encode("ascii")


def _request_time(found: dict[bytes, bytes]) -> tuple[bytes, int]:
    """The request timestamp as ``YYYYMMDDTHHMMSSZ`` bytes and POSIX seconds."""
    value = found.get(_X_AMZ_DATE)
    if value is None:
        value = found.get(_DATE)
        if value is None:
            raise InvalidSignatureException(_DATE_REQUIRED)
        when = _parse_basic(value)
        if when is not None:
            return value, when
        when = _parse_http_date(value)
        if when is None:
            raise InvalidSignatureException(_bad_date_message(value))
        return _format_time(when).encode("ascii"), when
    when = _parse_basic(value)
    if when is None:
        raise InvalidSignatureException(_bad_date_message(value))
    return value, when


def _parse_basic(value: bytes) -> int | None:
    """POSIX seconds of an ISO 8601 basic timestamp ``YYYYMMDDTHHMMSSZ``, or None."""
    if (
        len(value) != 16
        or value[8] != 0x54  # "T"
        or value[15] != 0x5A  # "Z"
        or not value[:8].isdigit()  # bytes.isdigit: ASCII digits only
        or not value[9:15].isdigit()
    ):
        return None
    hour, minute, second = int(value[9:11]), int(value[11:13]), int(value[13:15])
    if hour > 23 or minute > 59 or second > 59:
        return None
    try:
        day = dt.date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None
    return (day.toordinal() - _UNIX_EPOCH_ORDINAL) * 86400 + hour * 3600 + minute * 60 + second


def _parse_http_date(value: bytes) -> int | None:
    """POSIX seconds of an RFC 7231 date (``Sun, 30 Aug 2015 12:36:00 GMT``), or None."""
    try:
        parsed = parsedate_to_datetime(value.decode("latin-1"))
        if parsed.tzinfo is None:  # "-0000": UTC, source unknown
            parsed = parsed.replace(tzinfo=dt.UTC)
        when = int(parsed.timestamp())
        _format_time(when)  # representable as a SigV4 timestamp
    except (TypeError, ValueError, IndexError, OverflowError, OSError):
        return None
    return when


def _bad_date_message(value: bytes) -> str:
    return (
        f"Date must be in ISO-8601 'basic format'. Got '{value.decode('latin-1')}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _format_time(seconds: float) -> str:
    return time.strftime(_TIMESTAMP_FORMAT, time.gmtime(seconds))
