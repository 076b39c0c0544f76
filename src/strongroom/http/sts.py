"""The STS Query protocol: form-encoded requests, XML answers (version 2011-06-15).

Requests signed for the ``sts`` service arrive on the same endpoint as KMS;
the app sends them here. Only GetCallerIdentity and AssumeRole exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs
from xml.etree import ElementTree as ET

from strongroom.clock import iso_utc
from strongroom.service import sts
from strongroom.service.caller import Caller
from strongroom.service.context import ServiceContext
from strongroom.service.errors import KMSError, ValidationException

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"

# Our error classes carry KMS names; STS clients expect these codes and statuses.
_STS_ERRORS: Mapping[str, tuple[str, int]] = {
    "UnrecognizedClientException": ("InvalidClientTokenId", 403),
    "InvalidSignatureException": ("SignatureDoesNotMatch", 403),
    "IncompleteSignatureException": ("IncompleteSignature", 400),
    "MissingAuthenticationTokenException": ("MissingAuthenticationToken", 403),
    "ExpiredTokenException": ("ExpiredToken", 400),
    "AccessDeniedException": ("AccessDenied", 403),
    "ValidationException": ("ValidationError", 400),
    "SerializationException": ("MalformedInput", 400),
}


def _document(action: str, fields: Mapping[str, object], request_id: str) -> bytes:
    root = ET.Element(f"{action}Response", xmlns=NAMESPACE)
    result = ET.SubElement(root, f"{action}Result")

    def fill(parent: ET.Element, values: Mapping[str, object]) -> None:
        for name, value in values.items():
            child = ET.SubElement(parent, name)
            if isinstance(value, Mapping):
                fill(child, value)
            else:
                child.text = str(value)

    fill(result, fields)
    metadata = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(metadata, "RequestId").text = request_id
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=False))


def error_document(error: KMSError, request_id: str) -> tuple[int, bytes]:
    code, status = _STS_ERRORS.get(error.code, ("InternalFailure", 500))
    root = ET.Element("ErrorResponse", xmlns=NAMESPACE)
    detail = ET.SubElement(root, "Error")
    ET.SubElement(detail, "Type").text = "Sender" if status < 500 else "Receiver"
    ET.SubElement(detail, "Code").text = code
    ET.SubElement(detail, "Message").text = error.message
    ET.SubElement(root, "RequestId").text = request_id
    return status, bytes(ET.tostring(root, encoding="utf-8"))


def _param(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


async def handle(ctx: ServiceContext, caller: Caller, body: bytes, request_id: str) -> bytes:
    """The XML answer to one STS request. Raises KMSError subclasses for failures."""
    params = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    action = _param(params, "Action")
    if action == "GetCallerIdentity":
        identity = sts.get_caller_identity(caller)
        fields: dict[str, object] = {
            "Arn": identity.arn,
            "UserId": identity.user_id,
            "Account": identity.account,
        }
        return _document(action, fields, request_id)
    if action == "AssumeRole":
        role_arn = _param(params, "RoleArn")
        session_name = _param(params, "RoleSessionName")
        if role_arn is None or session_name is None:
            raise ValidationException("RoleArn and RoleSessionName are required.")
        if _param(params, "Policy") is not None or any(p.startswith("PolicyArns.") for p in params):
            raise ValidationException("Session policies are not supported by this server.")
        if any(p.startswith(("Tags.", "TransitiveTagKeys.")) for p in params):
            raise ValidationException("Session tags are not supported by this server.")
        duration_text = _param(params, "DurationSeconds")
        try:
            duration = None if duration_text is None else int(duration_text)
        except ValueError:
            raise ValidationException("DurationSeconds must be a number.") from None
        issued = await sts.assume_role(
            ctx, caller, role_arn, session_name, duration, _param(params, "ExternalId")
        )
        fields = {
            "Credentials": {
                "AccessKeyId": issued.access_key_id,
                "SecretAccessKey": issued.secret_access_key,
                "SessionToken": issued.session_token,
                "Expiration": iso_utc(issued.expiration),
            },
            "AssumedRoleUser": {"AssumedRoleId": issued.assumed_role_id, "Arn": issued.arn},
        }
        return _document(action, fields, request_id)
    raise ValidationException(f"Unsupported STS action {action!r}.")
