"""SigV4 authentication failures, as AWS reports them."""

from __future__ import annotations

import datetime

from .helpers import (
    Credentials,
    RawPost,
    Server,
    assert_not_server_error,
    json_body,
    send_post,
    signed_headers,
)

LIST_KEYS = json_body({"Limit": 1})


def test_a_correctly_signed_request_is_accepted(raw_post: RawPost) -> None:
    response = raw_post("ListKeys", LIST_KEYS)
    assert response.status == 200, response.body
    assert "Keys" in response.json()


def test_an_unknown_access_key_is_unrecognized_client(raw_post: RawPost) -> None:
    creds = Credentials("AKIAUNKNOWNUNKNOWN00", "x" * 40)
    response = raw_post("ListKeys", LIST_KEYS, creds=creds)
    assert 400 <= response.status < 500
    assert response.error_code == "UnrecognizedClientException", response.body


def test_a_wrong_secret_key_is_an_invalid_signature(raw_post: RawPost, server: Server) -> None:
    creds = Credentials(server.access_key_id, server.secret_access_key[:-1] + "X")
    if creds.secret_access_key == server.secret_access_key:
        creds = Credentials(server.access_key_id, server.secret_access_key[:-1] + "Y")
    response = raw_post("ListKeys", LIST_KEYS, creds=creds)
    assert 400 <= response.status < 500
    assert response.error_code == "InvalidSignatureException", response.body


def test_a_request_signed_ten_minutes_ago_has_an_expired_signature(raw_post: RawPost) -> None:
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10)
    response = raw_post("ListKeys", LIST_KEYS, signed_at=past)
    assert 400 <= response.status < 500
    assert response.error_code == "InvalidSignatureException", response.body
    assert "Signature expired" in (response.error_message or ""), response.body


def test_a_request_signed_ten_minutes_ahead_is_rejected(raw_post: RawPost) -> None:
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=10)
    response = raw_post("ListKeys", LIST_KEYS, signed_at=future)
    assert 400 <= response.status < 500
    assert response.error_code == "InvalidSignatureException", response.body


def test_a_request_without_authorization_is_missing_authentication_token(
    raw_post: RawPost,
) -> None:
    response = raw_post("ListKeys", LIST_KEYS, sign=False)
    assert 400 <= response.status < 500
    assert response.error_code == "MissingAuthenticationTokenException", response.body


def test_a_body_changed_after_signing_is_an_invalid_signature(server: Server) -> None:
    headers = signed_headers(server.endpoint, "ListKeys", LIST_KEYS, creds=server.credentials)
    response = send_post(server.endpoint, json_body({"Limit": 2}), headers)
    assert 400 <= response.status < 500
    assert response.error_code == "InvalidSignatureException", response.body


def test_a_signature_for_another_region_scope_still_authenticates(raw_post: RawPost) -> None:
    # Keys are per Region, but any Region in the credential scope is accepted.
    response = raw_post("ListKeys", LIST_KEYS, region="eu-central-1")
    assert response.status == 200, response.body


def test_a_garbled_authorization_header_is_rejected_without_a_server_error(
    raw_post: RawPost,
) -> None:
    response = raw_post(
        "ListKeys",
        LIST_KEYS,
        headers={"Authorization": "AWS4-HMAC-SHA256 garbage", "X-Amz-Date": "nonsense"},
        sign=False,
    )
    assert 400 <= response.status < 500, response.body
    assert response.error_code in {
        "IncompleteSignatureException",
        "InvalidSignatureException",
        "MissingAuthenticationTokenException",
    }, response.body


def test_an_unsigned_malformed_request_is_a_client_error(raw_post: RawPost) -> None:
    assert_not_server_error(raw_post("Encrypt", b"{not json", sign=False))


def _accepted_headers(server: Server) -> dict[str, str]:
    """Headers of a request the server has just accepted (so it knows their credential part)."""
    headers = signed_headers(server.endpoint, "ListKeys", LIST_KEYS, creds=server.credentials)
    response = send_post(server.endpoint, LIST_KEYS, headers)
    assert response.status == 200, response.body
    return headers


def test_a_known_credential_part_with_another_signature_is_an_invalid_signature(
    server: Server,
) -> None:
    headers = _accepted_headers(server)
    auth = headers["Authorization"]
    headers["Authorization"] = auth[:-1] + ("0" if auth[-1] != "0" else "1")
    response = send_post(server.endpoint, LIST_KEYS, headers)
    assert response.status == 400
    assert response.error_code == "InvalidSignatureException", response.body


def test_a_known_credential_part_with_a_changed_signed_header_is_an_invalid_signature(
    server: Server,
) -> None:
    headers = _accepted_headers(server)
    headers["X-Amz-Target"] = "TrentService.ListAliases"
    response = send_post(server.endpoint, LIST_KEYS, headers)
    assert response.status == 400
    assert response.error_code == "InvalidSignatureException", response.body


def test_a_known_credential_part_with_a_session_token_is_unrecognized(server: Server) -> None:
    headers = _accepted_headers(server)
    headers["X-Amz-Security-Token"] = "not-a-session"
    response = send_post(server.endpoint, LIST_KEYS, headers)
    assert response.status == 400
    assert response.error_code == "UnrecognizedClientException", response.body
