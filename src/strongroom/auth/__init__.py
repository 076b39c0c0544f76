"""Authentication of incoming requests.

``strongroom.auth.sigv4`` verifies AWS Signature Version 4 (``AWS4-HMAC-SHA256``)
on the raw pieces of an ASGI request. It is pure: it never reads the clock, the
environment or any store; the caller passes the current time and the secret
access key it looked up for the request's access key id.
"""

__all__: list[str] = []
