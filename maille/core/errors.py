"""Domain errors that pages turn into a message and the API into HTTP 409/422 problem details."""

from __future__ import annotations


class DomainError(Exception):
    """A refused business operation, with a message fit for the user."""

    status_code = 422

    def __init__(self, message: str, *, code: str = "invalid", details: dict[str, object] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or {}


class ConflictError(DomainError):
    status_code = 409
