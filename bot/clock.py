"""Injected time.

Nothing in the project calls ``datetime.now()`` directly: the engine, the sweeps and the sender get a
``Clock``. Tests and the demo use ``FakeClock`` to move a participant through twelve weeks in seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when


def parse_duration(text: str) -> timedelta:
    """Parse ``90m``, ``2h``, ``1d``, ``1w`` or ``1d12h`` into a timedelta (for ``/advance``)."""
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    total = timedelta()
    number = ""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise ValueError("empty duration")
    for ch in cleaned:
        if ch.isdigit():
            number += ch
        elif ch in units and number:
            total += timedelta(**{units[ch]: int(number)})
            number = ""
        else:
            raise ValueError(f"cannot read duration {text!r}; try 1d, 12h or 30m")
    if number:
        raise ValueError(f"duration {text!r} needs a unit: m, h, d or w")
    return total
