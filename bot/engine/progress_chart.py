"""/progress: the participant's own pain diary and the practice they did, as a picture.

The numbers come from the stored answers (the command asks for the history) and the week's tallies
in the state. They ride on the ``Outbound`` as a ``ProgressChart``; the edge draws the picture when
the message is written for sending.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from bot.content.schema import ExerciseStep
from bot.engine import calendar
from bot.engine.charts import ChartWords, ProgressChart
from bot.engine.model import Inbound, Outbound, StoredAnswer
from bot.engine.progress import resume
from bot.engine.turn import Turn

DIARY_FIELD = "average_pain"
MAX_HOMEWORK = 8  # the latest practices: a chart a phone screen can read


def diary_series(history: Sequence[StoredAnswer], timezone: str) -> list[tuple[date, float | None]]:
    """One point per day from the first diary day to the last; days without an entry are gaps (None)."""
    by_day: dict[date, float] = {}
    for answer in history:
        if answer.field != DIARY_FIELD or not isinstance(answer.value, int | float):
            continue
        by_day[_entry_day(answer, timezone)] = float(answer.value)
    if not by_day:
        return []
    first, last = min(by_day), max(by_day)
    return [(first + timedelta(days=n), by_day.get(first + timedelta(days=n))) for n in range((last - first).days + 1)]


def _entry_day(answer: StoredAnswer, timezone: str) -> date:
    """A daily entry names its day (``pain_diary:YYYY-MM-DD``); the first entry is made on its day."""
    _, _, day = (answer.entry or "").partition(":")
    try:
        return date.fromisoformat(day)
    except ValueError:
        return calendar.local_date(answer.answered_at, timezone)


def homework(turn: Turn) -> list[tuple[str, bool]]:
    """The exercises of the modules reached so far, each with whether the participant practised it."""
    state = turn.state
    reached = [*state.finished, *(f.module for f in state.frames if not f.daily)]
    items: list[tuple[str, bool]] = []
    for module in turn.programme.scheduled:
        if module.id not in reached:
            continue
        done = state.log.get(module.id, {}).get("done", {})
        items += [(turn.t(s.title), done.get(s.id, 0) > 0) for s in module.steps if isinstance(s, ExerciseStep)]
    return items[-MAX_HOMEWORK:]


def show_progress(turn: Turn, inbound: Inbound) -> None:
    if turn.state.status not in ("active", "completed"):
        turn.say(turn.msg("measures.progress_not_yet"))
        resume(turn, full=False)
        return
    words = ChartWords.from_messages(turn.msg)
    chart = ProgressChart(tuple(diary_series(turn.history, turn.state.timezone)), tuple(homework(turn)), words)
    turn.send(Outbound(text=turn.msg("measures.progress_caption"), chart=chart))
    resume(turn, full=False)
