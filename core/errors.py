"""Errors that services raise when a request cannot be carried out.

They know nothing of HTTP beyond the status that fits them; the API's exception
handler renders them in the JSON error shape, and the admin shows their message.
"""


class DomainError(Exception):
    code = "error"
    http_status = 400

    def __init__(self, message: str, *, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class Conflict(DomainError):
    """The request is valid but the current state of the object forbids it."""

    code = "conflict"
    http_status = 409


class InvalidInput(DomainError):
    """The request itself is wrong; it would fail whatever the state."""

    code = "validation_error"
    http_status = 400
