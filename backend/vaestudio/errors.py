"""The one base class for mistakes a user can fix: a bad config value, data file, run name or token.

Every module raises its own subclass (ConfigError, DataError, RunError, ...) with a sentence that
says what was wrong and what is accepted. The server turns any UserError into an
`invalid_argument` reply and the CLI into exit status 2; anything else is a bug (`internal`).
"""


class UserError(ValueError):
    """Input the user can correct; the message is a sentence for them."""
