"""The domain error of the auth package, shared by its services and two-step sign-in."""


class AuthError(Exception):
    """A domain rule refused the request; the message is safe to show, `field` says where."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field
