"""How a channel says a delivery went wrong: the small vocabulary channels and the runtime share, so that a
channel raises these without importing the outbox sender, and the sender and the conversation act on them
(retry, give up, mark the member unreachable) without knowing the platform."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from handlers.machinery.messages import Reply

Deliver = Callable[[str, Reply], Awaitable[None]]  # (chat id, the message: text and any buttons)


class Unreachable(Exception):
    """The member cannot receive messages (Telegram: blocked the bot, chat gone): do not retry."""


class Undeliverable(Exception):
    """This message was refused as it is (a bad request: the bot's own fault, never the member's): it is given
    up and logged with the method; the member stays reachable."""


class Misconfigured(Exception):
    """The platform refuses the bot itself (an invalid token): said loudly, nothing retried until restart."""


class TryLater(Exception):
    """A temporary failure (429, 5xx, network); `retry_after` is the platform's own advice, in seconds."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PartlySent(Exception):
    """A long message cut in pieces of which the first went out: `rest` is what is left to send, `cause` why
    it stopped (one of the above), so a retry never repeats what the person already has."""

    def __init__(self, rest: Reply, cause: Exception) -> None:
        super().__init__(str(cause))
        self.rest, self.cause = rest, cause
