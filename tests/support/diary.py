"""The baseline pain diary through the engine: its days and its day buttons."""

from __future__ import annotations

from datetime import date

from bot.engine import Inbound
from bot.engine.dailies import DAILY_TOKEN, short_key
from tests.support import Participant, auto_answer

KEY = "baseline.pain_diary"
CONSENT = date(2026, 1, 5)
JAN = {n: date(2026, 1, n) for n in range(1, 32)}


def press_day(p: Participant, day: date | str):
    ymd = day if isinstance(day, str) else f"{day:%Y%m%d}"
    return p.send(Inbound(kind="choice", text=f"{DAILY_TOKEN}|{short_key(KEY)}|{ymd}"))


def fill(p: Participant) -> None:
    while p.state.frame is not None and p.state.frame.daily:
        auto_answer(p)
