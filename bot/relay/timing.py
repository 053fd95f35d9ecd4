"""Therapist time, measured where the work happens: from the first look at a participant's week to
the feedback sent, so the report can hold the seed's "10–15 minutes per participant and week" up to
what the therapists really spent.

Telegram does not tell the bot when a post is read, so the first look is the therapist's first action
in the participant's topic while a weekly report (or its overdue alert) waits: a command such as
``/tpl`` or ``/week``, a message, a button. The reply that reaches the participant stops the clock.
Nothing is recorded where nothing was measured: no look, no minutes (``/time`` adds or corrects them).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from sqlalchemy import select

from bot.relay.store import RelayStore
from bot.storage.models import Participant, RelayItem
from bot.storage.tables_relay import RelayLog

VIEW, TIME = "view", "time"
MAX_MINUTES = 120  # a look left open over lunch is not two hours of feedback work


async def waiting_week(store: RelayStore, participant_id: int) -> int | None:
    """The programme week of the weekly report (or its overdue alert) that waits for feedback, if any."""
    data = await store.session.scalar(
        select(RelayItem.data)
        .where(RelayItem.participant_id == participant_id, RelayItem.status == "open", RelayItem.stage == "posted",
               RelayItem.kind.in_(("report", "alert")), RelayItem.source.like("%report%"))
        .order_by(RelayItem.id.desc())
        .limit(1)
    )  # fmt: skip
    return int(data["week"]) if isinstance(data, dict) and isinstance(data.get("week"), int) else None


async def looked(store: RelayStore, participant: Participant, therapist: int, now: datetime) -> None:
    """The therapist acted in the participant's topic: start their clock for the waiting week (once)."""
    week = await waiting_week(store, participant.id)
    if week is None:
        return
    started = await store.session.scalar(
        select(RelayLog.id).where(RelayLog.participant_id == participant.id, RelayLog.therapist_id == therapist,
                                  RelayLog.kind == VIEW, RelayLog.week == week)
    )  # fmt: skip
    if started is None:
        store.session.add(RelayLog(at=now, participant_id=participant.id, therapist_id=therapist, kind=VIEW, week=week))


async def replied(store: RelayStore, participant: Participant, therapist: int, now: datetime) -> int | None:
    """Feedback reached the participant: the minutes since this therapist's first look at the week."""
    week = await waiting_week(store, participant.id)
    if week is None:
        return None
    start = await store.session.scalar(
        select(RelayLog.at).where(RelayLog.participant_id == participant.id, RelayLog.therapist_id == therapist,
                                  RelayLog.kind == VIEW, RelayLog.week == week)
    )  # fmt: skip
    elapsed = (_aware(now) - _aware(start)).total_seconds() if start is not None else 0.0
    if elapsed < 60:
        return None  # no earlier look: the reading happened where the bot cannot see, nothing measured
    minutes = min(MAX_MINUTES, math.ceil(elapsed / 60))
    store.session.add(RelayLog(at=now, participant_id=participant.id, therapist_id=therapist, kind=TIME, week=week,
                               minutes=minutes, text="measured"))  # fmt: skip
    return minutes


async def correct(store: RelayStore, participant: Participant, therapist: int, minutes: int, week: int | None,
                  now: datetime) -> tuple[int | None, int]:  # fmt: skip
    """``/time N``: the therapist's minutes for the week are N from now on; returns (week, minutes before).

    The week is the one they last looked at or measured (their feedback week), else ``week``."""
    last = await store.session.scalar(
        select(RelayLog.week).where(RelayLog.participant_id == participant.id, RelayLog.therapist_id == therapist,
                                    RelayLog.kind.in_((VIEW, TIME)), RelayLog.week.is_not(None))
        .order_by(RelayLog.id.desc()).limit(1)
    )  # fmt: skip
    week = last if last is not None else week
    rows = list(await store.session.scalars(
        select(RelayLog).where(RelayLog.participant_id == participant.id, RelayLog.therapist_id == therapist,
                               RelayLog.kind == TIME, RelayLog.week == week)
    ))  # fmt: skip
    before = sum(r.minutes or 0 for r in rows)
    for row in rows:
        row.kind = "time_replaced"
    store.session.add(RelayLog(at=now, participant_id=participant.id, therapist_id=therapist, kind=TIME, week=week,
                               minutes=minutes, text="corrected"))  # fmt: skip
    return week, before


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
