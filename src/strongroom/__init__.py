"""Strongroom: a key management service that speaks the AWS KMS JSON API."""

__all__ = ["__version__"]

__version__ = "0.1.0"
