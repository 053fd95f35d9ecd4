"""What a picture shows, as values: the engine (and the measures' look back) ask for a chart with
these, and the edge draws it when the message is written for sending (``bot/charts/``).

Keeping the drawing out of the engine keeps it pure and light: a sweep that opens module 3 for a
cohort decides in microseconds and never imports matplotlib for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ChartWords:
    """The participant's words for their charts (``measures.chart_*`` in the message catalogue)."""

    diary_title: str
    diary_axis: str
    no_entries: str
    homework_title: str
    done: str
    not_yet: str
    unlock_title: str  # with {n} and {total}
    lookback_title: str
    start: str
    now: str

    @classmethod
    def from_messages(cls, msg: Callable[[str], str]) -> ChartWords:
        """``msg(key)`` returns the participant's language's text for ``measures.chart_<key>``."""
        keys = ("diary_title", "diary_axis", "no_entries", "homework_title", "done", "not_yet",
                "unlock_title", "lookback_title", "start", "now")  # fmt: skip
        return cls(**{key: msg(f"measures.chart_{key}") for key in keys})


@dataclass(frozen=True)
class LookBack:
    """One thing to compare: its plain name, the scale's range, the person's start and now."""

    label: str
    start: float
    now: float
    low: float
    high: float


@dataclass(frozen=True)
class UnlockChart:
    """Module ``number`` of the phase's ``total``, just opened."""

    number: int
    total: int
    words: ChartWords


@dataclass(frozen=True)
class ProgressChart:
    """/progress: the pain diary day by day (None: no entry that day) and the practice done."""

    diary: tuple[tuple[date, float | None], ...]
    homework: tuple[tuple[str, bool], ...]
    words: ChartWords


@dataclass(frozen=True)
class LookBackChart:
    """The week-8 look back: the person's start beside their now."""

    items: tuple[LookBack, ...]
    words: ChartWords


Chart = UnlockChart | ProgressChart | LookBackChart
