"""The staff queue: everything open, in the order a therapist should take it, a page at a time.

Open alerts first (URGENT ones not yet acknowledged, then other alerts), then answers past their
target, then weekly feedback due, then questions and messages not yet due, then tasks (the week-2
call, interviews). Every open row is listed whoever the participant is (a withdrawn participant's
open items included): the queue is what staff trust to be complete.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.relay import format as fmt
from bot.relay.alerts import paused_lines
from bot.relay.content import RelayContent
from bot.relay.model import RelayConfig
from bot.relay.sla import age_text
from bot.relay.store import RelayStore
from bot.storage.models import Participant, RelayItem
from bot.storage.tables_relay import RelayTask

PAGE = 15
ALERT, URGENT, OVERDUE, FEEDBACK, ANSWER, TASK = "alert", "urgent", "overdue", "feedback", "answer", "task"
ORDER = (URGENT, ALERT, OVERDUE, FEEDBACK, ANSWER, TASK)
TASK_WORDS = {"call": "week-2 call", "interview": "interview", "medical": "medical warning signs",
              "technical": "technical help", "stall": "stalled in a module"}  # fmt: skip


@dataclass(frozen=True)
class QueueRow:
    group: str  # one of ORDER
    code: str
    what: str
    deadline: datetime | None
    therapist: int | None
    since: datetime

    @property
    def rank(self) -> tuple[int, float, float]:
        due = self.deadline.timestamp() if self.deadline is not None else float("inf")
        return ORDER.index(self.group), due, self.since.timestamp()


def group_of(item: RelayItem, now: datetime) -> str:
    if item.kind == "safety":
        return URGENT
    if item.kind in ("alert", "concern"):  # a concern alert: same day, above everything but URGENT
        return ALERT
    if item.kind == "interview":
        return TASK
    if item.due_at is not None and item.due_at <= now:
        return OVERDUE
    return FEEDBACK if item.kind == "report" else ANSWER


async def open_rows(session: AsyncSession, now: datetime) -> list[QueueRow]:
    """Every open item and task, ranked."""
    items = await session.execute(
        select(RelayItem, Participant.code)
        .join(Participant, Participant.id == RelayItem.participant_id)
        .where(RelayItem.stage == "posted",
               or_(RelayItem.status == "open", RelayItem.kind.in_(("safety", "concern")) & RelayItem.acked_at.is_(None)))
    )  # fmt: skip
    rows = [_item_row(item, code, now) for item, code in items.tuples()]
    tasks = await session.execute(
        select(RelayTask, Participant.code)
        .join(Participant, Participant.id == RelayTask.participant_id)
        .where(RelayTask.status == "open")
    )
    rows += [
        QueueRow(TASK, code or "?", TASK_WORDS.get(task.kind, task.kind), None, task.therapist_id, task.created_at)
        for task, code in tasks.tuples()
    ]
    return sorted(rows, key=lambda r: r.rank)


def _item_row(item: RelayItem, code: str | None, now: datetime) -> QueueRow:
    what = fmt.KIND_WORDS.get(item.kind, item.kind)
    return QueueRow(group_of(item, now), code or "?", what, item.due_at, item.assigned_to, item.created_at)


def page_text(content: RelayContent, config: RelayConfig, rows: list[QueueRow], page: int, now: datetime) -> str:
    """One page of the queue (``page`` from 1), with the group headings and how to see the next page."""
    if not rows:
        return content.text("queue_empty")
    pages = (len(rows) + PAGE - 1) // PAGE
    page = min(max(page, 1), pages)
    shown = rows[(page - 1) * PAGE : page * PAGE]
    out = [content.text("queue_header", count=len(rows))]
    group = None
    for row in shown:
        if row.group != group:
            group = row.group
            out.append(content.text(f"queue_group_{group}"))
        late = content.text("queue_late") if row.deadline is not None and row.deadline <= now else ""
        out.append(content.text(
            "queue_line", code=row.code, kind=row.what, age=age_text((now - row.since).total_seconds()),
            therapist=config.name_of(row.therapist), due=fmt.when_text(row.deadline, config.timezone), late=late,
        ))  # fmt: skip
    if pages > 1:
        out.append(content.text("queue_page", page=page, pages=pages, next=page % pages + 1))
    return "\n".join(out)


async def queue_text(store: RelayStore, content: RelayContent, now: datetime, page: int = 1) -> tuple[str, str]:
    """``/queue``'s words (one page, then who is paused after a risk hit) and a fingerprint of what is
    open: it changes when the queue does, not when only the ages shown grow."""
    rows = await open_rows(store.session, now)
    text = page_text(content, store.config, rows, page, now)
    paused = await paused_lines(store, content)
    if paused:
        text = "\n".join([*([text] if rows else []), content.text("paused_header"), *paused])
    seen = [(r.group, r.code, r.what, r.deadline.isoformat() if r.deadline else "", r.therapist) for r in rows]
    fingerprint = hashlib.sha256(repr((seen, paused)).encode()).hexdigest()
    return text, fingerprint
