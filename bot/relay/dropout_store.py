"""The drop-out warning's signals, read from what storage already holds (scored in ``bot.relay.dropout``).

- days silent: the participant's latest inbound event (``processed_events``: a message or a tap);
  before any, the day they joined;
- weekly reports missed: modules whose report alert went out (overdue) and whose report never came;
- diary days: days with a pain diary entry in the last 7, for someone who has kept the diary at all;
- standing still in a module: the stall watch's remembered place (``relay_log`` kind ``place``);
- pain getting worse: the last 7 days' average pain against the 7 before;
- no reply to the therapist: the therapist's last message (``relay_log`` kind ``sent``) with nothing
  from the participant after it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from bot.content.programme import Programme
from bot.relay import dropout, stalls
from bot.relay.dropout import Risk, Signals
from bot.relay.store import STAFF_EVENTS, RelayStore
from bot.storage.models import Answer, Participant, ProcessedEvent, RelayItem
from bot.storage.tables_relay import RelayLog

DAY = 86400.0


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _days(now: datetime, since: datetime) -> float:
    return max(0.0, (now - _aware(since)).total_seconds() / DAY)


async def last_activity(store: RelayStore, participant: Participant) -> datetime:
    found = await store.session.scalar(
        select(func.max(ProcessedEvent.processed_at)).where(
            ProcessedEvent.participant_id == participant.id, ProcessedEvent.channel != STAFF_EVENTS
        )
    )
    return _aware(found or participant.created_at)


async def reports_missed(store: RelayStore, participant_id: int) -> int:
    rows = await store.session.execute(
        select(RelayItem.kind, RelayItem.source, RelayItem.data).where(
            RelayItem.participant_id == participant_id,
            or_(RelayItem.kind == "report", RelayItem.source.like("report:%")),
        )
    )
    late, sent = set(), set()
    for kind, source, data in rows.tuples():
        module = (data or {}).get("module")
        if kind == "report":
            sent.add(module)
        elif source.startswith("report:"):
            late.add(module)
    return len(late - sent)


async def pain_by_day(store: RelayStore, participant_id: int, now: datetime) -> dict[int, list[float]]:
    """Average pain values by days ago (0..13), and whether a diary was ever kept (key -1)."""
    rows = await store.session.execute(
        select(Answer.answered_at, Answer.field_id, Answer.value).where(
            Answer.participant_id == participant_id,
            or_(Answer.step_id.like("%diary%"), Answer.field_id == "average_pain"),
        )
    )
    out: dict[int, list[float]] = {}
    for at, field, value in rows.tuples():
        out.setdefault(-1, [])
        ago = int(_days(now, at))
        if ago < 14:
            bucket = out.setdefault(ago, [])
            if field == "average_pain" and isinstance(value, int | float):
                bucket.append(float(value))
    return out


def _diary_signals(pain: dict[int, list[float]]) -> tuple[int | None, float | None]:
    """Diary days of the last 7 (None: never kept) and the change in average pain week on week."""
    if -1 not in pain:
        return None, None
    days = sum(1 for ago in range(7) if ago in pain)
    recent = [v for ago in range(7) for v in pain.get(ago, [])]
    before = [v for ago in range(7, 14) for v in pain.get(ago, [])]
    change = sum(recent) / len(recent) - sum(before) / len(before) if recent and before else None
    return days, change


async def module_days(
    store: RelayStore, programme: Programme | None, participant: Participant, now: datetime
) -> float | None:
    place = stalls.place_of(participant, programme) if programme is not None else None
    if place is None:
        return None
    row = await store.session.scalar(
        select(RelayLog).where(RelayLog.participant_id == participant.id, RelayLog.kind == stalls.PLACE)
    )
    return _days(now, row.at) if row is not None and row.text == place else None


async def therapist_waiting(store: RelayStore, participant_id: int, active: datetime, now: datetime) -> float | None:
    sent = await store.session.scalar(
        select(func.max(RelayLog.at)).where(RelayLog.participant_id == participant_id, RelayLog.kind == "sent")
    )
    if sent is None or _aware(sent) < active:
        return None
    return _days(now, sent)


async def signals(store: RelayStore, programme: Programme | None, participant: Participant, now: datetime) -> Signals:
    """One participant's engagement signals now."""
    active = await last_activity(store, participant)
    diary_days, pain_change = _diary_signals(await pain_by_day(store, participant.id, now))
    return Signals(
        days_silent=_days(now, active),
        reports_missed=await reports_missed(store, participant.id),
        diary_days=diary_days,
        module_days=await module_days(store, programme, participant, now),
        pain_change=pain_change,
        therapist_waiting=await therapist_waiting(store, participant.id, active, now),
    )


async def risk_of(store: RelayStore, programme: Programme | None, participant: Participant, now: datetime) -> Risk:
    """The participant's risk now; someone who no longer takes part (withdrawn, completed) is low."""
    if participant.status not in ("onboarding", "active"):
        return dropout.assess(Signals())
    return dropout.assess(await signals(store, programme, participant, now))


def week_start(now: datetime, timezone: str, weekday: int = 0) -> datetime:
    """The start of the site's week (Monday 00:00 local) containing ``now``, in UTC."""
    local = now.astimezone(ZoneInfo(timezone))
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone)).astimezone(UTC)
