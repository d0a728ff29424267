"""Domain errors raised by services; views and the API turn them into clear messages."""


class DomainError(Exception):
    """A rule of the domain forbids the operation. `message` is shown to the user as is (French)."""

    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class PermissionDenied(DomainError):
    code = "permission_denied"


class ConflictError(DomainError):
    """The object changed since the user loaded it (optimistic locking)."""

    code = "conflict"
