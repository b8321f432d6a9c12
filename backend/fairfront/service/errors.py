"""The service's typed errors; ``api/errors.py`` maps each to one HTTP status."""

from __future__ import annotations


class ServiceError(Exception):
    """Base: a message safe to show to the user (never a secret or a path)."""

    status_code = 500

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(ServiceError):
    status_code = 404


class ConflictError(ServiceError):
    """The resource exists but is not in a state that allows this (e.g. a run still training)."""

    status_code = 409


class InvalidRequestError(ServiceError):
    """Input that parses but makes no sense; ``field`` names where."""

    status_code = 422


class PayloadTooLargeError(ServiceError):
    status_code = 413


class UnavailableError(ServiceError):
    status_code = 503
