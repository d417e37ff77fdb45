"""Application errors: raised by services, rendered in the one error shape by the API."""

from typing import Any


class ApplicationError(Exception):
    """A failure the caller can act on; `code` is stable, `message` is for people."""

    status_code = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code


class ValidationFailed(ApplicationError):
    """Input that breaks a rule; `fields` maps each offending path to what is wrong."""


class PermissionRefused(ApplicationError):
    """The caller may not do this (e.g. approving their own version)."""

    status_code = 403
    code = "forbidden"


class NotFound(ApplicationError):
    """Missing, or belonging to another organization: the two are never told apart."""

    status_code = 404
    code = "not_found"


class Conflict(ApplicationError):
    """The object is not in a state that allows this (e.g. approving a draft)."""

    status_code = 409
    code = "conflict"
