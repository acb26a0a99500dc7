"""The context of one incoming message, as every handler and every form step receives it."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from typing import Any, TypeVar

from sqlmodel import Session

from jobs.calendar import VIETNAM
from locales import Lang
from models import Member, Unit

T = TypeVar("T")


@dataclass
class Context:
    """What every handler receives for one incoming message: the database, the member (and their unit),
    their language, the province's local time, the channel.

    It lives for one message, so `remember` keeps what several parts of the answer ask for (the unit's year
    is read once, not once per step that renders or checks it).
    """

    session: Session
    member: Member
    unit: Unit
    lang: Lang
    now: datetime  # local time of the plan's province
    channel: str
    zone: tzinfo = VIETNAM
    # How a command came: "typed", or "button"/"number" with the start of the message that offered it, which a
    # decision's audit record keeps (handlers/machinery/menu.py).
    via: str = "typed"
    shown: str = ""
    _memo: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def recorded_at(self) -> datetime:
        """`now` as stored: naive UTC, like every timestamp in the database."""
        return self.now.replace(tzinfo=self.zone).astimezone(timezone.utc).replace(tzinfo=None)

    def decided_through(self) -> dict[str, str]:
        """What an audited decision records of how it was taken."""
        return {"via": self.via, "shown": self.shown} if self.shown else {"via": self.via}

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[no-any-return]

    def recall(self, key: Hashable) -> Any:
        """What `remember` holds under the key, or None: computes nothing."""
        return self._memo.get(key)

    def know(self, key: Hashable, value: Any) -> None:
        """What was read or written already (the dispatcher reads the member's open form and menu together
        with the member; the form engine replaces the form it deletes): `remember` returns it from now on."""
        self._memo[key] = value
