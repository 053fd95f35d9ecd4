"""Stalls seen: a participant who has not moved for ``stall_days`` inside an open module gets one kind
nudge, and if they still have not moved ``stall_days`` later, their therapist gets a task in the topic.

"Moved" is the participant's place in the module (module and step): the relay remembers where each
active participant stands (``relay_log`` kind ``place``, its time the first sweep that saw them there),
so a page read or an answer given both count, and a sweep that only lets time pass does not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.content.programme import Programme
from bot.relay.content import RelayContent
from bot.relay.store import RelayStore
from bot.storage.models import Participant
from bot.storage.tables_relay import RelayLog, RelayTask

PLACE, NUDGED = "place", "stall_nudge"


def place_of(participant: Participant, programme: Programme) -> str | None:
    """``module/step`` of the programme module (one with a week) the participant stands in; None
    outside one, or while paused."""
    if participant.paused or participant.status != "active":
        return None
    for frame in (participant.position or {}).get("frames", []):
        module = programme.modules.get(frame.get("module") or "")
        if not frame.get("detour") and module is not None and module.week is not None:
            return f"{module.id}/{frame.get('step')}"
    return None


async def check(store: RelayStore, content: RelayContent, programme: Programme, participant: Participant,
                now: datetime) -> str | None:  # fmt: skip
    """Remember where the participant stands; nudge or open a task when they have stood still too long.

    Returns "nudge", "task" or None (what was done)."""
    place = place_of(participant, programme)
    row = await store.session.scalar(
        select(RelayLog).where(RelayLog.participant_id == participant.id, RelayLog.kind == PLACE)
    )
    if place is None:
        return None
    if row is None or row.text != place:
        if row is None:
            store.session.add(RelayLog(at=now, participant_id=participant.id, kind=PLACE, text=place, minutes=0))
        else:
            row.text, row.at, row.minutes = place, now, 0  # minutes: 0 fresh, 1 nudged, 2 task opened
        return None
    still = now - _aware(row.at)
    days = timedelta(days=store.config.stall_days)
    if row.minutes == 0 and still >= days:
        row.minutes = 1
        lang = programme.language(participant.language)
        await store.post_participant(now, participant, programme.msg(lang, "relay_delivery.stall_nudge"))
        store.log(NUDGED, now, participant, None, text=place)
        return "nudge"
    if row.minutes == 1 and still >= 2 * days:
        row.minutes = 2
        await _task(store, content, programme, participant, place, now)
        return "task"
    return None


async def _task(store: RelayStore, content: RelayContent, programme: Programme, participant: Participant,
                place: str, now: datetime) -> None:  # fmt: skip
    task = await store.task(participant.id, "stall")
    if task is None:
        task = RelayTask(participant_id=participant.id, kind="stall", status="open", checklist=[], created_at=now)
        store.session.add(task)
    task.status, task.done_at = "open", None
    task.therapist_id = await store.therapist_of(participant.id)
    await store.session.flush()
    module_id, _, step_id = place.partition("/")
    module = programme.modules[module_id]
    step = next((s for s in module.steps if s.id == step_id), None)
    where = programme.text(step.title, programme.spec.default_language) if step is not None and step.title else step_id
    text = content.text("stall_task", code=participant.code, days=2 * store.config.stall_days,
                        module=programme.text(module.title, programme.spec.default_language), step=where,
                        therapist=store.config.name_of(task.therapist_id))  # fmt: skip
    done = [[{"label": content.text("task_done_button"), "data": f"staff:task:{task.id}"}]]
    await store.post_staff(now, text, participant, topic_name=await store.topic_name(participant.id), buttons=done)
    store.audit(participant.id, "relay", "stall_task_opened", now)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
