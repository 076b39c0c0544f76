"""KMS errors, one class per AWS error type.

Every class carries the AWS error code (``code``, sent as ``__type``) and the
HTTP status. The http layer maps exceptions by MRO; anything that is not a
``KMSError`` becomes ``KMSInternalException`` with the details in the log only.

    KMSError
    ├── ClientError (400)
    │   ├── ValidationException
    │   ├── SerializationException
    │   ├── UnknownOperationException
    │   ├── NotFoundException
    │   ├── AlreadyExistsException
    │   ├── DisabledException
    │   ├── KMSInvalidStateException
    │   ├── InvalidCiphertextException        (always an empty message)
    │   ├── IncorrectKeyMaterialException
    │   ├── InvalidImportTokenException
    │   ├── ExpiredImportTokenException
    │   ├── IncorrectKeyException
    │   ├── InvalidKeyUsageException
    │   ├── InvalidAliasNameException
    │   ├── InvalidArnException
    │   ├── InvalidMarkerException
    │   ├── InvalidGrantTokenException
    │   ├── InvalidGrantIdException
    │   ├── MalformedPolicyDocumentException
    │   ├── TagException
    │   ├── LimitExceededException
    │   ├── UnsupportedOperationException
    │   ├── DryRunOperationException
    │   ├── CustomKeyStoreNotFoundException
    │   ├── ConflictException
    │   ├── KMSInvalidSignatureException     (always an empty message)
    │   ├── KMSInvalidMacException           (always an empty message)
    │   ├── AccessDeniedException
    │   ├── ThrottlingException
    │   └── authentication: MissingAuthenticationTokenException,
    │       UnrecognizedClientException, InvalidSignatureException, ExpiredTokenException,
    │       IncompleteSignatureException
    └── ServerError (5xx, retried by the SDKs)
        ├── KMSInternalException
        ├── DependencyTimeoutException
        └── KeyUnavailableException
"""

from __future__ import annotations


class KMSError(Exception):
    """Base of every error that reaches a client by name."""

    code: str = "KMSInternalException"
    status: int = 500

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class ClientError(KMSError):
    status = 400


class ServerError(KMSError):
    status = 500


class ValidationException(ClientError):
    code = "ValidationException"


class SerializationException(ClientError):
    code = "SerializationException"


class UnknownOperationException(ClientError):
    code = "UnknownOperationException"


class NotFoundException(ClientError):
    code = "NotFoundException"


class AlreadyExistsException(ClientError):
    code = "AlreadyExistsException"


class DisabledException(ClientError):
    code = "DisabledException"


class KMSInvalidStateException(ClientError):
    code = "KMSInvalidStateException"


class InvalidCiphertextException(ClientError):
    """Every decrypt failure is this one error, with an empty message."""

    code = "InvalidCiphertextException"

    def __init__(self) -> None:
        super().__init__("")


class IncorrectKeyMaterialException(ClientError):
    """ImportKeyMaterial: material that is invalid for the key, or not the key's own."""

    code = "IncorrectKeyMaterialException"


class InvalidImportTokenException(ClientError):
    """ImportKeyMaterial: a token that is malformed, modified, or for another key."""

    code = "InvalidImportTokenException"


class ExpiredImportTokenException(ClientError):
    """ImportKeyMaterial: a genuine token past its 24 hours."""

    code = "ExpiredImportTokenException"


class IncorrectKeyException(ClientError):
    code = "IncorrectKeyException"

    def __init__(self) -> None:
        super().__init__(
            "The key ID in the request does not identify a CMK that can perform this operation."
        )


class InvalidKeyUsageException(ClientError):
    code = "InvalidKeyUsageException"


class InvalidAliasNameException(ClientError):
    code = "InvalidAliasNameException"


class InvalidArnException(ClientError):
    code = "InvalidArnException"


class InvalidMarkerException(ClientError):
    code = "InvalidMarkerException"


class InvalidGrantTokenException(ClientError):
    code = "InvalidGrantTokenException"


class MalformedPolicyDocumentException(ClientError):
    code = "MalformedPolicyDocumentException"


class TagException(ClientError):
    code = "TagException"


class LimitExceededException(ClientError):
    code = "LimitExceededException"


class UnsupportedOperationException(ClientError):
    code = "UnsupportedOperationException"


class DryRunOperationException(ClientError):
    code = "DryRunOperationException"

    def __init__(self) -> None:
        super().__init__("The request would have succeeded, but the DryRun option is set.")


class AccessDeniedException(ClientError):
    code = "AccessDeniedException"


class ThrottlingException(ClientError):
    code = "ThrottlingException"


class MissingAuthenticationTokenException(ClientError):
    code = "MissingAuthenticationTokenException"


class UnrecognizedClientException(ClientError):
    code = "UnrecognizedClientException"


class InvalidSignatureException(ClientError):
    code = "InvalidSignatureException"


class IncompleteSignatureException(ClientError):
    code = "IncompleteSignatureException"


class KMSInternalException(ServerError):
    code = "KMSInternalException"


class DependencyTimeoutException(ServerError):
    code = "DependencyTimeoutException"
    status = 503


class KeyUnavailableException(ServerError):
    code = "KeyUnavailableException"


class CustomKeyStoreNotFoundException(ClientError):
    code = "CustomKeyStoreNotFoundException"


class ConflictException(ClientError):
    code = "ConflictException"


class KMSInvalidSignatureException(ClientError):
    """A signature did not verify; always an empty message."""

    code = "KMSInvalidSignatureException"

    def __init__(self) -> None:
        super().__init__("")


class KMSInvalidMacException(ClientError):
    """A MAC did not verify; always an empty message."""

    code = "KMSInvalidMacException"

    def __init__(self) -> None:
        super().__init__("")


class InvalidGrantIdException(ClientError):
    code = "InvalidGrantIdException"


class ExpiredTokenException(ClientError):
    code = "ExpiredTokenException"
