"""What a transport can say went wrong; the delivery worker decides what each one means."""

from __future__ import annotations


class ChannelError(Exception):
    """A send that did not go through."""


class Blocked(ChannelError):
    """The recipient blocked the bot or unsubscribed: stop using this channel for them."""


class NotSubscribed(ChannelError):
    """Viber: the user has not subscribed to the bot (yet), so it may not write to them. Not a
    block: they may subscribe later."""


class RateLimited(ChannelError):
    """The service asked us to wait `retry_after` seconds before sending again."""

    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unreachable(ChannelError):
    """The service could not be reached or failed on its side: try again later."""


class Rejected(ChannelError):
    """The service refused this message (bad number, bad request): retrying will not help."""
