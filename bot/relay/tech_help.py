"""Technical help: a participant's "something isn't working" (``/techhelp``) becomes a task.

Not a question for the therapist to answer within a target but work for whoever looks after the
bot: a post in the participant's topic with the words and a ✅ Done button, listed in ``/queue``
under tasks until the button or ``/done P-0007 technical`` closes it. One task row per participant
(``relay_tasks`` is unique per kind): a new request while one is open adds its post to the same
task; after it was closed it opens again.
"""

from __future__ import annotations

from datetime import datetime

from bot.relay import staff_words
from bot.relay.content import RelayContent
from bot.relay.store import RelayStore
from bot.storage.models import Participant, RelayItem
from bot.storage.tables_relay import RelayTask

KIND = "technical"


async def open_task(store: RelayStore, content: RelayContent, item: RelayItem, participant: Participant,
                    therapist: int | None, now: datetime, topic_name: str) -> None:  # fmt: skip
    """Open (or reopen) the participant's technical-help task and post it in their topic."""
    task = await store.task(participant.id, KIND)
    if task is None:
        task = RelayTask(participant_id=participant.id, kind=KIND, status="open", checklist=[], created_at=now)
        store.session.add(task)
    elif task.status != "open":
        task.status, task.done_at, task.created_at = "open", None, now
    task.therapist_id = task.therapist_id or therapist
    await store.session.flush()
    text = content.text("technical_task", code=participant.code, text=item.text or "–",
                        therapist=store.config.name_of(task.therapist_id))  # fmt: skip
    done = [[{"label": content.text("task_done_button"), "data": f"{staff_words.TASK}{task.id}"}]]
    await store.post_staff(now, text, participant, item_id=item.id, topic_name=topic_name, buttons=done)
    item.stage, item.posted_at, item.assigned_to = "posted", now, therapist
    item.status = "closed"  # the task carries it from here (the queue lists the task, not the item)
    store.audit(participant.id, "relay", "technical_task_opened", now, item=item.id)
