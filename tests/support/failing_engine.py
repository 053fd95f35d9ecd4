"""An engine that fails where a test says, to show one participant's failure is contained."""

from __future__ import annotations

from collections import Counter

from bot.engine import Engine
from bot.features import RULES


class Poisoned(Engine):
    """The real engine, except that it fails where a test says: on a text, or on one code's tick."""

    def __init__(self, programme, bad_text: str = "boom", bad_code: str | None = None) -> None:
        super().__init__(programme, None, RULES)
        self.bad_text, self.bad_code = bad_text, bad_code
        self.ticks: Counter[str] = Counter()

    def handle(self, state, inbound, now, history=()):
        if inbound.text == self.bad_text:
            raise RuntimeError("simulated engine bug")
        return super().handle(state, inbound, now, history)

    def tick(self, state, now):
        self.ticks[state.code] += 1
        if state.code == self.bad_code:
            raise KeyError("a step an admin renamed")
        return super().tick(state, now)
