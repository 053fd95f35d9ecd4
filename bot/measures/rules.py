"""The measures' rules as the engine asks for them (``bot/engine/rules.py``): scoring and the diary."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime

from bot.content.schema import Instrument
from bot.engine.rules import Verdict
from bot.measures import diary, scoring


class Measures:
    def score(self, instrument: Instrument, answers: Mapping[str, int]) -> scoring.Score:
        return scoring.score(instrument, answers)

    def check_entry(
        self, day: date, first_day: date, days: int, now: datetime, timezone: str, late_days: int,
        done: Collection[date],
    ) -> Verdict:  # fmt: skip
        return diary.check_entry(day, diary.DiaryWindow(first_day, days), now, timezone, late_days, done)

    def expired(self, day: date, now: datetime, timezone: str, late_days: int) -> bool:
        return diary.expired(day, now, timezone, late_days)
