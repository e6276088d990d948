"""The mistakes a user can fix, as one family of exceptions.

Every module raises a subclass of `UserError` with a sentence that says what was wrong and what is
accepted. The server turns any UserError into an error reply with its `code` (invalid_argument
unless said otherwise) and the CLI into exit status 2; any other exception is a bug (`internal`).
"""


class UserError(ValueError):
    """Input the user can correct; the message is a sentence for them."""

    code = "invalid_argument"


class ConfigError(UserError):
    """A value or key that is not accepted: a training or model setting, or a request argument."""


class TooLarge(UserError):
    """A request asks for more rows, steps or bytes than one request may."""

    code = "too_large"
