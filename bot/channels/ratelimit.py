"""The overall limit on messages per second, shared by replies and reminders.

python-telegram-bot's AIORateLimiter waits out a 429 after taking its place in the limiter, so every request
queued during the wait goes out at once when it ends (measured: 170 in one second against a limit of 100,
tests/test_sender.py). Here the wait comes first and the place is taken after, so the rate holds in every
second, 429 or not. The limiter itself is aiolimiter's, with a bucket of one: one message every 1/rate s.

It also bounds the requests on the wire at once (IN_FLIGHT). httpcore checks every pooled connection for
expiry (a syscall or two each, through anyio) twice a request (encode/httpcore#928): when replies burst, the
pool grew to a connection per reply in flight, and these checks took 1.4-4.7 ms of the 8-10 ms an update
cost the bot (bench/inbound.py). Eight in flight carry the default 25 messages a second while a round trip
to the platform takes up to 320 ms.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger("tdc.ratelimit")
JSON = bool | dict[str, Any] | list[dict[str, Any]]


IN_FLIGHT = 8


class SteadyRateLimiter(BaseRateLimiter[int]):
    def __init__(self, per_second: float, max_retries: int = 5, in_flight: int = IN_FLIGHT) -> None:
        self._limiter = AsyncLimiter(1, 1 / per_second)
        self._in_flight = in_flight
        self._slots = asyncio.Semaphore(in_flight)
        self._max_retries = max_retries
        self._resume_at = 0.0  # loop time before which nobody sends: the platform asked us to wait

    async def initialize(self) -> None:
        self._slots = asyncio.Semaphore(self._in_flight)  # of the loop the bot runs in

    async def shutdown(self) -> None:
        pass

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, JSON]], args: Any,
                              kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
                              rate_limit_args: int | None) -> JSON:
        async with self._slots:
            return await self._paced(callback, args, kwargs, rate_limit_args)

    async def _paced(self, callback: Callable[..., Coroutine[Any, Any, JSON]], args: Any, kwargs: dict[str, Any],
                     rate_limit_args: int | None) -> JSON:
        loop = asyncio.get_running_loop()
        retries = 0
        while True:
            while (wait := self._resume_at - loop.time()) > 0:
                await asyncio.sleep(wait)
            async with self._limiter:
                if loop.time() < self._resume_at:
                    continue  # a 429 arrived while this request waited for its place: wait again
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as error:
                    if retries >= (rate_limit_args or self._max_retries):
                        raise
                    retries += 1
                    delay = error.retry_after
                    seconds = delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay)
                    self._resume_at = max(self._resume_at, loop.time() + seconds + 0.1)
                    log.info("429 from the platform: pausing all sends", extra={"seconds": seconds})
