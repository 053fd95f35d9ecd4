"""Reading one participant's week from storage (the queries behind ``bot.relay.week``).

Two reads: the week's module's answers plus the pain diary of the week's days, and the relay items
the participant raised that week. Runs inside the caller's session (one transaction per update).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.programme import Programme
from bot.engine import calendar
from bot.relay import format as fmt
from bot.relay.content import RelayContent
from bot.relay.store import RelayStore, programme_start
from bot.relay.week import (
    PAIN_FIELDS,
    AnswerRow,
    FilledForm,
    Message,
    WeekView,
    build_week,
    find_form,
    form_entries,
    module_for_week,
    week_range,
)
from bot.relay.week_post import week_post
from bot.storage.models import Answer, Participant, RelayItem

MESSAGE_KINDS = ("question", "free", "alert", "safety")


async def load_week(
    session: AsyncSession, programme: Programme, participant: Participant, week: int
) -> WeekView | None:
    """The participant's programme week ``week``; None before they have a start date."""
    start = programme_start(participant)
    if start is None:
        return None
    first, after = week_range(start, week)
    since = calendar.at_local(first, calendar.parse_hhmm("00:00"), participant.timezone) - timedelta(days=1)
    until = calendar.at_local(after, calendar.parse_hhmm("00:00"), participant.timezone) + timedelta(days=2)
    module = module_for_week(programme, week)
    wanted = and_(Answer.field_id.in_((*PAIN_FIELDS, "note")), Answer.answered_at >= since,
                  Answer.answered_at < until)  # fmt: skip
    if module is not None:
        wanted = or_(Answer.module_id == module.id, wanted)
    result = await session.execute(
        select(Answer.module_id, Answer.step_id, Answer.field_id, Answer.entry_id, Answer.value, Answer.answered_at)
        .where(Answer.participant_id == participant.id, wanted)
        .order_by(Answer.id)
    )
    rows = [AnswerRow(*r) for r in result.tuples()]
    window_start = calendar.at_local(first, calendar.parse_hhmm("00:00"), participant.timezone)
    window_end = calendar.at_local(after, calendar.parse_hhmm("00:00"), participant.timezone)
    items = await session.execute(
        select(RelayItem.kind, RelayItem.text, RelayItem.created_at)
        .where(RelayItem.participant_id == participant.id, RelayItem.kind.in_(MESSAGE_KINDS),
               RelayItem.created_at >= window_start, RelayItem.created_at < window_end)
        .order_by(RelayItem.id)
    )  # fmt: skip
    position = participant.position or {}
    current = next((f.get("module") for f in position.get("frames", []) if not f.get("detour")), None)
    return build_week(
        programme, code=participant.code or "?", week=week, start=start,
        timezone=participant.timezone, language=participant.language, rows=rows,
        finished=position.get("finished", []), current=current,
        messages=[Message(kind, text, at) for kind, text, at in items.tuples()],
    )  # fmt: skip


async def load_form(
    session: AsyncSession, programme: Programme, participant: Participant, wanted: str
) -> tuple[str, list[FilledForm]]:
    """Every time the participant filled in the form ``wanted`` (id or title), with its title."""
    found = find_form(programme, wanted)
    if not found:
        return wanted, []
    filled: list[FilledForm] = []
    for module, step_id, _ in found:
        result = await session.execute(
            select(Answer.module_id, Answer.step_id, Answer.field_id, Answer.entry_id, Answer.value,
                   Answer.answered_at)
            .where(Answer.participant_id == participant.id, Answer.module_id == module.id, Answer.step_id == step_id)
            .order_by(Answer.id)
        )  # fmt: skip
        rows = [AnswerRow(*r) for r in result.tuples()]
        filled += form_entries(programme, module, rows, participant.timezone, participant.language)
    return found[0][2], sorted(filled, key=lambda f: f.day)


async def report_post(
    store: RelayStore,
    programme: Programme,
    content: RelayContent,
    item: RelayItem,
    participant: Participant,
    due: datetime | None,
    therapist: int | None,
) -> tuple[str, WeekView] | None:
    """A weekly report (or the alert that it is overdue) posted as the whole week, never cut, with the
    week it shows (for its chart); None for any other item (or a participant without a start date),
    which keeps its own post."""
    data = item.data or {}
    overdue = item.kind == "alert" and item.source.startswith("report:")
    if (item.kind != "report" and not overdue) or not isinstance(data.get("week"), int):
        return None
    view = await load_week(store.session, programme, participant, data["week"])
    if view is None:
        return None
    config = store.config
    why = content.text("week_why_overdue" if overdue else "week_why_report")
    footer = content.text("week_footer", code=participant.code or "?", due=fmt.when_text(due, config.timezone),
                          therapist=config.name_of(therapist))  # fmt: skip
    return week_post(content, view, why=why, footer=footer), view
